//! The progress bar of `pont run` on a terminal; nothing when stderr is not
//! a terminal (schedulers, pipes) or with `--json`.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use pont_runtime::{ItemReport, Progress};

struct Bar(ProgressBar);

impl Progress for Bar {
    fn queued(&self, count: u64) {
        self.0.inc_length(count);
    }

    fn finished(&self, item: &ItemReport) {
        self.0
            .set_message(format!("dossier {} {}", item.number, item.status));
        self.0.inc(1);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A bar when a person is watching, else nothing.
pub(crate) fn bar(json: bool) -> Option<Arc<dyn Progress>> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} dossiers  {elapsed}  {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(Arc::new(Bar(bar)))
}
