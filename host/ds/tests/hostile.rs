//! The client against a hostile DS (the simulator's fault controls): a huge
//! answer, cursors that never advance or come back, attachments larger than
//! declared or declared 0. Each case must end with a clear error, quickly,
//! without holding more than the configured limit.

mod permits;

use std::collections::HashSet;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use pont_ds::{ChampValue, DossierFilter, DsClient, DsError, DsFile, DsLimits, RetryPolicy};
use pont_sandbox::{AttachmentSpec, CursorFault, Faults, FileLie, Sandbox, SandboxConfig};

const MIB: u64 = 1024 * 1024;
/// Démarche 101 has a pièce-justificative champ; this is its first dossier.
const DOSSIER: i64 = 10_100_001;

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 40,
        rate_limit: 100_000,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn client(sb: &Sandbox, limits: DsLimits) -> DsClient {
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .retry(retry)
        .limits(limits)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Runs `f`, failing the test if it takes more than 20 s: a hang is a bug.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("the client hung on a hostile DS")
}

fn set_faults(sb: &Sandbox, f: Faults) {
    sb.world().set_faults(f);
}

/// GraphQL requests the sandbox answered (429s excluded).
fn requests(sb: &Sandbox) -> u32 {
    sb.world().request_counts().iter().map(|r| r.allowed).sum()
}

/// Dossiers of démarche 101 that a listing shows (some are hidden, pending deletion).
fn listed(sb: &Sandbox) -> usize {
    let st = sb.world().lock();
    st.dossiers
        .values()
        .filter(|d| d.demarche == 101 && d.hidden_at.is_none())
        .count()
}

fn ten_per_page() -> DossierFilter {
    DossierFilter {
        first: Some(10),
        ..DossierFilter::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_stops_at_the_default_cap_and_is_not_retried() {
    let sb = start().await;
    let c = client(&sb, DsLimits::default());
    c.demarche(&permits::listing(101), 101)
        .await
        .expect("an honest answer passes");
    set_faults(
        &sb,
        Faults {
            huge_body_bytes: 256 * MIB,
            ..Faults::default()
        },
    );
    let before = requests(&sb);
    let started = Instant::now();
    let err = bounded(c.demarche(&permits::listing(101), 101))
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Limit(_)), "{err:?}");
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
    assert!(err.to_string().contains(&(32 * MIB).to_string()), "{err}");
    assert_eq!(requests(&sb) - before, 1, "a limit is not retried");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_cap_applies_to_every_answer() {
    let sb = start().await;
    let c = client(
        &sb,
        DsLimits {
            max_response_bytes: 64 * 1024,
            ..DsLimits::default()
        },
    );
    assert_eq!(c.limits().max_response_bytes, 64 * 1024);
    c.dossier_status(&permits::read(DOSSIER), DOSSIER)
        .await
        .expect("a small answer fits");
    set_faults(
        &sb,
        Faults {
            huge_body_bytes: 65 * 1024,
            ..Faults::default()
        },
    );
    let err = bounded(c.dossier_status(&permits::read(DOSSIER), DOSSIER))
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Limit(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_limits_are_a_configuration_error() {
    let sb = start().await;
    let built = DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .limits(DsLimits {
            max_pages: 0,
            ..DsLimits::default()
        })
        .build();
    assert!(matches!(built, Err(DsError::Config(_))), "{built:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_listing_reads_every_dossier_once() {
    let sb = start().await;
    let c = client(&sb, DsLimits::default());
    let mut cursor = c.page_cursor();
    let mut numbers = Vec::new();
    while let Some(page) =
        bounded(c.next_dossiers(&permits::listing(101), 101, &ten_per_page(), &mut cursor))
            .await
            .unwrap()
    {
        numbers.extend(page.items.iter().map(|d| d.number));
    }
    let unique: HashSet<i64> = numbers.iter().copied().collect();
    let n = listed(&sb);
    assert!(n > 30, "{n}");
    assert_eq!((numbers.len(), unique.len()), (n, n));
    assert_eq!(cursor.pages() as usize, n.div_ceil(10));
}

/// Loops the way a naive caller (or the runner's queue) does, page after
/// page with `after = endCursor`, and returns the error it must end with.
async fn naive_listing(c: &DsClient) -> (DsError, usize) {
    let mut after: Option<String> = None;
    for pages in 1..=50 {
        match c
            .dossiers(
                &permits::listing(101),
                101,
                &ten_per_page(),
                after.as_deref(),
            )
            .await
        {
            Ok(page) => after = page.end_cursor,
            Err(e) => return (e, pages),
        }
    }
    panic!("the listing did not end within 50 pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_cursor_ends_the_listing_with_an_error() {
    let sb = start().await;
    set_faults(
        &sb,
        Faults {
            cursor: CursorFault::Repeat,
            ..Faults::default()
        },
    );
    let c = client(&sb, DsLimits::default());
    let (err, pages) = bounded(naive_listing(&c)).await;
    assert!(matches!(err, DsError::Pagination(_)), "{err:?}");
    assert!(err.to_string().contains("did not advance"), "{err}");
    assert_eq!(pages, 2, "the second page repeats the first one's cursor");
    let mut cursor = c.page_cursor();
    let err = bounded(async {
        loop {
            if let Err(e) = c
                .next_dossiers(&permits::listing(101), 101, &ten_per_page(), &mut cursor)
                .await
            {
                return e;
            }
        }
    })
    .await;
    assert!(matches!(err, DsError::Pagination(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_pages_without_a_cursor_end_the_listing_with_an_error() {
    let sb = start().await;
    set_faults(
        &sb,
        Faults {
            cursor: CursorFault::Missing,
            ..Faults::default()
        },
    );
    let c = client(&sb, DsLimits::default());
    let (err, pages) = bounded(naive_listing(&c)).await;
    assert!(matches!(err, DsError::Pagination(_)), "{err:?}");
    assert!(err.to_string().contains("endCursor is empty"), "{err}");
    assert_eq!(pages, 1);
    let err = bounded(c.deleted_dossiers(&permits::listing(101), 101, None, None, Some(1)))
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Pagination(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_cycle_over_several_pages_is_caught_by_the_page_cursor() {
    let sb = start().await;
    set_faults(
        &sb,
        Faults {
            cursor: CursorFault::Cycle,
            ..Faults::default()
        },
    );
    let c = client(&sb, DsLimits::default());
    let mut cursor = c.page_cursor();
    let mut numbers = Vec::new();
    let err = bounded(async {
        loop {
            match c
                .next_dossiers(&permits::listing(101), 101, &ten_per_page(), &mut cursor)
                .await
            {
                Ok(Some(page)) => numbers.extend(page.items.iter().map(|d| d.number)),
                Ok(None) => panic!("a cycling listing never finishes"),
                Err(e) => return e,
            }
        }
    })
    .await;
    assert!(matches!(err, DsError::Pagination(_)), "{err:?}");
    assert!(err.to_string().contains("repeats"), "{err}");
    // The true pages, then one that starts over and repeats the first cursor.
    let n = listed(&sb);
    assert_eq!(cursor.pages() as usize, n.div_ceil(10) + 1);
    assert_eq!(numbers.len(), n, "each page's dossiers came once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_ceiling_stops_a_listing_that_never_ends() {
    let sb = start().await;
    let c = client(
        &sb,
        DsLimits {
            max_pages: 2,
            ..DsLimits::default()
        },
    );
    let mut cursor = c.page_cursor();
    let first = c
        .next_dossiers(&permits::listing(101), 101, &ten_per_page(), &mut cursor)
        .await;
    assert_eq!(first.unwrap().unwrap().items.len(), 10);
    let err = bounded(c.next_dossiers(&permits::listing(101), 101, &ten_per_page(), &mut cursor))
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Limit(_)), "{err:?}");
    assert!(err.to_string().contains("max_pages"), "{err}");
}

/// Adds a generated file of `size` bytes described by `lie`, and reads it
/// back through the client as DS describes it.
async fn lying_file(sb: &Sandbox, c: &DsClient, size: u64, lie: FileLie) -> DsFile {
    let spec = AttachmentSpec {
        filename: Some("hostile.bin".into()),
        ..AttachmentSpec::new(DOSSIER, size)
    };
    sb.world().attach_lying(&spec, lie).unwrap();
    let d = c.dossier(&permits::read(DOSSIER), DOSSIER).await.unwrap();
    d.champs
        .iter()
        .filter_map(|ch| match &ch.value {
            ChampValue::Files(f) => Some(f.clone()),
            _ => None,
        })
        .flatten()
        .find(|f| f.filename == "hostile.bin")
        .expect("the attachment is on the dossier")
}

fn capped(max_download_bytes: u64) -> DsLimits {
    DsLimits {
        max_download_bytes,
        ..DsLimits::default()
    }
}

fn empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

/// Downloads a file `lie` misdescribes and returns the error, checking that
/// nothing (not even the `.part`) is left and that it took little time.
async fn refused(size: u64, lie: FileLie, limits: DsLimits) -> DsError {
    let sb = start().await;
    let c = client(&sb, limits);
    let file = lying_file(&sb, &c, size, lie).await;
    assert_eq!(Some(file.byte_size), lie.declared_size);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let result = bounded(c.download(&permits::read(0), &file, &dir.path().join("out.bin"))).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(empty(dir.path()), "nothing left behind");
    result.unwrap_err()
}

fn lie(declared_size: u64, hide_length: bool) -> FileLie {
    FileLie {
        declared_size: Some(declared_size),
        hide_length,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_declared_zero_stops_at_the_global_cap_while_streaming() {
    let err = refused(16 * MIB, lie(0, true), capped(MIB)).await;
    assert!(matches!(err, DsError::Limit(_)), "{err:?}");
    assert!(err.to_string().contains("max_download_bytes"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_declared_zero_with_a_large_length_is_refused_before_reading() {
    let err = refused(16 * MIB, lie(0, false), capped(MIB)).await;
    assert!(matches!(err, DsError::Limit(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_larger_than_declared_is_an_integrity_error_while_streaming() {
    let err = refused(4 * MIB, lie(1000, true), DsLimits::default()).await;
    assert!(matches!(err, DsError::InvalidFile(_)), "{err:?}");
    assert!(err.to_string().contains("size mismatch"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_larger_than_declared_by_its_length_is_refused_before_reading() {
    let err = refused(4 * MIB, lie(1000, false), DsLimits::default()).await;
    assert!(matches!(err, DsError::InvalidFile(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_smaller_than_declared_is_still_an_integrity_error() {
    let err = refused(1000, lie(5000, true), DsLimits::default()).await;
    assert!(matches!(err, DsError::InvalidFile(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_declared_over_the_cap_is_refused_without_downloading() {
    let err = refused(1000, lie(2 * MIB, false), capped(MIB)).await;
    assert!(matches!(err, DsError::Limit(_)), "{err:?}");
    assert!(err.to_string().contains("declared"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_declared_zero_under_the_cap_downloads_and_is_checksummed() {
    let sb = start().await;
    let c = client(&sb, capped(MIB));
    let file = lying_file(&sb, &c, 300_000, lie(0, true)).await;
    assert_eq!(file.byte_size, 0);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.bin");
    let size = bounded(c.download(&permits::read(0), &file, &dest))
        .await
        .unwrap();
    assert_eq!(size, 300_000);
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), 300_000);
    let forged = DsFile {
        checksum: "1B2M2Y8AsgTpgAmY7PHvCg==".into(),
        ..file
    };
    let err = bounded(c.download(&permits::read(0), &forged, &dir.path().join("forged.bin")))
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::InvalidFile(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_to_a_mutation_leaves_its_outcome_unknown_not_failed() {
    let sb = start().await;
    let c = client(
        &sb,
        DsLimits {
            max_response_bytes: MIB,
            ..DsLimits::default()
        },
    );
    let key = c
        .dossier_key(&permits::read(DOSSIER), DOSSIER)
        .await
        .unwrap();
    let instructeur = c
        .resolve_instructeur(
            &permits::listing(101),
            101,
            "agent1.g1.chorus-subvention@sandbox.gouv.fr",
        )
        .await
        .unwrap();
    set_faults(
        &sb,
        Faults {
            huge_body_bytes: 8 * MIB,
            ..Faults::default()
        },
    );
    let err = bounded(c.passer_en_instruction(
        &permits::act(pont_policy::DsAction::PasserEnInstruction, key.number),
        &key,
        &instructeur,
        true,
    ))
    .await
    .unwrap_err();
    // DS may have applied it before answering too much: the caller must re-check.
    assert!(matches!(err, DsError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
}
