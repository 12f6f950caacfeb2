//! Interfaces declared in the WIT package whose host side is not built yet.
//! They answer `unsupported` (a value, never a trap), and the gate audits each
//! call as denied, so a robot written against them today fails cleanly.

/// Host side of `files.mount` (not provided yet).
#[derive(Debug)]
pub struct MountHandle;
/// Host side of `sheets.workbook` (not provided yet).
#[derive(Debug)]
pub struct WorkbookHandle;
/// Host side of `browser.session` (not provided yet).
#[derive(Debug)]
pub struct SessionHandle;
/// Host side of `browser.element` (not provided yet).
#[derive(Debug)]
pub struct ElementHandle;

use pont_policy::Action;
use wasmtime::component::Resource;

use crate::bindings::pont::robot::browser::{self, Locator, TableData};
use crate::bindings::pont::robot::files::{self, Entry};
use crate::bindings::pont::robot::http::{self, Request, Response};
use crate::bindings::pont::robot::sheets::{self, Cell, FoundRow, Table};
use crate::bindings::pont::robot::types::Error;
use crate::blob::BlobEntry;
use crate::store::ItemState;

type Res<T> = wasmtime::Result<Result<T, Error>>;

impl ItemState {
    /// Audit the call as refused and say why.
    fn unsupported_reason(&self, capability: &str, operation: &str) -> String {
        match self.authorize(&Action::Unsupported {
            capability,
            operation,
        }) {
            Ok(_) => format!("`{capability}.{operation}` is not supported by this host"),
            Err(denied) => denied.reason,
        }
    }

    fn unsupported<T>(&self, capability: &str, operation: &str) -> Res<T> {
        Ok(Err(Error::Unsupported(
            self.unsupported_reason(capability, operation),
        )))
    }
}

impl files::HostMount for ItemState {
    async fn open(&mut self, _: String) -> Res<Resource<MountHandle>> {
        self.unsupported("files", "open")
    }
    async fn entries(&mut self, _: Resource<MountHandle>, _: String) -> Res<Vec<Entry>> {
        self.unsupported("files", "entries")
    }
    async fn stat(&mut self, _: Resource<MountHandle>, _: String) -> Res<Entry> {
        self.unsupported("files", "stat")
    }
    async fn read(&mut self, _: Resource<MountHandle>, _: String) -> Res<Resource<BlobEntry>> {
        self.unsupported("files", "read")
    }
    async fn write(
        &mut self,
        _: Resource<MountHandle>,
        _: String,
        _: Resource<BlobEntry>,
    ) -> Res<()> {
        self.unsupported("files", "write")
    }
    async fn write_bytes(&mut self, _: Resource<MountHandle>, _: String, _: Vec<u8>) -> Res<()> {
        self.unsupported("files", "write-bytes")
    }
    async fn rename(&mut self, _: Resource<MountHandle>, _: String, _: String) -> Res<()> {
        self.unsupported("files", "rename")
    }
    async fn mkdir(&mut self, _: Resource<MountHandle>, _: String) -> Res<()> {
        self.unsupported("files", "mkdir")
    }
    async fn remove(&mut self, _: Resource<MountHandle>, _: String) -> Res<()> {
        self.unsupported("files", "remove")
    }
    async fn zip(
        &mut self,
        _: Resource<MountHandle>,
        _: Vec<String>,
        _: String,
    ) -> Res<Resource<BlobEntry>> {
        self.unsupported("files", "zip")
    }
    async fn drop(&mut self, rep: Resource<MountHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl files::Host for ItemState {}

impl sheets::HostWorkbook for ItemState {
    async fn open(&mut self, _: String, _: String) -> Res<Resource<WorkbookHandle>> {
        self.unsupported("sheets", "open")
    }
    async fn sheet_names(&mut self, _: Resource<WorkbookHandle>) -> wasmtime::Result<Vec<String>> {
        Ok(Vec::new())
    }
    async fn table(&mut self, _: Resource<WorkbookHandle>, _: String, _: u32) -> Res<Table> {
        self.unsupported("sheets", "table")
    }
    async fn find_rows(
        &mut self,
        _: Resource<WorkbookHandle>,
        _: String,
        _: String,
        _: Cell,
    ) -> Res<Vec<FoundRow>> {
        self.unsupported("sheets", "find-rows")
    }
    async fn append_rows(
        &mut self,
        _: Resource<WorkbookHandle>,
        _: String,
        _: Vec<Vec<Cell>>,
    ) -> Res<()> {
        self.unsupported("sheets", "append-rows")
    }
    async fn save(&mut self, _: Resource<WorkbookHandle>) -> Res<()> {
        self.unsupported("sheets", "save")
    }
    async fn drop(&mut self, rep: Resource<WorkbookHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl sheets::Host for ItemState {}

impl browser::HostSession for ItemState {
    async fn open(&mut self, _: String) -> Res<Resource<SessionHandle>> {
        self.unsupported("browser", "open")
    }
    async fn goto(&mut self, _: Resource<SessionHandle>, _: String) -> Res<()> {
        self.unsupported("browser", "goto")
    }
    async fn current_url(&mut self, _: Resource<SessionHandle>) -> Res<String> {
        self.unsupported("browser", "current-url")
    }
    async fn find(
        &mut self,
        _: Resource<SessionHandle>,
        _: Locator,
    ) -> Res<Resource<ElementHandle>> {
        self.unsupported("browser", "find")
    }
    async fn wait_for(
        &mut self,
        _: Resource<SessionHandle>,
        _: Locator,
        _: u32,
    ) -> Res<Resource<ElementHandle>> {
        self.unsupported("browser", "wait-for")
    }
    async fn screenshot(&mut self, _: Resource<SessionHandle>) -> Res<Resource<BlobEntry>> {
        self.unsupported("browser", "screenshot")
    }
    async fn expect_download(
        &mut self,
        _: Resource<SessionHandle>,
        _: u32,
    ) -> Res<Resource<BlobEntry>> {
        self.unsupported("browser", "expect-download")
    }
    async fn drop(&mut self, rep: Resource<SessionHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl browser::HostElement for ItemState {
    async fn click(&mut self, _: Resource<ElementHandle>) -> Res<()> {
        self.unsupported("browser", "click")
    }
    async fn fill(&mut self, _: Resource<ElementHandle>, _: String) -> Res<()> {
        self.unsupported("browser", "fill")
    }
    async fn fill_secret(&mut self, _: Resource<ElementHandle>, _: String) -> Res<()> {
        self.unsupported("browser", "fill-secret")
    }
    async fn select(&mut self, _: Resource<ElementHandle>, _: String) -> Res<()> {
        self.unsupported("browser", "select")
    }
    async fn upload(&mut self, _: Resource<ElementHandle>, _: Resource<BlobEntry>) -> Res<()> {
        self.unsupported("browser", "upload")
    }
    async fn text(&mut self, _: Resource<ElementHandle>) -> Res<String> {
        self.unsupported("browser", "text")
    }
    async fn attribute(&mut self, _: Resource<ElementHandle>, _: String) -> Res<Option<String>> {
        self.unsupported("browser", "attribute")
    }
    async fn read_table(&mut self, _: Resource<ElementHandle>) -> Res<TableData> {
        self.unsupported("browser", "read-table")
    }
    async fn drop(&mut self, rep: Resource<ElementHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl browser::Host for ItemState {}

impl http::Host for ItemState {
    async fn send(&mut self, _: Request) -> Res<Response> {
        self.unsupported("http", "send")
    }
    async fn send_to_blob(&mut self, _: Request) -> Res<(u16, Resource<BlobEntry>)> {
        self.unsupported("http", "send-to-blob")
    }
}
