//! The client against the DS simulator (`pont-sandbox`): real HTTP on
//! loopback, DS's pagination, rate limit, faults, state machine and upload.

mod permits;

use std::collections::HashSet;
use std::time::Duration;

use pont_ds::{
    Budget, ChampValue, DossierFilter, DossierState, DsClient, DsError, DsFile, RetryPolicy,
};
use pont_sandbox::model::State;
use pont_sandbox::{Faults, Sandbox, SandboxConfig, Scenario, StateMix};

fn client(sb: &Sandbox, token: &str, budget: Budget) -> DsClient {
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_attempts: 12,
        ..RetryPolicy::default()
    };
    DsClient::builder(sb.ds_url(), token)
        .budget(budget)
        .retry(retry)
        .build()
        .unwrap()
}

fn roomy() -> Budget {
    Budget {
        requests: 100_000,
        per: Duration::from_secs(60),
    }
}

async fn start(dossiers: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        dossiers_per_demarche: dossiers,
        rate_limit: 100_000,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

async fn read_all(c: &DsClient, demarche: i64) -> Vec<i64> {
    let mut numbers = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let filter = DossierFilter {
            first: Some(100),
            ..DossierFilter::default()
        };
        let page = c
            .dossiers(
                &permits::listing(demarche),
                demarche,
                &filter,
                after.as_deref(),
            )
            .await
            .unwrap();
        numbers.extend(page.items.iter().map(|d| d.number));
        if !page.has_next_page {
            return numbers;
        }
        after = page.end_cursor;
    }
    panic!("pagination did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_1000_dossiers_across_pages_each_exactly_once() {
    let sb = start(10).await;
    sb.world()
        .seed_scenario(&Scenario {
            demarche: 101,
            dossiers: 1000,
            seed: 7,
            states: StateMix::default(),
            deleted: 0,
            pending_deleted: 0,
        })
        .unwrap();
    let c = client(&sb, "sandbox-rw-all", roomy());
    let numbers = read_all(&c, 101).await;
    let unique: HashSet<i64> = numbers.iter().copied().collect();
    assert_eq!(numbers.len(), 1000);
    assert_eq!(unique.len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_finishes_through_faults_and_429_bursts_and_stays_under_budget() {
    let sb = start(10).await;
    sb.world()
        .seed_scenario(&Scenario {
            demarche: 102,
            dossiers: 500,
            seed: 9,
            states: StateMix::default(),
            deleted: 0,
            pending_deleted: 0,
        })
        .unwrap();
    sb.world().set_rate_limit(25, 2);
    sb.world().set_faults(Faults {
        error_rate: 0.1,
        drop_rate: 0.1,
        burst_429: 3,
        seed: 3,
        ..Faults::default()
    });
    let budget = Budget {
        requests: 25,
        per: Duration::from_secs(2),
    };
    let c = client(&sb, "sandbox-rw-all", budget);
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let filter = DossierFilter {
            first: Some(20),
            ..DossierFilter::default()
        };
        let page = c
            .dossiers(&permits::listing(102), 102, &filter, after.as_deref())
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|d| d.number));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    assert_eq!(seen.len(), 500);
    for count in sb.world().request_counts() {
        assert!(
            count.allowed <= 25,
            "window {} saw {} requests",
            count.window_start,
            count.allowed
        );
    }
    let throttled = |sb: &Sandbox| {
        sb.world()
            .request_counts()
            .iter()
            .map(|c| c.throttled)
            .sum::<u32>()
    };
    let after_faults = throttled(&sb);
    assert!(after_faults >= 3, "the burst was answered 429");

    // Without faults, the client's own limiter keeps it under the budget:
    // the simulator never has to refuse it.
    sb.world().set_faults(Faults::default());
    let mut again = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let filter = DossierFilter {
            first: Some(10),
            ..DossierFilter::default()
        };
        let page = c
            .dossiers(&permits::listing(102), 102, &filter, after.as_deref())
            .await
            .unwrap();
        again.extend(page.items.iter().map(|d| d.number));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    assert_eq!(again.len(), 500);
    // The simulator may still refuse a request now and then when the machine
    // is loaded (its window is 2 s here); what matters is that what it
    // accepted never exceeded the budget.
    assert!(
        throttled(&sb) <= after_faults + 2,
        "the limiter keeps the client near its budget"
    );
    for count in sb.world().request_counts() {
        assert!(
            count.allowed <= 25,
            "window {} saw {} requests",
            count.window_start,
            count.allowed
        );
    }
}

async fn en_instruction(
    sb: &Sandbox,
    demarche: i64,
) -> (DsClient, pont_ds::Dossier, String, String) {
    sb.world()
        .seed_scenario(&Scenario {
            demarche,
            dossiers: 5,
            seed: 11,
            states: StateMix::only(State::EnInstruction),
            deleted: 0,
            pending_deleted: 0,
        })
        .unwrap();
    let c = client(sb, "sandbox-rw-all", roomy());
    let d = c
        .demarche(&permits::listing(demarche), demarche)
        .await
        .unwrap();
    let page = c
        .dossiers(
            &permits::listing(demarche),
            demarche,
            &DossierFilter::default(),
            None,
        )
        .await
        .unwrap();
    let dossier = page.items.into_iter().next().unwrap();
    let own = d
        .groupes
        .iter()
        .find(|g| g.number == dossier.groupe_instructeur.number)
        .unwrap();
    let other = d
        .groupes
        .iter()
        .find(|g| g.number != dossier.groupe_instructeur.number)
        .unwrap();
    (
        c,
        dossier,
        own.instructeurs[0].id.clone(),
        other.instructeurs[0].id.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_refusals_come_back_as_typed_errors() {
    let sb = start(5).await;
    let (c, dossier, instructeur, stranger) = en_instruction(&sb, 103).await;
    let key = dossier.key();
    let err = c
        .accepter(
            &permits::act(pont_policy::DsAction::Accepter, key.number),
            &key,
            &stranger,
            None,
            None,
            true,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, DsError::InstructeurWithoutAccess(_)),
        "{err:?}"
    );
    let ro = client(&sb, "sandbox-ro-all", roomy());
    let err = ro
        .accepter(
            &permits::act(pont_policy::DsAction::Accepter, key.number),
            &key,
            &instructeur,
            None,
            None,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::ReadOnlyToken(_)), "{err:?}");
    let done = c
        .accepter(
            &permits::act(pont_policy::DsAction::Accepter, key.number),
            &key,
            &instructeur,
            Some("ok".into()),
            None,
            true,
        )
        .await
        .unwrap();
    assert_eq!(done.state, Some(DossierState::Accepte));
    let err = c
        .accepter(
            &permits::act(pont_policy::DsAction::Accepter, key.number),
            &key,
            &instructeur,
            None,
            None,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::AlreadyInState(_)), "{err:?}");
    let applied = sb
        .world()
        .mutation_log()
        .iter()
        .filter(|m| m.dossier == Some(dossier.number) && m.applied)
        .count();
    assert_eq!(applied, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_justificatif_uploaded_directly_reaches_the_dossier() {
    let sb = start(5).await;
    let (c, dossier, instructeur, _) = en_instruction(&sb, 104).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decision.pdf");
    std::fs::write(&path, b"%PDF-1.4 decision de subvention").unwrap();
    let key = dossier.key();
    let blob = c
        .upload_file(
            &permits::act(pont_policy::DsAction::Accepter, key.number),
            &key,
            &path,
            "decision.pdf",
            "application/pdf",
        )
        .await
        .unwrap();
    c.refuser(
        &permits::act(pont_policy::DsAction::Refuser, key.number),
        &key,
        &instructeur,
        "incomplet".into(),
        Some(blob.signed_blob_id.clone()),
        true,
    )
    .await
    .unwrap();
    let rec = sb.world().dossier(dossier.number).unwrap();
    let file = rec.justificatif.as_ref().expect("justificatif attached");
    assert_eq!(file.filename, "decision.pdf");
    assert_eq!(
        blob.checksum,
        pont_ds::file_checksum(&path).await.unwrap().0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_attachment_is_rejected_and_nothing_is_left() {
    let sb = start(5).await;
    let (c, dossier, _, _) = en_instruction(&sb, 105).await;
    sb.world()
        .add_attachment(dossier.number, 300_000, true, Some("bad.bin".into()))
        .unwrap();
    sb.world()
        .add_attachment(dossier.number, 300_000, false, Some("good.bin".into()))
        .unwrap();
    let fresh = c
        .dossier(&permits::read(dossier.number), dossier.number)
        .await
        .unwrap();
    let files: Vec<DsFile> = fresh
        .champs
        .iter()
        .filter_map(|ch| match &ch.value {
            ChampValue::Files(f) => Some(f.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let bad = files.iter().find(|f| f.filename == "bad.bin").unwrap();
    let good = files.iter().find(|f| f.filename == "good.bin").unwrap();
    let err = c
        .download(&permits::read(0), bad, &dir.path().join("bad.bin"))
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::InvalidFile(_)), "{err:?}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
    assert_eq!(
        c.download(&permits::read(0), good, &dir.path().join("good.bin"))
            .await
            .unwrap(),
        300_000
    );
}
