//! The benchmark's job as a native Rust program on `pont-ds`, without the
//! sandbox: page through a démarche's dossiers (100 a page) and check each
//! one with the same rule as the bench robot (`tests/fixtures/bench-robot`)
//! and the Python job. Prints one JSON line of totals and the elapsed seconds.
//!
//! Usage: `native-job ENDPOINT TOKEN DEMARCHE [REQUESTS_PER_MINUTE]`

use std::time::Instant;

use anyhow::{Context, bail};
use pont_ds::{Budget, ChampValue, Dossier, DossierFilter, DsClient};
use pont_policy::{Action, DsAction, EffectivePolicy, Gate};

/// More pages than any benchmark démarche has: the loop is bounded.
const MAX_PAGES: usize = 10_000;

/// FNV-1a, 64 bits, as in the bench robot.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn siret_ok(siret: &str) -> bool {
    if siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = siret
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[derive(Default)]
struct Totals {
    dossiers: u64,
    ok: u64,
    files: u64,
    cents: i64,
    rows: u64,
    digest_sum: u64,
}

/// The bench robot's rule, on `pont-ds`'s model instead of the WIT one.
fn check(d: &Dossier, t: &mut Totals) {
    let (mut siret, mut files, mut cents, mut rows) = (false, 0u64, 0i64, 0u64);
    let mut digest = fnv(0xcbf2_9ce4_8422_2325, d.id.as_bytes());
    for c in &d.champs {
        digest = fnv(digest, c.id.as_bytes());
        digest = fnv(digest, c.label.as_bytes());
        match &c.value {
            ChampValue::Siret(e) => siret |= siret_ok(&e.siret),
            ChampValue::Files(f) => files += f.len() as u64,
            ChampValue::Decimal(x) => cents += (x * 100.0 + 0.5).floor() as i64,
            ChampValue::Integer(n) => cents += n * 100,
            _ => {}
        }
        rows += c.rows.len() as u64;
    }
    t.dossiers += 1;
    t.ok += u64::from(siret && files > 0);
    t.files += files;
    t.cents += cents;
    t.rows += rows;
    t.digest_sum = t.digest_sum.wrapping_add(digest);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, token, demarche, rest @ ..] = args.as_slice() else {
        bail!("usage: native-job ENDPOINT TOKEN DEMARCHE [REQUESTS_PER_MINUTE]");
    };
    let demarche: i64 = demarche.parse().context("DEMARCHE")?;
    let rpm: u32 = match rest.first() {
        Some(r) => r.parse().context("REQUESTS_PER_MINUTE")?,
        None => 1_000_000,
    };
    let started = Instant::now();
    let client = DsClient::builder(endpoint.as_str(), token.as_str())
        .budget(Budget {
            requests: rpm,
            per: std::time::Duration::from_secs(60),
        })
        .build()?;
    let filter = DossierFilter {
        first: Some(100),
        ..DossierFilter::default()
    };
    // pont-ds takes a permit for each request, so the baseline asks a gate
    // too (DS reads of this démarche only, audited to a temporary file).
    let audit = tempfile::tempdir()?;
    let policy = EffectivePolicy::ds_only("native-job", &[demarche], &[DsAction::Read]);
    let gate = Gate::for_tool("native-job", policy, &audit.path().join("audit.jsonl"))?;
    let listing = Action::DsRead {
        what: "dossiers",
        demarche: Some(demarche),
        dossier: None,
    };
    let mut totals = Totals::default();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let permit = gate.authorize(None, &listing)?;
        let page = client
            .dossiers(&permit, demarche, &filter, after.as_deref())
            .await?;
        for d in &page.items {
            check(d, &mut totals);
        }
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    let out = serde_json::json!({
        "dossiers": totals.dossiers,
        "ok": totals.ok,
        "files": totals.files,
        "cents": totals.cents,
        "rows": totals.rows,
        "digest_sum": format!("{:016x}", totals.digest_sum),
        "secs": started.elapsed().as_secs_f64(),
    });
    println!("{out}");
    Ok(())
}
