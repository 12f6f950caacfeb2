//! `browser.session` and `browser.element` on the item's Store data.
//!
//! `ItemState` is not `Sync`, so no future here holds `&self` across an `.await`: each call
//! clones the `Arc`s it needs out of the resource table first, awaits on those, then updates
//! the item's counters.
//!
//! The gate's permits go to the browser crate, which takes nothing else: the session keeps
//! its `browser.open` permit and hands it to every operation on it and its elements; a
//! navigation goes under its own `browser.goto` permit, a secret under the permit for it
//! toward the page's origin.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pont_browser::{BrowserError, SessionOptions};
use pont_policy::{Action, Permit, SecretSink};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use wasmtime::component::Resource;

use super::proxy::{GateSink, GrantedOrigins};
use super::{ElementHandle, Live, SessionHandle, evidence_path, locator, secrets, to_error};
use crate::bindings::pont::robot::browser::{self, Locator, TableData};
use crate::bindings::pont::robot::types::{Error, Provenance};
use crate::blob::BlobEntry;
use crate::store::{ItemState, RunShared};

type Res<T> = wasmtime::Result<Result<T, Error>>;

/// Numbers failure screenshots and upload directories, unique within the process.
static SEQ: AtomicUsize = AtomicUsize::new(1);

fn denied<T>(reason: String) -> Res<T> {
    Ok(Err(Error::Denied(reason)))
}

impl ItemState {
    fn live(&self, h: &Resource<SessionHandle>) -> wasmtime::Result<Arc<Live>> {
        Ok(self.table.get(h)?.0.clone())
    }

    fn element(
        &self,
        h: &Resource<ElementHandle>,
    ) -> wasmtime::Result<(Arc<pont_browser::Element>, Arc<Live>)> {
        let e = self.table.get(h)?;
        Ok((e.element.clone(), e.live.clone()))
    }

    /// Counts a successful action (the KPI's clicks) and the origins the session reached
    /// (the KPI's tools).
    fn after(&mut self, live: &Live, action_done: bool) {
        if action_done {
            self.browser_actions = self.browser_actions.saturating_add(1);
        }
        self.tools.extend(live.touched());
    }

    /// Maps an action's result, keeping a screenshot as evidence when the page did not show
    /// what the robot expected.
    async fn settle<T>(
        &mut self,
        live: Arc<Live>,
        r: Result<T, BrowserError>,
        is_action: bool,
        redact: Option<&str>,
    ) -> Result<T, Error> {
        if let Err(e) = &r
            && super::worth_screenshot(e)
        {
            keep_screenshot(self.run.clone(), self.item, live.clone()).await;
        }
        self.after(&live, is_action && r.is_ok());
        r.map_err(|e| to_error(&e, redact))
    }

    async fn open_inner(&mut self, app: String) -> Res<Resource<SessionHandle>> {
        let permit = match self.authorize(&Action::BrowserOpen { app: &app }) {
            Ok(p) => p,
            Err(d) => return denied(d.reason),
        };
        let Some(grant) = self.run.gate.policy().browser.get(&app).cloned() else {
            return denied(format!("not granted: browser application `{app}`"));
        };
        let touched = Arc::new(Mutex::default());
        let opts = SessionOptions {
            policy: Arc::new(GrantedOrigins::of(&self.run.gate, self.item)),
            events: Arc::new(GateSink {
                gate: self.run.gate.clone(),
                item: self.item,
                touched: touched.clone(),
            }),
            stable_id_attr: grant.stable_id.clone(),
            action_timeout: None,
        };
        let uploads = match tempfile::Builder::new()
            .prefix("browser-uploads-")
            .tempdir_in(&self.run.spool)
        {
            Ok(dir) => dir,
            Err(e) => return Ok(Err(Error::Unavailable(format!("spool: {e}")))),
        };
        let run = self.run.clone();
        let opened = async { run.browser.get().await?.open_session(&permit, opts).await }.await;
        let session = match opened {
            Ok(s) => s,
            Err(e) => return Ok(Err(to_error(&e, None))),
        };
        let live = Live {
            session,
            open: permit,
            app_origin: grant.origin.to_string(),
            touched,
            uploads,
            filled: Default::default(),
        };
        Ok(self.keep(("browser", "open"), SessionHandle(Arc::new(live))))
    }

    async fn goto_inner(&mut self, h: Resource<SessionHandle>, url: String) -> Res<()> {
        let live = self.live(&h)?;
        let origin = match pont_browser::Origin::from_url(&url) {
            Ok(o) => o,
            Err(e) => return Ok(Err(to_error(&e, None))),
        };
        let Ok(granted) = pont_policy::Origin::parse(&origin.to_string()) else {
            return Ok(Err(Error::Invalid(format!("invalid origin {origin}"))));
        };
        let permit = match self.authorize(&Action::BrowserGoto { origin: &granted }) {
            Ok(p) => p,
            Err(d) => return denied(d.reason),
        };
        let r = live.session.goto(&permit, &url).await;
        Ok(self.settle(live, r, true, None).await)
    }

    async fn find_inner(
        &mut self,
        h: Resource<SessionHandle>,
        l: Locator,
        timeout_ms: Option<u32>,
    ) -> Res<Resource<ElementHandle>> {
        let live = self.live(&h)?;
        let loc = locator(l);
        let r = match timeout_ms {
            None => live.session.find(&live.open, &loc).await,
            Some(ms) => {
                let wait = Duration::from_millis(u64::from(ms));
                live.session.wait_for(&live.open, &loc, wait).await
            }
        };
        match self.settle(live.clone(), r, false, None).await {
            Ok(el) => Ok(self.keep(
                ("browser", "find"),
                ElementHandle {
                    element: Arc::new(el),
                    live,
                },
            )),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn screenshot_inner(&mut self, h: Resource<SessionHandle>) -> Res<Resource<BlobEntry>> {
        let live = self.live(&h)?;
        let png = match secrets::masked_screenshot(&live).await {
            Ok(png) => png,
            Err(e) => return Ok(Err(to_error(&e, None))),
        };
        let origin = page_origin(&live).await;
        let blob = BlobEntry::capture(
            &self.run.spool,
            &live.open,
            ("screenshot.png", "image/png"),
            &png,
            Provenance::Screenshot(origin),
        );
        match blob {
            Ok(b) => Ok(self.keep_blob(("browser", "screenshot"), b)),
            Err(e) => Ok(Err(Error::Unavailable(format!("spool: {e}")))),
        }
    }

    async fn download_inner(
        &mut self,
        h: Resource<SessionHandle>,
        timeout_ms: u32,
    ) -> Res<Resource<BlobEntry>> {
        let live = self.live(&h)?;
        let wait = Duration::from_millis(u64::from(timeout_ms));
        let path = match live.session.expect_download(&live.open, wait).await {
            Ok(p) => p,
            Err(e) => return Ok(Err(to_error(&e, None))),
        };
        let origin = page_origin(&live).await;
        self.tools.extend(live.touched());
        match adopt_download(&live.open, &self.run.spool, &path, origin) {
            Ok(b) => Ok(self.keep_blob(("browser", "expect-download"), b)),
            Err(e) => Ok(Err(Error::Unavailable(format!("spool: {e}")))),
        }
    }

    /// Types a secret into `h`, only on a page of an application the secret is bound to.
    async fn fill_secret_inner(&mut self, h: Resource<ElementHandle>, name: String) -> Res<()> {
        let (el, live) = self.element(&h)?;
        let origin = match current_origin(&live).await {
            Ok(o) => o,
            Err(e) => return Ok(Err(e)),
        };
        let action = Action::SecretUse {
            name: &name,
            sink: SecretSink::Browser(&origin),
        };
        let permit = match self.authorize(&action) {
            Ok(p) => p,
            Err(d) => return denied(d.reason),
        };
        let Some(grant) = self.run.gate.policy().secrets.get(&name).cloned() else {
            return denied(format!("not granted: secret `{name}`"));
        };
        let value = match crate::capabilities::ds::read_secret(&grant.source) {
            Ok(v) => v,
            Err(e) => return Ok(Err(Error::Unavailable(format!("secret `{name}`: {e}")))),
        };
        // Remembered before typing: a fill that fails half-way may have typed some of it.
        live.filled.record(el.clone(), &name, &value);
        // The WebDriver client logs request bodies at debug level, which would carry the
        // value: nothing under this call reaches the log, whatever the filter says.
        let r = el
            .fill_secret(&permit, &value)
            .with_subscriber(tracing::subscriber::NoSubscriber::default())
            .await;
        Ok(self.settle(live, r, true, Some(&value)).await)
    }

    async fn upload_inner(
        &mut self,
        h: Resource<ElementHandle>,
        blob: Resource<BlobEntry>,
    ) -> Res<()> {
        let (el, live) = self.element(&h)?;
        let entry = self.table.get(&blob)?;
        let staged = stage_upload(&live, entry.path(), &entry.info().file_name);
        let path = match staged {
            Ok(p) => p,
            Err(e) => return Ok(Err(Error::Unavailable(format!("spool: {e}")))),
        };
        let r = el.upload(&live.open, &path).await;
        Ok(self.settle(live, r, true, None).await)
    }
}

/// The origin of the page the session shows, as the gate compares origins.
async fn current_origin(live: &Live) -> Result<pont_policy::Origin, Error> {
    let url = secrets::quietly(&live.filled, live.session.current_url(&live.open))
        .await
        .map_err(|e| to_error(&e, None))?;
    let origin = pont_browser::Origin::from_url(&url).map_err(|e| to_error(&e, None))?;
    pont_policy::Origin::parse(&origin.to_string())
        .map_err(|e| Error::Invalid(format!("page origin {origin}: {e}")))
}

/// Refuses, through the gate (so the refusal is audited), reading back `what` of an element
/// that received a secret.
fn refuse_read_back(
    state: &ItemState,
    live: &Live,
    el: &pont_browser::Element,
    what: &str,
) -> Result<(), Error> {
    let Some(name) = live.filled.secret_of(el) else {
        return Ok(());
    };
    let action = Action::SecretUse {
        name: &name,
        sink: SecretSink::ReadBack { what },
    };
    match state.authorize(&action) {
        // Never allowed: should a gate ever say yes, the read is refused all the same.
        Ok(p) => Err(Error::Denied(p.mismatch(what).to_string())),
        Err(d) => Err(Error::Denied(d.reason)),
    }
}

/// The origin of the page the session shows, for provenance; the application's origin if the
/// page cannot tell.
async fn page_origin(live: &Live) -> String {
    match secrets::quietly(&live.filled, live.session.current_url(&live.open)).await {
        Ok(url) => pont_browser::Origin::from_url(&url)
            .map(|o| o.to_string())
            .unwrap_or_else(|_| live.app_origin.clone()),
        Err(_) => live.app_origin.clone(),
    }
}

/// Moves a finished download from the browser's private download directory (which
/// Chromium's account may write; the run's spool is out of its reach) into the run's spool
/// as a blob: renamed when both are on one file system, else copied and the original removed.
/// The session's open permit covers what its pages hand over.
fn adopt_download(
    permit: &Permit,
    spool: &Path,
    path: &Path,
    origin: String,
) -> std::io::Result<BlobEntry> {
    let dest = BlobEntry::reserve(permit, spool, "download-")?;
    if std::fs::rename(path, &dest).is_err() {
        std::fs::copy(path, &dest)?;
        let _ = std::fs::remove_file(path);
    }
    let name = super::file_name(path);
    let blob = (dest.clone(), name.as_str(), super::content_type(path));
    let adopted = BlobEntry::adopt(
        std::slice::from_ref(permit),
        blob,
        Provenance::BrowserDownload(origin),
    );
    if adopted.is_err() {
        let _ = std::fs::remove_file(&dest);
    }
    adopted
}

/// Links a blob under its own file name in the session's upload directory. The browser reads
/// a chosen file when the form is submitted, so the link must outlive the blob handle (the
/// robot may drop it first); it lives as long as the session.
fn stage_upload(live: &Live, src: &Path, name: &str) -> std::io::Result<std::path::PathBuf> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .take(120)
        .collect();
    let safe = if safe.is_empty() || safe.starts_with('.') {
        format!("upload{safe}")
    } else {
        safe
    };
    let dir = live
        .uploads
        .path()
        .join(SEQ.fetch_add(1, Ordering::Relaxed).to_string());
    std::fs::create_dir_all(&dir)?;
    let dest = dir.join(safe);
    if std::fs::hard_link(src, &dest).is_err() {
        std::fs::copy(src, &dest)?;
    }
    Ok(dest)
}

/// Screenshot of the session, kept as evidence of the item. Best effort: a failure here must
/// not hide the robot's own error.
async fn keep_screenshot(run: Arc<RunShared>, item: Option<i64>, live: Arc<Live>) {
    let png = match secrets::masked_screenshot(&live).await {
        Ok(png) => png,
        Err(e) => {
            tracing::warn!(
                "no failure screenshot: {}",
                super::one_line(&e.to_string(), None)
            );
            return;
        }
    };
    // The host's own evidence counts against the run's evidence limits too.
    if let Err(why) = run.limits.admit_evidence(png.len() as u64) {
        tracing::warn!("no failure screenshot: {why}");
        return;
    }
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let dest = match evidence_path(&live.open, (&run.evidence_dir, &run.run_id), item, seq) {
        Ok(dest) => dest,
        Err(why) => {
            tracing::warn!("no failure screenshot: {why}");
            return;
        }
    };
    let written = dest
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&dest, &png));
    if let Err(e) = written {
        tracing::warn!("cannot keep the failure screenshot: {e}");
        return;
    }
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&png));
    let recorded = run.journal.add_evidence(
        &run.run_id,
        item,
        "browser-failure.png",
        &dest.to_string_lossy(),
        &sha,
        png.len() as u64,
    );
    if let Err(e) = recorded {
        tracing::warn!("cannot record the failure screenshot: {e}");
    }
}

fn span(name: &'static str) -> tracing::Span {
    tracing::info_span!("capability", capability = "browser", call = name)
}

impl browser::HostSession for ItemState {
    async fn open(&mut self, app: String) -> Res<Resource<SessionHandle>> {
        self.open_inner(app).instrument(span("open")).await
    }
    async fn goto(&mut self, h: Resource<SessionHandle>, url: String) -> Res<()> {
        self.goto_inner(h, url).instrument(span("goto")).await
    }
    async fn current_url(&mut self, h: Resource<SessionHandle>) -> Res<String> {
        let live = self.live(&h)?;
        let r = secrets::quietly(&live.filled, live.session.current_url(&live.open)).await;
        Ok(r.map(|u| live.filled.redact(u))
            .map_err(|e| to_error(&e, None)))
    }
    async fn find(
        &mut self,
        h: Resource<SessionHandle>,
        l: Locator,
    ) -> Res<Resource<ElementHandle>> {
        self.find_inner(h, l, None).instrument(span("find")).await
    }
    async fn wait_for(
        &mut self,
        h: Resource<SessionHandle>,
        l: Locator,
        timeout_ms: u32,
    ) -> Res<Resource<ElementHandle>> {
        let fut = self.find_inner(h, l, Some(timeout_ms));
        fut.instrument(span("wait-for")).await
    }
    async fn screenshot(&mut self, h: Resource<SessionHandle>) -> Res<Resource<BlobEntry>> {
        self.screenshot_inner(h)
            .instrument(span("screenshot"))
            .await
    }
    async fn expect_download(
        &mut self,
        h: Resource<SessionHandle>,
        timeout_ms: u32,
    ) -> Res<Resource<BlobEntry>> {
        let fut = self.download_inner(h, timeout_ms);
        fut.instrument(span("expect-download")).await
    }
    async fn drop(&mut self, rep: Resource<SessionHandle>) -> wasmtime::Result<()> {
        let handle = self.table.delete(rep)?;
        self.tools.extend(handle.0.touched());
        // Elements still alive keep the session; the last one quits it when dropped.
        if let Ok(live) = Arc::try_unwrap(handle.0) {
            live.session.close().instrument(span("close")).await;
        }
        Ok(())
    }
}

impl browser::HostElement for ItemState {
    async fn click(&mut self, h: Resource<ElementHandle>) -> Res<()> {
        let (el, live) = self.element(&h)?;
        let r = el.click(&live.open).instrument(span("click")).await;
        Ok(self.settle(live, r, true, None).await)
    }
    async fn fill(&mut self, h: Resource<ElementHandle>, text: String) -> Res<()> {
        let (el, live) = self.element(&h)?;
        let r = el.fill(&live.open, &text).instrument(span("fill")).await;
        Ok(self.settle(live, r, true, Some(&text)).await)
    }
    async fn fill_secret(&mut self, h: Resource<ElementHandle>, secret: String) -> Res<()> {
        let fut = self.fill_secret_inner(h, secret);
        fut.instrument(span("fill-secret")).await
    }
    async fn select(&mut self, h: Resource<ElementHandle>, choice: String) -> Res<()> {
        let (el, live) = self.element(&h)?;
        let r = el
            .select(&live.open, &choice)
            .instrument(span("select"))
            .await;
        Ok(self.settle(live, r, true, None).await)
    }
    async fn upload(&mut self, h: Resource<ElementHandle>, file: Resource<BlobEntry>) -> Res<()> {
        self.upload_inner(h, file).instrument(span("upload")).await
    }
    async fn text(&mut self, h: Resource<ElementHandle>) -> Res<String> {
        let (el, live) = self.element(&h)?;
        if let Err(e) = refuse_read_back(self, &live, &el, "text") {
            return Ok(Err(e));
        }
        let read = el.text(&live.open).instrument(span("text"));
        let r = secrets::quietly(&live.filled, read).await;
        Ok(r.map(|t| live.filled.redact(t))
            .map_err(|e| to_error(&e, None)))
    }
    async fn attribute(&mut self, h: Resource<ElementHandle>, name: String) -> Res<Option<String>> {
        let (el, live) = self.element(&h)?;
        if let Err(e) = refuse_read_back(self, &live, &el, "attribute") {
            return Ok(Err(e));
        }
        let read = el
            .attribute(&live.open, &name)
            .instrument(span("attribute"));
        let r = secrets::quietly(&live.filled, read).await;
        Ok(r.map(|v| v.map(|v| live.filled.redact(v)))
            .map_err(|e| to_error(&e, None)))
    }
    async fn read_table(&mut self, h: Resource<ElementHandle>) -> Res<TableData> {
        let (el, live) = self.element(&h)?;
        if let Err(e) = refuse_read_back(self, &live, &el, "read-table") {
            return Ok(Err(e));
        }
        let read = el.read_table(&live.open).instrument(span("read-table"));
        let r = secrets::quietly(&live.filled, read).await;
        let cut = |row: Vec<String>| row.into_iter().map(|c| live.filled.redact(c)).collect();
        Ok(r.map(|t| TableData {
            headers: cut(t.headers),
            rows: t.rows.into_iter().map(cut).collect(),
        })
        .map_err(|e| to_error(&e, None)))
    }
    async fn drop(&mut self, rep: Resource<ElementHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl browser::Host for ItemState {}
