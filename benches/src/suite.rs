//! The measures of the suite, each returning the lines of its report.

use std::time::{Duration, Instant};

use anyhow::bail;
use pont_runtime::{EngineSettings, PontEngine};
use serde_json::Value;

use crate::runs::{self, Finished, PontJob, Queue, Tools};
use crate::sandbox::Sandbox;

/// The démarche every measure reads (chorus-subvention).
pub const DEMARCHE: i64 = 101;

/// How big the suite is.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub dossiers: usize,
    pub reps: usize,
    pub warm_starts: usize,
    pub throughput_items: usize,
    /// Requests sent at DS's real budget (0 skips that measure).
    pub rate_requests: usize,
}

/// A report: markdown lines.
pub type Lines = Vec<String>;

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

pub(crate) fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**not met**" }
}

/// Totals of the job as printed by the native and Python jobs.
pub(crate) fn job_totals(v: &Value) -> String {
    format!(
        "dossiers={} ok={} files={} cents={} rows={} digest_sum={}",
        v["dossiers"], v["ok"], v["files"], v["cents"], v["rows"], v["digest_sum"]
    )
    .replace('"', "")
}

/// The same totals summed from the notes of a Pont run's items.
pub(crate) fn pont_totals(summary: &Value) -> String {
    let (mut n, mut ok, mut files, mut cents, mut rows, mut digest) = (0u64, 0, 0, 0i64, 0, 0u64);
    for item in summary["items"].as_array().into_iter().flatten() {
        let reason = item["reason"].as_str().unwrap_or_default();
        n += 1;
        ok += u64::from(reason.starts_with("ok "));
        let num = |k: &str| runs::note(item, k).and_then(|v| v.parse::<i64>().ok());
        files += num("files").unwrap_or(0);
        cents += num("cents").unwrap_or(0);
        rows += num("rows").unwrap_or(0);
        let d = runs::note(item, "digest").and_then(|v| u64::from_str_radix(&v, 16).ok());
        digest = digest.wrapping_add(d.unwrap_or(0));
    }
    format!("dossiers={n} ok={ok} files={files} cents={cents} rows={rows} digest_sum={digest:016x}")
}

/// Warm start to the first capability call, capability call costs, and the
/// cold start that compiles.
pub fn startup(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    let job = |cache: Option<std::path::PathBuf>, dossier: i64| PontJob {
        requests_per_minute: None,
        settings: vec![("calls", "100000".into()), ("gated", "10000".into())],
        cache,
        keep_journal: true,
        ..PontJob::new("noop", Queue::Dossiers(vec![dossier]))
    };
    let first_call = |f: &Finished| -> f64 {
        let item = &f.out["items"][0];
        let first: u128 = runs::note(item, "first")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        first.saturating_sub(f.spawned_ns) as f64 / 1e6
    };
    let num = |f: &Finished, k: &str| -> f64 {
        runs::note(&f.out["items"][0], k)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let cold_cache = t.work.join("cold-cache");
    let cold = runs::pont(t, &sb.ds_url, &job(Some(cold_cache), 1), "cold")?;
    let (mut warm, mut wall, mut noop, mut gated) = (vec![], vec![], vec![], vec![]);
    let mut fresh = vec![];
    for i in 0..s.warm_starts {
        // A new journal each time: the first run of a robot config.
        let f = runs::pont(t, &sb.ds_url, &job(None, 1), &format!("fresh-{i}"))?;
        fresh.push(first_call(&f));
        // The journal of the runs before, and a dossier it has not seen:
        // the scheduled run of an operator.
        let f = runs::pont(t, &sb.ds_url, &job(None, i as i64 + 2), "warm")?;
        warm.push(first_call(&f));
        wall.push(f.wall.as_secs_f64() * 1e3);
        noop.push(num(&f, "noop_ns"));
        gated.push(num(&f, "gated_ns"));
    }
    let (warm, noop) = (median(warm), median(noop));
    Ok(vec![
        format!(
            "- Warm start of `pont run` to the robot's first capability call, component cached \
             on disk and journal already there (median of {}, from spawn to the call, clocks of \
             host and guest): \
             **{warm:.1} ms** (target < 20 ms): {}; the whole process of that one-item run: {:.1} ms.",
            s.warm_starts,
            met(warm < 20.0),
            median(wall)
        ),
        format!(
            "- The same with a journal created by the run (a robot config's first run): {:.1} ms.",
            median(fresh)
        ),
        format!(
            "- Cold start (empty cache: compile, then cache) to the first call: {:.0} ms.",
            first_call(&cold)
        ),
        format!(
            "- No-op capability call (`state.get(\"\")`, refused by the host before the gate; \
             mean of 100,000 calls from the guest): **{:.0} ns** (target < 1 µs): {}.",
            noop,
            met(noop < 1000.0)
        ),
        format!(
            "- A gated capability call (`state.get(\"bench\")`: gate, audit record, SQLite read; \
             mean of 10,000): {:.1} µs.",
            median(gated) / 1e3
        ),
    ])
}

/// One unmeasured one-dossier run, to fill the compiled-component cache
/// when the start-up section (whose first run does it) is skipped.
pub fn warm_up(t: &Tools, sb: &Sandbox) -> anyhow::Result<()> {
    let job = PontJob {
        requests_per_minute: None,
        ..PontJob::new("noop", Queue::Dossiers(vec![1]))
    };
    runs::pont(t, &sb.ds_url, &job, "warm-up").map(drop)
}

/// First compile of each robot component found in `dir`.
pub fn compile(dir: &std::path::Path, robots: &[String]) -> anyhow::Result<Lines> {
    let engine = PontEngine::new(EngineSettings {
        max_memory_bytes: 128 << 20,
        concurrency: 1,
    })?;
    let mut lines = vec![
        "| robot | component size | first compile |".into(),
        "|---|---|---|".into(),
    ];
    for name in robots {
        let path = dir.join(format!("{}.wasm", name.replace('-', "_")));
        let Ok(bytes) = std::fs::read(&path) else {
            lines.push(format!("| {name} | not built | — |"));
            continue;
        };
        let mut times = vec![];
        for _ in 0..3 {
            let started = Instant::now();
            engine.load_component(&bytes, None)?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        lines.push(format!(
            "| {name} | {} KiB | {:.0} ms |",
            bytes.len() / 1024,
            median(times)
        ));
    }
    Ok(lines)
}

/// Peak memory of `pont run` with `p` robots held in a DS call at once (the
/// Python robot's `check` reads its dossier as the Rust robot's `read` does).
pub(crate) fn held(t: &Tools, sb: &Sandbox, p: u16, python: bool) -> anyhow::Result<f64> {
    let list = (1..=i64::from(p) * 2)
        .map(|i| DEMARCHE * 100_000 + i)
        .collect();
    let job = PontJob {
        parallel: p,
        python,
        ..PontJob::new(if python { "check" } else { "read" }, Queue::Dossiers(list))
    };
    let tag = format!("memory-{p}{}", if python { "-py" } else { "" });
    let f = runs::pont(t, &sb.ds_url, &job, &tag)?;
    Ok(f.peak_kib as f64 / 1024.0)
}

/// Memory per concurrently running instance: each item waits 300 ms in a DS
/// call, so `--parallel P` holds P instances alive at once.
pub async fn memory(t: &Tools, sb: &Sandbox) -> anyhow::Result<Lines> {
    sb.latency(300).await?;
    let measured: anyhow::Result<Vec<(u16, f64)>> = [1u16, 8, 32]
        .into_iter()
        .map(|p| Ok((p, held(t, sb, p, false)?)))
        .collect();
    sb.latency(0).await?;
    let peaks = measured?;
    // The slope between the two largest levels: a single-item baseline is
    // at the mercy of one allocation spike.
    let (p1, m1) = peaks[peaks.len() - 2];
    let (pn, mn) = peaks[peaks.len() - 1];
    let per = (mn - m1) * 1024.0 / f64::from(pn - p1);
    let shown: Vec<String> = peaks
        .iter()
        .map(|(p, m)| format!("`--parallel {p}`: {m:.1} MiB"))
        .collect();
    Ok(vec![format!(
        "- Memory per concurrently running robot instance: **{per:.0} KiB** \
         (slope of the peak RSS of `pont run` between the two largest levels, every item \
         held 300 ms in a DS call: {}).",
        shown.join(", ")
    )])
}

/// Throughput with one DS read per item, at `--parallel 1, 4, 16`.
pub fn throughput(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    let mut lines = vec![
        format!(
            "{} items, each reading its dossier through the `ds` capability (one DS request), \
             simulator and host budget set high:",
            s.throughput_items
        ),
        String::new(),
        "| `--parallel` | time | items/s | speed-up |".into(),
        "|---|---|---|---|".into(),
    ];
    let list: Vec<i64> = (1..=s.throughput_items as i64)
        .map(|i| DEMARCHE * 100_000 + i)
        .collect();
    let mut base = None;
    for p in [1u16, 4, 16] {
        let job = PontJob {
            parallel: p,
            ..PontJob::new("read", Queue::Dossiers(list.clone()))
        };
        let f = runs::pont(t, &sb.ds_url, &job, &format!("throughput-{p}"))?;
        let rate = s.throughput_items as f64 / f.wall.as_secs_f64();
        let b = *base.get_or_insert(rate);
        lines.push(format!(
            "| {p} | {:.2} s | {rate:.0} | {:.2}× |",
            f.wall.as_secs_f64(),
            rate / b
        ));
    }
    Ok(lines)
}

/// DS's real budget, 400 requests a minute, on both sides: the host's limiter
/// must be the bottleneck and keep the rate within 5 % of the budget, with no
/// request refused by the simulator.
pub async fn rate(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    const BUDGET: u32 = 400;
    // A token of its own: the measures before used the shared one heavily in
    // the current one-minute window, which the simulator counts per token.
    const RATE_TOKEN: &str = "bench-rate";
    sb.add_token(RATE_TOKEN).await?;
    sb.rate_limit(BUDGET, 60).await?;
    let (allowed0, throttled0) = sb.request_counts().await?;
    let list: Vec<i64> = (1..=s.rate_requests as i64)
        .map(|i| DEMARCHE * 100_000 + i)
        .collect();
    let job = PontJob {
        parallel: 4,
        requests_per_minute: Some(BUDGET),
        token: RATE_TOKEN,
        ..PontJob::new("read", Queue::Dossiers(list))
    };
    let run = runs::pont(t, &sb.ds_url, &job, "rate");
    let (allowed1, throttled1) = sb.request_counts().await?;
    sb.rate_limit(1_000_000_000, 60).await?;
    let f = run?;
    let mut at: Vec<u128> = f.out["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| runs::note(i, "at")?.parse().ok())
        .collect();
    at.sort_unstable();
    let (Some(first), Some(last)) = (at.first(), at.last()) else {
        bail!("no item timestamps in the rate run");
    };
    let span = Duration::from_nanos((last - first) as u64);
    let measured = (at.len() - 1) as f64 / span.as_secs_f64() * 60.0;
    let off = (measured - f64::from(BUDGET)).abs() / f64::from(BUDGET);
    Ok(vec![format!(
        "- At DS's real budget ({BUDGET}/min on the simulator and in the host, `--parallel 4`, \
         {} items each making one DS request, {:.0} s in all): sustained rate from the first to \
         the last answer **{measured:.1} requests/min**, {:.1} % from the budget (target within \
         5 %): {}; the simulator allowed {} requests and refused {} with 429.",
        at.len(),
        f.wall.as_secs_f64(),
        off * 100.0,
        met(off <= 0.05),
        allowed1 - allowed0,
        throttled1 - throttled0
    )])
}
