//! The client against DS's real answers, from the simulator's fault controls:
//! a page with a dossier DS cannot compute keeps the others, a page too slow
//! for DS's timeout is asked again smaller, a value added after the schema
//! decodes as unknown, and an expired file URL is refreshed once.

mod permits;

use pont_ds::{ChampValue, DossierFilter, DossierState, DsClient, DsError, DsFile};
use pont_sandbox::fidelity::NewValues;
use pont_sandbox::{AttachmentSpec, Faults, Sandbox, SandboxConfig};

async fn start(dossiers: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        dossiers_per_demarche: dossiers,
        rate_limit: 100_000,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn client(sb: &Sandbox) -> DsClient {
    DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap()
}

const D: i64 = 101;

/// The numbers of démarche 101's listed dossiers, sorted, read in one page.
async fn listed(c: &DsClient) -> Vec<i64> {
    let page = c
        .dossiers(&permits::listing(D), D, &first(100), None)
        .await
        .unwrap();
    assert!(!page.has_next_page && page.unread.is_empty());
    let mut numbers: Vec<i64> = page.items.iter().map(|d| d.number).collect();
    numbers.sort_unstable();
    numbers
}

fn first(n: u32) -> DossierFilter {
    DossierFilter {
        first: Some(n),
        ..DossierFilter::default()
    }
}

#[tokio::test]
async fn a_dossier_with_a_field_error_is_reported_alone_and_the_page_kept() {
    let sb = start(12).await;
    let c = client(&sb);
    let listed = listed(&c).await;
    let bad = listed[4];
    sb.world().set_faults(Faults {
        invalid_null: vec![bad],
        ..Faults::default()
    });
    let page = c
        .dossiers(&permits::listing(D), D, &first(100), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), listed.len() - 1);
    assert!(page.items.iter().all(|d| d.number != bad));
    assert_eq!(page.unread.len(), 1, "{:?}", page.unread);
    assert_eq!(page.unread[0].number, bad);
    assert!(
        page.unread[0].reason.contains("invalid_null"),
        "{}",
        page.unread[0].reason
    );
}

#[tokio::test]
async fn a_page_that_times_out_is_asked_again_at_half_its_size() {
    let sb = start(60).await;
    let listed = listed(&client(&sb)).await;
    assert!(listed.len() > 50, "{}", listed.len());
    sb.world().set_faults(Faults {
        slow_dossier_ms: 10,
        timeout_ms: 300,
        ..Faults::default()
    });
    let c = client(&sb);
    let mut cursor = c.page_cursor();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    while let Some(page) = c
        .next_dossiers(&permits::listing(D), D, &first(100), &mut cursor)
        .await
        .unwrap()
    {
        sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|d| d.number));
    }
    // The whole démarche (asked as 100) and 50 time out; pages of 25 come back.
    assert!(sizes.iter().all(|s| *s <= 25), "{sizes:?}");
    seen.sort_unstable();
    assert_eq!(seen, listed, "{sizes:?}");
}

#[tokio::test]
async fn a_page_of_one_that_still_times_out_is_an_error_that_says_so() {
    let sb = start(3).await;
    sb.world().set_faults(Faults {
        slow_dossier_ms: 50,
        timeout_ms: 10,
        ..Faults::default()
    });
    let err = client(&sb)
        .dossiers(&permits::listing(D), D, &first(100), None)
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Unavailable(_)), "{err}");
    assert!(err.to_string().contains("page of one dossier"), "{err}");
}

#[tokio::test]
async fn values_ds_added_later_decode_as_unknown_and_are_named() {
    let sb = start(3).await;
    let odd = D * 100_000 + 2;
    sb.world().set_faults(Faults {
        new_values: Some(NewValues {
            dossier: odd,
            state: Some("en_attente".into()),
            champ_type: Some("NouveauChamp".into()),
        }),
        ..Faults::default()
    });
    let c = client(&sb);
    let page = c
        .dossiers(&permits::listing(D), D, &first(3), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    for d in &page.items {
        if d.number == odd {
            assert_eq!(d.state, DossierState::Unknown);
            assert!(matches!(d.champs[0].value, ChampValue::Unknown(_)));
            let why = d.review_reason().expect("a reason");
            assert!(why.contains("state `en_attente`"), "{why}");
        } else {
            assert!(d.unknown.is_empty(), "{:?}", d.unknown);
        }
    }
}

/// A dossier of démarche 105 with one small attachment, and that file as DS lists it.
async fn attachment(sb: &Sandbox, c: &DsClient) -> (i64, DsFile) {
    let number = 105 * 100_000 + 1;
    let spec = AttachmentSpec {
        dossier: number,
        size: 2048,
        corrupt: false,
        filename: Some("piece.pdf".into()),
    };
    sb.world().attach(&spec).unwrap();
    let d = c.dossier(&permits::read(number), number).await.unwrap();
    let file = d
        .champs
        .iter()
        .find_map(|ch| match &ch.value {
            ChampValue::Files(f) => f.iter().find(|f| f.filename == "piece.pdf").cloned(),
            _ => None,
        })
        .expect("the attachment");
    (number, file)
}

#[tokio::test]
async fn an_expired_url_is_refreshed_once_then_reported() {
    let sb = start(2).await;
    let c = client(&sb);
    let (number, file) = attachment(&sb, &c).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("piece.pdf");
    sb.world().set_faults(Faults {
        expired_urls: 1,
        ..Faults::default()
    });
    let plain = c.download(&permits::read(number), &file, &dest).await;
    assert!(matches!(plain, Err(DsError::UrlExpired(_))), "{plain:?}");
    sb.world().set_faults(Faults {
        expired_urls: 1,
        ..Faults::default()
    });
    let done = c
        .download_fresh(&permits::read(number), number, &file, &dest)
        .await
        .unwrap();
    assert_eq!(done.size, 2048);
    sb.world().set_faults(Faults {
        expired_urls: 5,
        ..Faults::default()
    });
    let err = c
        .download_fresh(&permits::read(number), number, &file, &dest)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired too"), "{err}");
    assert_eq!(sb.world().lock().faults.expired_urls, 3);
}
