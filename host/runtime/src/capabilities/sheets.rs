//! The `sheets` capability: the WIT `workbook` resource wired to
//! `pont-files`' [`Workbook`] through the gate.
//!
//! Opening a workbook is a read of its file (`FileRead` on the mount and
//! path); saving is a write (`FileWrite`): `pont-files` opens and stores
//! only under the gate's permit for that file, with the bytes it charged.
//! Tables and lookups work on what was loaded at open, without further gate
//! calls. Appends are kept in the
//! host until `save`, which writes atomically through the mount (quota,
//! temporary file, rename) while the workbook's lock keeps other runs out.
//! A workbook past the host's [`pont_files::SheetLimits`] (a hostile file: too many
//! cells, a zip bomb) is refused at open with a `limit` error, audited as a
//! refusal; the host does not try to hold it.

use std::sync::{Arc, Mutex, MutexGuard};

use pont_files::Workbook;
use pont_policy::Action;
use tracing::Instrument;
use wasmtime::component::Resource;

use super::files::{blocking, call_span};
use crate::bindings::pont::robot::sheets::{Cell, FoundRow, Host, HostWorkbook, Table};
use crate::bindings::pont::robot::types::Error;
use crate::store::ItemState;

type Res<T> = wasmtime::Result<Result<T, Error>>;

/// Host side of `sheets.workbook`: the opened workbook, and where it is (for
/// the gate and the audit log).
#[derive(Debug)]
pub struct WorkbookHandle {
    /// Shared with the blocking tasks that load, append and save it.
    book: Arc<Mutex<Workbook>>,
    mount: String,
    path: String,
}

impl WorkbookHandle {
    fn lock(&self) -> MutexGuard<'_, Workbook> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read_action(&self) -> Action<'_> {
        Action::FileRead {
            mount: &self.mount,
            path: &self.path,
        }
    }

    fn write_action(&self) -> Action<'_> {
        Action::FileWrite {
            mount: &self.mount,
            path: &self.path,
            // Taking the write lock and appending write nothing yet:
            // `save` asks again with the serialised size.
            bytes: 0,
        }
    }
}

fn to_files(c: Cell) -> pont_files::Cell {
    match c {
        Cell::Empty => pont_files::Cell::Empty,
        Cell::Text(s) => pont_files::Cell::Text(s),
        Cell::Number(n) => pont_files::Cell::Number(n),
        Cell::Boolean(b) => pont_files::Cell::Boolean(b),
        Cell::Date(s) => pont_files::Cell::Date(s),
    }
}

fn to_wit(c: pont_files::Cell) -> Cell {
    match c {
        pont_files::Cell::Empty => Cell::Empty,
        pont_files::Cell::Text(s) => Cell::Text(s),
        pont_files::Cell::Number(n) => Cell::Number(n),
        pont_files::Cell::Boolean(b) => Cell::Boolean(b),
        pont_files::Cell::Date(s) => Cell::Date(s),
    }
}

fn row_to_wit(row: Vec<pont_files::Cell>) -> Vec<Cell> {
    row.into_iter().map(to_wit).collect()
}

impl ItemState {
    /// Run `work` on the workbook off the executor; errors are mapped as the
    /// `files` capability maps them, attributed to `write` or `read`.
    async fn on_workbook<T: Send + 'static>(
        &mut self,
        wb: &Resource<WorkbookHandle>,
        write: bool,
        work: impl FnOnce(&mut Workbook) -> pont_files::Result<T> + Send + 'static,
    ) -> Res<T> {
        let book = self.table.get(wb)?.book.clone();
        let done =
            blocking(move || work(&mut book.lock().unwrap_or_else(|p| p.into_inner()))).await?;
        let handle = self.table.get(wb)?;
        let action = if write {
            handle.write_action()
        } else {
            handle.read_action()
        };
        Ok(done.map_err(|e| self.files_error(&action, e)))
    }

    /// Take the workbook's write lock, waiting while another item of the run
    /// (or another run) holds it: items appending to one activity workbook
    /// queue for it instead of failing. Bounded by [`LOCK_WAIT`], and by the
    /// item's deadline.
    async fn lock_for_write(&mut self, wb: &Resource<WorkbookHandle>) -> Res<()> {
        let book = self.table.get(wb)?.book.clone();
        let until = std::time::Instant::now() + LOCK_WAIT;
        loop {
            let b = book.clone();
            let took =
                blocking(move || b.lock().unwrap_or_else(|p| p.into_inner()).begin_write()).await?;
            match took {
                Err(e)
                    if e.kind() == pont_files::ErrorKind::Locked
                        && std::time::Instant::now() < until =>
                {
                    tokio::time::sleep(LOCK_POLL).await;
                }
                other => {
                    let action = self.table.get(wb)?.write_action();
                    return Ok(other.map_err(|e| self.files_error(&action, e)));
                }
            }
        }
    }
}

/// The longest an item waits for another writer's workbook lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
/// How often a waiting item tries the lock again.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(25);

impl HostWorkbook for ItemState {
    async fn open(&mut self, mount: String, path: String) -> Res<Resource<WorkbookHandle>> {
        let span = call_span("sheets", "open", &mount);
        async {
            let action = Action::FileRead {
                mount: &mount,
                path: &path,
            };
            let permit = match self.authorize_file(&action) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let m = match self.granted_mount(&permit) {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            // `[limits.sheets]` of the robot config, over the reader's defaults.
            let limits = self.run.limits.sheet_limits();
            let opened = blocking(move || Workbook::open_with_limits(m, &permit, limits)).await?;
            let book = match opened {
                Ok(b) => b,
                Err(e) => return Ok(Err(self.files_error(&action, e))),
            };
            let handle = WorkbookHandle {
                book: Arc::new(Mutex::new(book)),
                mount: mount.clone(),
                path: path.clone(),
            };
            Ok(self.keep(("sheets", "open"), handle))
        }
        .instrument(span)
        .await
    }

    async fn sheet_names(&mut self, wb: Resource<WorkbookHandle>) -> wasmtime::Result<Vec<String>> {
        Ok(self.table.get(&wb)?.lock().sheet_names())
    }

    async fn table(
        &mut self,
        wb: Resource<WorkbookHandle>,
        sheet: String,
        header_row: u32,
    ) -> Res<Table> {
        let handle = self.table.get(&wb)?;
        let _span = call_span("sheets", "table", &handle.mount).entered();
        let read = handle.lock().table(&sheet, header_row);
        Ok(match read {
            Ok(t) => Ok(Table {
                columns: t.columns,
                rows: t.rows.into_iter().map(row_to_wit).collect(),
            }),
            Err(e) => Err(self.files_error(&handle.read_action(), e)),
        })
    }

    async fn find_rows(
        &mut self,
        wb: Resource<WorkbookHandle>,
        sheet: String,
        column: String,
        value: Cell,
    ) -> Res<Vec<FoundRow>> {
        let handle = self.table.get(&wb)?;
        let _span = call_span("sheets", "find-rows", &handle.mount).entered();
        let found = handle.lock().find_rows(&sheet, &column, &to_files(value));
        Ok(match found {
            Ok(rows) => Ok(rows
                .into_iter()
                .map(|r| FoundRow {
                    row_number: r.row_number,
                    cells: row_to_wit(r.cells),
                })
                .collect()),
            Err(e) => Err(self.files_error(&handle.read_action(), e)),
        })
    }

    async fn append_rows(
        &mut self,
        wb: Resource<WorkbookHandle>,
        sheet: String,
        rows: Vec<Vec<Cell>>,
    ) -> Res<()> {
        let span = call_span("sheets", "append-rows", &self.table.get(&wb)?.mount);
        let rows: Vec<Vec<pont_files::Cell>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(to_files).collect())
            .collect();
        // Takes the workbook's lock (waiting for another writer) and
        // re-reads it on the first append; a read-only mount is refused
        // (and audited) here.
        async {
            if let Err(e) = self.lock_for_write(&wb).await? {
                return Ok(Err(e));
            }
            self.on_workbook(&wb, true, move |b| b.append_rows(&sheet, &rows))
                .await
        }
        .instrument(span)
        .await
    }

    /// Serialise first, then ask the gate with the real size (the mount's
    /// budget sees what will be written), then write.
    async fn save(&mut self, wb: Resource<WorkbookHandle>) -> Res<()> {
        let handle = self.table.get(&wb)?;
        let (mount, path) = (handle.mount.clone(), handle.path.clone());
        let span = call_span("sheets", "save", &mount);
        async {
            let bytes = match self.on_workbook(&wb, true, Workbook::render).await? {
                Ok(bytes) => bytes,
                Err(e) => return Ok(Err(e)),
            };
            let action = Action::FileWrite {
                mount: &mount,
                path: &path,
                bytes: bytes.as_ref().map_or(0, |b| b.len() as u64),
            };
            let permit = match self.authorize_file(&action) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let Some(bytes) = bytes else {
                return Ok(Ok(()));
            };
            let stored = self
                .on_workbook(&wb, true, move |b| b.store(&permit, bytes))
                .await?;
            if stored.is_err() {
                self.run.gate.unsent(&action);
            }
            Ok(stored.map(|_| ()))
        }
        .instrument(span)
        .await
    }

    async fn drop(&mut self, wb: Resource<WorkbookHandle>) -> wasmtime::Result<()> {
        // Dropping the workbook releases its write lock, if it took one.
        self.table.delete(wb)?;
        Ok(())
    }
}

impl Host for ItemState {}
