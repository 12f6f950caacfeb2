//! The little WASI a robot gets: clocks, random, and stdout/stderr forwarded
//! to the log. No host files, no sockets, no environment, no arguments: a
//! robot reaches the world only through Pont's capabilities. The filesystem
//! and sockets interfaces language runtimes import are linked by
//! `denied.rs`, which refuses (and audits) every call.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream, WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
use wasmtime_wasi::p2::bindings::{cli, clocks, random};
use wasmtime_wasi::random::{WasiRandom, WasiRandomView};

use crate::store::ItemState;

/// Longest line kept from a robot's stdout/stderr; longer lines are cut.
const MAX_LINE: usize = 4096;
/// Most output kept per item; the rest is counted and dropped.
const MAX_OUTPUT: usize = 256 * 1024;

/// The WASI interfaces (by `namespace:package/interface`) a robot may import
/// and use; see `denied.rs` for those it may import but not use.
pub(crate) const PROVIDED_WASI: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

struct IoTable;

impl HasData for IoTable {
    type Data<'a> = &'a mut ResourceTable;
}

/// Link exactly the interfaces of [`PROVIDED_WASI`].
pub(crate) fn add_to_linker(l: &mut Linker<ItemState>) -> wasmtime::Result<()> {
    use wasmtime_wasi_io::bindings::wasi::io;
    io::error::add_to_linker::<ItemState, IoTable>(l, |t| &mut t.table)?;
    io::poll::add_to_linker::<ItemState, IoTable>(l, |t| &mut t.table)?;
    io::streams::add_to_linker::<ItemState, IoTable>(l, |t| &mut t.table)?;
    clocks::wall_clock::add_to_linker::<ItemState, WasiClocks>(l, ItemState::clocks)?;
    clocks::monotonic_clock::add_to_linker::<ItemState, WasiClocks>(l, ItemState::clocks)?;
    random::random::add_to_linker::<ItemState, WasiRandom>(l, ItemState::random)?;
    random::insecure::add_to_linker::<ItemState, WasiRandom>(l, ItemState::random)?;
    random::insecure_seed::add_to_linker::<ItemState, WasiRandom>(l, ItemState::random)?;
    cli::exit::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::environment::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::stdin::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::stdout::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::stderr::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::terminal_input::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::terminal_output::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::terminal_stdin::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::terminal_stdout::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    cli::terminal_stderr::add_to_linker::<ItemState, WasiCli>(l, ItemState::cli)?;
    Ok(())
}

/// A WASI context with nothing in it but the output forwarding.
pub(crate) fn context(sink: &OutputSink) -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.stdout(LineStream::new(sink.clone(), "stdout"));
    b.stderr(LineStream::new(sink.clone(), "stderr"));
    b.build()
}

/// Lines a robot printed during an item, drained by the runner into the log.
#[derive(Clone, Debug, Default)]
pub(crate) struct OutputSink {
    inner: Arc<Mutex<SinkInner>>,
}

#[derive(Debug, Default)]
struct SinkInner {
    lines: Vec<(&'static str, String)>,
    kept: usize,
    dropped: usize,
}

impl OutputSink {
    /// Take the lines so far and the count of bytes dropped past the cap.
    pub fn drain(&self) -> (Vec<(&'static str, String)>, usize) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let lines = std::mem::take(&mut s.lines);
        let dropped = std::mem::take(&mut s.dropped);
        s.kept = 0;
        (lines, dropped)
    }

    fn push(&self, stream: &'static str, line: &[u8]) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if s.kept + line.len() > MAX_OUTPUT {
            s.dropped += line.len();
            return;
        }
        s.kept += line.len();
        let cut = &line[..line.len().min(MAX_LINE)];
        s.lines
            .push((stream, String::from_utf8_lossy(cut).trim_end().to_string()));
    }
}

/// stdout or stderr of a robot: split into lines for the sink.
struct LineStream {
    sink: OutputSink,
    name: &'static str,
}

impl LineStream {
    fn new(sink: OutputSink, name: &'static str) -> Self {
        Self { sink, name }
    }
}

impl IsTerminal for LineStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LineStream {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            sink: self.sink.clone(),
            name: self.name,
            pending: Vec::new(),
        })
    }
}

struct LineWriter {
    sink: OutputSink,
    name: &'static str,
    pending: Vec<u8>,
}

impl LineWriter {
    fn flush_lines(&mut self, all: bool) {
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            self.sink.push(self.name, &line);
        }
        if all && !self.pending.is_empty() || self.pending.len() > MAX_LINE {
            let rest = std::mem::take(&mut self.pending);
            self.sink.push(self.name, &rest);
        }
    }
}

impl tokio::io::AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        self.flush_lines(false);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.flush_lines(true);
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.flush_lines(true);
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        self.flush_lines(true);
    }
}
