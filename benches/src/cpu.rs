//! The benchmark job's cost per dossier, CPU as well as wall time (issue 18):
//! every contender on the same dossiers, interleaved, each a whole process
//! whose user + system CPU is the kernel's count for the reaped child
//! (`wait4`, see `runs.rs`) and whose peak memory is sampled from `/proc`; Pont's own per-item profile (the
//! `profile` of `pont run --json`); and the job's throughput under injected
//! DS faults.

use anyhow::bail;
use serde_json::Value;

use crate::runs::{self, Finished, PontJob, Queue, Tools};
use crate::sandbox::Sandbox;
use crate::suite::{DEMARCHE, Lines, Sizes, job_totals, median, met, pont_totals};

/// One contender of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    Pont,
    /// The same robot declared non-idempotent: a durable claim per item.
    PontDurable,
    Native,
    Script,
    /// The Python port of the bench robot (`tests/fixtures/bench-py`).
    PontPython,
}

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Self::Pont => "`pont run`, bench robot",
            Self::PontDurable => "`pont run`, bench robot, non-idempotent (durable claim)",
            Self::Native => "native job on `pont-ds`",
            Self::Script => "Python 3 script + `requests`",
            Self::PontPython => "`pont run`, Python robot (bench-py)",
        }
    }

    fn run(self, t: &Tools, sb: &Sandbox, tag: &str) -> anyhow::Result<Finished> {
        let job = |durable_claim, python| PontJob {
            durable_claim,
            python,
            ..PontJob::new("check", Queue::Demarche(DEMARCHE))
        };
        match self {
            Self::Pont => runs::pont(t, &sb.ds_url, &job(false, false), tag),
            Self::PontDurable => runs::pont(t, &sb.ds_url, &job(true, false), tag),
            Self::PontPython => runs::pont(t, &sb.ds_url, &job(false, true), tag),
            Self::Native => runs::native(t, &sb.ds_url, DEMARCHE),
            Self::Script => runs::python(t, &sb.ds_url, DEMARCHE),
        }
    }

    fn totals(self, f: &Finished) -> String {
        match self {
            Self::Native | Self::Script => job_totals(&f.out),
            _ => pont_totals(&f.out),
        }
    }
}

/// Medians of one contender's runs.
struct Measured {
    who: Contender,
    wall: f64,
    cpu: f64,
    peak_mib: f64,
}

/// The job by every contender, interleaved `reps` times; the totals must agree.
/// Pont's per-item profile follows, from its median run.
pub fn overhead(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    let mut who = vec![
        Contender::Native,
        Contender::Pont,
        Contender::Script,
        Contender::PontDurable,
    ];
    if t.robot_py.is_file() {
        who.push(Contender::PontPython);
    }
    let mut runs: Vec<Vec<Finished>> = who.iter().map(|_| Vec::new()).collect();
    let mut totals = None;
    for rep in 0..s.reps {
        for (i, c) in who.iter().enumerate() {
            let f = c.run(t, sb, &format!("overhead-{rep}-{i}"))?;
            let got = c.totals(&f);
            match &totals {
                None => totals = Some(got),
                Some(want) if *want != got => {
                    bail!("{} disagrees:\n {got}\n expected {want}", c.label())
                }
                Some(_) => {}
            }
            eprintln!(
                "bench: overhead rep {rep}: {} wall {:.2} s, CPU {:.2} s",
                c.label(),
                f.wall.as_secs_f64(),
                f.cpu.as_secs_f64()
            );
            runs[i].push(f);
        }
    }
    let measured: Vec<Measured> = who
        .iter()
        .zip(&runs)
        .map(|(c, r)| Measured {
            who: *c,
            wall: median(r.iter().map(|f| f.wall.as_secs_f64()).collect()),
            cpu: median(r.iter().map(|f| f.cpu.as_secs_f64()).collect()),
            peak_mib: median(r.iter().map(|f| f.peak_kib as f64 / 1024.0).collect()),
        })
        .collect();
    let mut lines = vec![
        format!(
            "Job: page through démarche {DEMARCHE}'s {} dossiers (100 a page) and check each one; \
             median of {} interleaved runs, each a whole process (wall from spawn to exit; CPU \
             user + system from `wait4` of the reaped child; peak RSS sampled). Same totals in all: \
             `{}`.",
            s.dossiers,
            s.reps,
            totals.unwrap_or_default()
        ),
        String::new(),
    ];
    lines.extend(table(&measured, s.dossiers));
    lines.push(String::new());
    lines.extend(targets(&measured, s.dossiers));
    let pont = &runs[who.iter().position(|c| *c == Contender::Pont).unwrap_or(0)];
    if let Some(median_run) = median_by_wall(pont) {
        lines.push(String::new());
        lines.extend(profile_table(&median_run.out));
    }
    Ok(lines)
}

fn table(m: &[Measured], dossiers: usize) -> Lines {
    let native = m.iter().find(|x| x.who == Contender::Native);
    let (nw, nc) = native.map_or((f64::NAN, f64::NAN), |n| (n.wall, n.cpu));
    let per = |secs: f64| secs * 1e6 / dossiers as f64;
    let mut lines = vec![
        "| contender | wall | CPU user+sys | CPU per dossier | peak memory | wall ÷ native | CPU ÷ native |"
            .into(),
        "|---|---|---|---|---|---|---|".into(),
    ];
    for x in m {
        lines.push(format!(
            "| {} | {:.2} s | {:.2} s | {:.0} µs | {:.0} MiB | {:.2}× | {:.2}× |",
            x.who.label(),
            x.wall,
            x.cpu,
            per(x.cpu),
            x.peak_mib,
            x.wall / nw,
            x.cpu / nc
        ));
    }
    lines
}

fn targets(m: &[Measured], dossiers: usize) -> Lines {
    let get = |c| m.iter().find(|x| x.who == c);
    let (Some(p), Some(n), Some(py), Some(d)) = (
        get(Contender::Pont),
        get(Contender::Native),
        get(Contender::Script),
        get(Contender::PontDurable),
    ) else {
        return vec![];
    };
    let per = |secs: f64| secs * 1e6 / dossiers as f64;
    vec![
        format!(
            "- What Pont adds per dossier (Pont − native): {:.0} µs of wall, {:.0} µs of CPU.",
            per(p.wall - n.wall),
            per(p.cpu - n.cpu)
        ),
        format!(
            "- Pont's CPU ÷ native's = **{:.2}×** (target ≤ 2×): {}; ÷ the Python script's = {:.2}× (target ≤ 0.5×).",
            p.cpu / n.cpu,
            met(p.cpu / n.cpu <= 2.0),
            p.cpu / py.cpu
        ),
        format!(
            "- Pont's wall ÷ native's = **{:.2}×** (target ≤ 1.10×): {}; ÷ the Python script's = {:.2}× (target ≤ 0.7×).",
            p.wall / n.wall,
            met(p.wall / n.wall <= 1.10),
            p.wall / py.wall
        ),
        format!(
            "- Non-idempotent (durable claim) ÷ idempotent = **{:.2}×** wall, {:.2}× CPU (target within 1.5×): {}.",
            d.wall / p.wall,
            d.cpu / p.cpu,
            met(d.wall / p.wall <= 1.5 && d.cpu / p.cpu <= 1.5)
        ),
    ]
}

fn median_by_wall(runs: &[Finished]) -> Option<&Finished> {
    let mut sorted: Vec<&Finished> = runs.iter().collect();
    sorted.sort_by_key(|f| f.wall);
    sorted.get(sorted.len() / 2).copied()
}

/// The `profile` of a `pont run --json` summary, as a table of µs per item.
pub fn profile_table(summary: &Value) -> Lines {
    let p = &summary["profile"];
    let Some(phases) = p["phases"].as_array() else {
        return vec!["(this `pont` prints no per-item profile)".into()];
    };
    let mut lines = vec![
        format!(
            "Where `pont run`'s time goes per item (its `profile`, the median run above, {} \
             attempts; wall time on the thread that ran each phase; `process` includes the \
             robot's capability calls, whose audit records are also counted under \
             `audit`; `audit-sync` runs beside the items, on a thread of its own):",
            p["attempts"]
        ),
        String::new(),
        "| phase | µs per item | calls | total |".into(),
        "|---|---|---|---|".into(),
    ];
    for ph in phases {
        lines.push(format!(
            "| {} | {:.1} | {} | {:.1} ms |",
            ph["phase"].as_str().unwrap_or("?"),
            ph["per_item_us"].as_f64().unwrap_or(f64::NAN),
            ph["calls"],
            ph["total_us"].as_f64().unwrap_or(f64::NAN) / 1e3
        ));
    }
    lines
}

/// The sandbox's fault dice for the fault run: 20 % of GraphQL requests fail,
/// half with a 500 before anything is applied, a quarter dropped before they
/// are handled, a quarter dropped after (the client never learns the outcome).
fn twenty_percent() -> Value {
    serde_json::json!({
        "error_rate": 0.10,
        "drop_rate": 0.05,
        "drop_after_rate": 0.05,
        "seed": 18,
    })
}

/// Throughput of the `read` job (one DS read per item) without and with 20 %
/// injected DS faults, at `--parallel 4`, and the time spent waiting to retry.
pub async fn faults(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    let list: Vec<i64> = (1..=s.throughput_items as i64)
        .map(|i| DEMARCHE * 100_000 + i)
        .collect();
    let job = PontJob {
        parallel: 4,
        allow_failed: true,
        ..PontJob::new("read", Queue::Dossiers(list))
    };
    let clean = runs::pont(t, &sb.ds_url, &job, "faults-0")?;
    sb.faults(twenty_percent()).await?;
    let faulty = runs::pont(t, &sb.ds_url, &job, "faults-20");
    sb.faults(serde_json::json!({})).await?;
    let faulty = faulty?;
    let n = s.throughput_items as f64;
    let rate = |f: &Finished| n / f.wall.as_secs_f64();
    let retry = |f: &Finished| f.out["profile"]["ds_retry_wait_ms"].as_f64().unwrap_or(0.0) / 1e3;
    let backoff = |f: &Finished| {
        f.out["profile"]["phases"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["phase"] == "backoff"))
            .and_then(|p| p["total_us"].as_f64())
            .unwrap_or(0.0)
            / 1e6
    };
    let row = |name: &str, f: &Finished| {
        format!(
            "| {name} | {:.2} s | {:.0} | {:.2} s | {:.1} s | {:.1} s | {} | {} |",
            f.wall.as_secs_f64(),
            rate(f),
            f.cpu.as_secs_f64(),
            retry(f),
            backoff(f),
            f.out["done"],
            f.out["failed"]
        )
    };
    let ratio = rate(&faulty) / rate(&clean);
    Ok(vec![
        format!(
            "{} items, each reading its dossier through the `ds` capability (one DS request per \
             item, besides the pages of nothing: the list is given), `--parallel 4`; then the \
             same with 20 % of DS requests failing (10 % HTTP 500, 5 % connections dropped \
             before and 5 % after the request was handled). Retry wait: the DS client's \
             backoff and 429 pauses summed over requests (items in parallel overlap); item \
             backoff: the runner's sleeps before an item's next attempt.",
            s.throughput_items
        ),
        String::new(),
        "| DS faults | wall | items/s | CPU | DS retry wait | item backoff | done | failed |"
            .into(),
        "|---|---|---|---|---|---|---|---|".into(),
        row("none", &clean),
        row("20 %", &faulty),
        String::new(),
        format!(
            "- Throughput under 20 % faults ÷ fault-free = **{ratio:.2}×** (target ≥ 0.5×): {}.",
            met(ratio >= 0.5)
        ),
    ])
}
