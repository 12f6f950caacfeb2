//! `pont-bench`: the end-to-end benchmark suite behind `benches/run`.
//!
//! It starts the DS simulator on loopback with its rate limit set high, seeds
//! a démarche, then measures, all in one run so the ratios compare like with
//! like: the per-dossier overhead of `pont run` against the same job as a
//! native program on `pont-ds` and as a Python script; warm start, capability
//! calls and first compiles; memory per instance, throughput at
//! `--parallel 1, 4, 16`, the Python robot beside the Rust one, and the
//! request rate at DS's real budget. The per-dossier section gives CPU as
//! well as wall time for each contender, with Pont's per-item profile, and a
//! run under 20 % injected DS faults shows what retries cost. It prints the
//! results as markdown for BENCHMARKS.md. It asserts nothing: a target
//! missed is reported, not failed.
//!
//! Usage: `pont-bench [--quick] [--no-rate] [--reps N] [--only SECTIONS] [--out FILE]`;
//! `--only faults,overhead` runs just those sections (after one warm-up run
//! that fills the compiled-component cache the start-up section would fill):
//! `startup`, `compile`, `python`, `overhead`, `memory`, `throughput`,
//! `faults`, `rate`.

mod cpu;
mod python;
mod runs;
mod sandbox;
mod suite;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::suite::Sizes;

struct Args {
    sizes: Sizes,
    out: Option<PathBuf>,
    /// The sections to run (`--only`); `None` runs them all.
    only: Option<Vec<String>>,
}

/// The sections `--only` may name, in the order they run.
const SECTIONS: [&str; 8] = [
    "startup",
    "compile",
    "python",
    "overhead",
    "memory",
    "throughput",
    "faults",
    "rate",
];

impl Args {
    fn wants(&self, section: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|s| s == section))
    }
}

fn parse_only(list: Option<&String>) -> anyhow::Result<Vec<String>> {
    let list = list.context("--only needs a comma-separated list of sections")?;
    let names: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    if let Some(bad) = names.iter().find(|n| !SECTIONS.contains(&n.as_str())) {
        bail!(
            "--only: no section {bad:?}; the sections are {}",
            SECTIONS.join(", ")
        );
    }
    Ok(names)
}

fn parse_args() -> anyhow::Result<Args> {
    let mut sizes = Sizes {
        dossiers: 10_000,
        reps: 3,
        warm_starts: 10,
        throughput_items: 2_000,
        // 400 a minute: 2 windows and one request, so first-to-last spans two full minutes.
        rate_requests: 801,
    };
    let mut out = None;
    let mut only = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {
                sizes = Sizes {
                    dossiers: 1_000,
                    reps: 1,
                    warm_starts: 3,
                    throughput_items: 200,
                    rate_requests: 0,
                }
            }
            "--no-rate" => sizes.rate_requests = 0,
            "--reps" => {
                sizes.reps = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .context("--reps needs a positive number")?
            }
            "--out" => out = Some(PathBuf::from(it.next().context("--out needs a file")?)),
            "--only" => only = Some(parse_only(it.next())?),
            other => bail!(
                "unknown argument {other}; usage: pont-bench [--quick] [--no-rate] [--reps N] \
                 [--only SECTIONS] [--out FILE]"
            ),
        }
    }
    Ok(Args { sizes, out, only })
}

/// The repository root (this crate is `benches/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn guests() -> PathBuf {
    root().join("target/guests/wasm32-wasip2/release")
}

/// The robots of `plugins/`, and the bench robot.
fn robot_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("plugins"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names.push("bench-robot".into());
    names
}

/// The Python interpreter `python3` stands for, resolved once.
fn python_exe() -> PathBuf {
    std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("python3"), PathBuf::from)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |k| k / 1024.0 / 1024.0);
    format!("{cores} cores ({cpu}), {mem_gib:.0} GiB of memory, Linux")
}

fn section(report: &mut Vec<String>, title: &str, lines: anyhow::Result<Vec<String>>) {
    report.push(format!("### {title}"));
    report.push(String::new());
    match lines {
        Ok(lines) => report.extend(lines),
        Err(e) => report.push(format!("Not measured: {e:#}")),
    }
    report.push(String::new());
    eprintln!("bench: {title} done");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let bin_dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .context("binary directory")?;
    let work = tempfile::Builder::new().prefix("pont-bench-").tempdir()?;
    let tools = runs::Tools {
        pont: bin_dir.join("pont"),
        native: bin_dir.join("native-job"),
        robot: guests().join("bench_robot.wasm"),
        manifest: root().join("tests/fixtures/bench-robot/pont.toml"),
        robot_py: root().join("target/guests/foreign/bench-py.wasm"),
        manifest_py: root().join("tests/fixtures/bench-py/pont.toml"),
        python_job: root().join("benches/python/job.py"),
        python_exe: python_exe(),
        graphql: root().join("host/ds/graphql/dossier.graphql"),
        work: work.path().to_path_buf(),
        cache: work.path().join("cache"),
    };
    for p in [&tools.pont, &tools.native, &tools.robot] {
        if !p.is_file() {
            bail!(
                "{} is missing: run benches/run, which builds it",
                p.display()
            );
        }
    }
    let sb = sandbox::Sandbox::start(&bin_dir.join("pont-sandbox"))?;
    sb.seed(suite::DEMARCHE, args.sizes.dossiers).await?;
    eprintln!("bench: simulator at {}", sb.ds_url);
    let mut report = vec![
        format!(
            "Measured {} on {}, release build.",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            machine()
        ),
        String::new(),
    ];
    // Start-up first: its first run also fills the compiled-component cache
    // that every later `pont run` starts from.
    if args.wants("startup") {
        section(
            &mut report,
            "Start-up and calls",
            suite::startup(&tools, &sb, args.sizes),
        );
    } else {
        suite::warm_up(&tools, &sb)?;
    }
    if args.wants("compile") {
        section(
            &mut report,
            "First compile of each robot",
            suite::compile(&guests(), &robot_names()),
        );
    }
    // Before the per-dossier table: its first compile fills the cache the
    // table's run of the Python robot starts from.
    if args.wants("python") {
        section(
            &mut report,
            "Python robot",
            python::python_robot(&tools, &sb, args.sizes).await,
        );
    }
    if args.wants("overhead") {
        section(
            &mut report,
            "Per-dossier overhead",
            cpu::overhead(&tools, &sb, args.sizes),
        );
    }
    if args.wants("memory") {
        section(
            &mut report,
            "Memory per instance",
            suite::memory(&tools, &sb).await,
        );
    }
    if args.wants("throughput") {
        section(
            &mut report,
            "Throughput",
            suite::throughput(&tools, &sb, args.sizes),
        );
    }
    if args.wants("faults") {
        section(
            &mut report,
            "Under DS faults",
            cpu::faults(&tools, &sb, args.sizes).await,
        );
    }
    if args.sizes.rate_requests > 0 && args.wants("rate") {
        section(
            &mut report,
            "At DS's real rate limit",
            suite::rate(&tools, &sb, args.sizes).await,
        );
    }
    let text = report.join("\n");
    println!("{text}");
    if let Some(out) = args.out {
        std::fs::write(&out, &text).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
