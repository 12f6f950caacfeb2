//! The Python robot (issue 21): the bench robot's `check` job written in
//! Python (`tests/fixtures/bench-py`, built by componentize-py), measured
//! beside the Rust robot and the plain Python script on the same dossiers,
//! so an author choosing Python sees what it costs: component size, first
//! compile, warm start, memory per instance and time per dossier.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::runs::{self, PontJob, Queue, Tools};
use crate::sandbox::Sandbox;
use crate::suite::{self, DEMARCHE, Lines, Sizes, median};

/// Everything measured of the Python robot, as one report section.
pub async fn python_robot(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    if !t.robot_py.is_file() {
        bail!(
            "{} is missing (benches/run builds it with componentize-py)",
            t.robot_py.display()
        );
    }
    let mut lines = vec![first_compile(t)?];
    lines.push(warm_start(t, sb, s.warm_starts)?);
    lines.push(memory(t, sb).await?);
    lines.push(String::new());
    lines.extend(per_dossier(t, sb, s)?);
    Ok(lines)
}

/// Size of the component, and `pont compile` into the suite's cache (which
/// every later run of the Python robot starts from), timed as a process.
fn first_compile(t: &Tools) -> anyhow::Result<String> {
    let size = std::fs::metadata(&t.robot_py)?.len();
    let started = Instant::now();
    let status = Command::new(&t.pont)
        .arg("compile")
        .arg(&t.robot_py)
        .arg("--cache-dir")
        .arg(&t.cache)
        .status()
        .context("running pont compile")?;
    if !status.success() {
        bail!("pont compile {} failed: {status}", t.robot_py.display());
    }
    Ok(format!(
        "- bench-py: component **{:.1} MiB**; first compile (`pont compile`, release, empty \
         cache): **{:.1} s**.",
        size as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    ))
}

/// A one-dossier run from the warm cache, whole process, Python against Rust.
fn warm_start(t: &Tools, sb: &Sandbox, reps: usize) -> anyhow::Result<String> {
    let (mut py, mut rust) = (vec![], vec![]);
    for i in 0..reps.max(1) {
        for python in [true, false] {
            let job = PontJob {
                python,
                ..PontJob::new("check", Queue::Dossiers(vec![DEMARCHE * 100_000 + 1]))
            };
            let tag = format!("warm-py-{i}-{python}");
            let ms = runs::pont(t, &sb.ds_url, &job, &tag)?.wall.as_secs_f64() * 1e3;
            if python { py.push(ms) } else { rust.push(ms) }
        }
    }
    Ok(format!(
        "- Warm start (compiled component in the cache), a whole one-dossier `pont run`, \
         median of {}: Python **{:.0} ms**, Rust {:.0} ms.",
        reps.max(1),
        median(py),
        median(rust)
    ))
}

/// Memory per concurrently running Python instance, as the suite measures
/// the Rust robot's: the slope of the peak RSS between 8 and 32 instances
/// each held 300 ms in a DS call.
async fn memory(t: &Tools, sb: &Sandbox) -> anyhow::Result<String> {
    sb.latency(300).await?;
    let measured = [8u16, 32]
        .into_iter()
        .map(|p| Ok((p, suite::held(t, sb, p, true)?)))
        .collect::<anyhow::Result<Vec<(u16, f64)>>>();
    sb.latency(0).await?;
    let [(p1, m1), (p2, m2)] = measured?[..] else {
        bail!("two memory levels expected");
    };
    let per = (m2 - m1) / f64::from(p2 - p1);
    Ok(format!(
        "- Memory per concurrently running Python instance: **{per:.1} MiB** (peak RSS \
         `--parallel {p1}`: {m1:.0} MiB, `--parallel {p2}`: {m2:.0} MiB)."
    ))
}

/// The benchmark job by the Rust robot, the Python robot and the Python
/// script, interleaved `reps` times; the three must find the same totals.
fn per_dossier(t: &Tools, sb: &Sandbox, s: Sizes) -> anyhow::Result<Lines> {
    let (mut rust, mut py, mut script) = (vec![], vec![], vec![]);
    for rep in 0..s.reps {
        let job = |python| PontJob {
            python,
            ..PontJob::new("check", Queue::Demarche(DEMARCHE))
        };
        let r = runs::pont(t, &sb.ds_url, &job(false), &format!("py-rust-{rep}"))?;
        let p = runs::pont(t, &sb.ds_url, &job(true), &format!("py-robot-{rep}"))?;
        let j = runs::python(t, &sb.ds_url, DEMARCHE)?;
        let (tr, tp, tj) = (
            suite::pont_totals(&r.out),
            suite::pont_totals(&p.out),
            suite::job_totals(&j.out),
        );
        if tr != tp || tr != tj {
            bail!("the jobs disagree:\n rust robot {tr}\n python robot {tp}\n script {tj}");
        }
        eprintln!(
            "bench: python rep {rep}: rust robot {:.2} s, python robot {:.2} s, script {:.2} s",
            r.wall.as_secs_f64(),
            p.wall.as_secs_f64(),
            j.wall.as_secs_f64()
        );
        rust.push(r.wall.as_secs_f64());
        py.push(p.wall.as_secs_f64());
        script.push(j.wall.as_secs_f64());
    }
    let (r, p, j) = (median(rust), median(py), median(script));
    let per = |secs: f64| secs * 1e6 / s.dossiers as f64;
    Ok(vec![
        format!(
            "The benchmark job (démarche {DEMARCHE}, {} dossiers, `check`), median of {} \
             interleaved runs, whole process; the same totals in all three.",
            s.dossiers, s.reps
        ),
        String::new(),
        "| contender | time | per dossier | ratio to the Rust robot |".into(),
        "|---|---|---|---|".into(),
        format!(
            "| `pont run`, Rust robot | {r:.2} s | {:.0} µs | 1.00× |",
            per(r)
        ),
        format!(
            "| `pont run`, Python robot (bench-py) | {p:.2} s | {:.0} µs | {:.2}× |",
            per(p),
            p / r
        ),
        format!(
            "| Python 3 script + `requests` | {j:.2} s | {:.0} µs | {:.2}× |",
            per(j),
            j / r
        ),
    ])
}
