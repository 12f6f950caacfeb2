//! DS's 429 as DS really sends it (no `Retry-After`; `RateLimit-Reset` by
//! DS's clock), against the simulator with its clock off the host's: the
//! client waits for DS's window to end, measured by DS's `Date`, so it
//! neither waits the clock offset too long nor retries into the same
//! window. And the error classes: what is retried and what is not.

mod permits;

use std::time::{Duration, Instant};

use pont_ds::{Budget, DsClient, DsError, RetryPolicy};
use pont_sandbox::{Faults, Sandbox, SandboxConfig, TokenSpec};

const LIMIT: u32 = 3;
const WINDOW: u64 = 2;
const CALLS: usize = 8;

/// A sandbox allowing [`LIMIT`] requests per [`WINDOW`] seconds, its clock
/// `offset` seconds off the host's, and a token of the test's own.
async fn sandbox(offset: i64, token: &str) -> Sandbox {
    let sb = Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sb.world().set_rate_limit(LIMIT, WINDOW);
    sb.world().set_faults(Faults {
        clock_offset_secs: offset,
        ..Faults::default()
    });
    sb.world().upsert_token(TokenSpec {
        token: token.into(),
        write: false,
        demarches: None,
        expires_at: None,
    });
    sb
}

/// A client whose own budget is out of the way, so DS's 429 is met.
fn client(sb: &Sandbox, token: &str) -> DsClient {
    DsClient::builder(sb.ds_url(), token)
        .budget(Budget {
            requests: 100_000,
            per: Duration::from_secs(60),
        })
        .retry(RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// Makes [`CALLS`] reads one after the other; returns how long they took.
async fn read_through_the_limit(c: &DsClient) -> Duration {
    let started = Instant::now();
    for _ in 0..CALLS {
        let s = c.dossier_status(&permits::read(10100001), 10100001).await;
        assert!(s.is_ok(), "{s:?}");
    }
    started.elapsed()
}

/// Every window of the sandbox: at most the limit answered, at most one
/// 429 (the one that made the client wait); returns the 429s.
fn assert_windows_respected(sb: &Sandbox, token: &str) -> u32 {
    let counts: Vec<_> = sb
        .world()
        .request_counts()
        .into_iter()
        .filter(|c| c.token == token)
        .collect();
    for c in &counts {
        assert!(c.allowed <= LIMIT, "window {}: {c:?}", c.window_start);
        assert!(
            c.throttled <= 1,
            "window {} answered {} 429s: the client retried into the window it was told to wait out",
            c.window_start,
            c.throttled
        );
    }
    let allowed: u32 = counts.iter().map(|c| c.allowed).sum();
    assert_eq!(allowed as usize, CALLS, "every read was answered once");
    counts.iter().map(|c| c.throttled).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_a_ds_30_s_ahead_is_waited_out_by_ds_s_clock() {
    let token = "rate-ahead";
    let sb = sandbox(30, token).await;
    let took = read_through_the_limit(&client(&sb, token)).await;
    let throttled = assert_windows_respected(&sb, token);
    assert!(
        throttled >= 1,
        "the limit was reached (else nothing is shown)"
    );
    // 8 reads at 3 per 2 s span at most 4 windows (8 s) plus the floor;
    // waiting by the host's clock would have added 30 s at the first 429.
    assert!(took < Duration::from_secs(14), "took {took:?}");
    assert!(
        took >= Duration::from_secs(2),
        "took {took:?}: a window was skipped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_a_ds_30_s_behind_is_not_met_by_hammering() {
    let token = "rate-behind";
    let sb = sandbox(-30, token).await;
    let took = read_through_the_limit(&client(&sb, token)).await;
    // By the host's clock this window ended 30 s ago: a client trusting it
    // would resend at once and draw a 429 after another.
    let throttled = assert_windows_respected(&sb, token);
    assert!(throttled >= 1);
    assert!(took < Duration::from_secs(14), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_not_retried_and_say_why_on_one_line() {
    let sb = sandbox(0, "rate-classes").await;
    sb.world().set_rate_limit(100_000, 60);
    type Expected = fn(&DsError) -> bool;
    let cases: [(&str, Expected); 2] = [
        (
            "not-a-token",
            |e| matches!(e, DsError::Forbidden(m) if m.contains("unknown or revoked")),
        ),
        ("sandbox-expired", |e| matches!(e, DsError::TokenExpired(_))),
    ];
    for (token, expected) in cases {
        let before = sb.world().received.all().len();
        let err = client(&sb, token)
            .dossier_status(&permits::read(10100001), 10100001)
            .await
            .unwrap_err();
        assert!(expected(&err), "{token}: {err:?}");
        assert!(!err.to_string().contains('\n'), "{err}");
        let sent = sb.world().received.all().len() - before;
        assert_eq!(sent, 1, "{token}: a refusal is not retried");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_they_pass() {
    let sb = sandbox(0, "rate-5xx").await;
    sb.world().set_rate_limit(100_000, 60);
    sb.world().set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let c = client(&sb, "rate-5xx");
    let err = c
        .dossier_status(&permits::read(10100001), 10100001)
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Unavailable(_)), "{err:?}");
    assert_eq!(
        sb.world().received.all().len(),
        RetryPolicy::default().max_attempts as usize,
        "a 500 is retried, up to the policy's attempts"
    );
}
