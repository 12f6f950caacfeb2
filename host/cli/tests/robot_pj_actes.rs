//! `pj-actes` end to end: the real `pont` binary runs the built robot
//! against the DS simulator and the sandbox's @ctes with a real headless
//! Chromium, an `archives` mount and an xlsx activity report. Three dossiers
//! en instruction, each an acte with zero to two annexes.

mod common;
mod robots_kit;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use common::Env;
use pont_ds::{ChampValue, Dossier};
use pont_sandbox::apps::App;
use robots_kit::{Setup, annotation, champ, files, item, sha256_hex};

const DEMARCHE: i64 = 105;
const REPORT: &str = "rapports/rapport-activite.xlsx";

/// The @ctes category the robot must pick: its defaults, with the
/// operator's override of `Contrat` (see `setup`).
fn expected_categorie(nature: &str) -> &'static str {
    match nature {
        "Contrat" => "3",
        "Arrêté individuel" => "4",
        "Délibération" => "5",
        "Arrêté réglementaire" => "6",
        _ => "9",
    }
}

fn nature(d: &Dossier) -> String {
    match champ(d, "Nature de l’acte") {
        ChampValue::DropDown(t) | ChampValue::Text(t) => t.clone(),
        other => panic!("nature: {other:?}"),
    }
}

fn setup(sb: &pont_sandbox::Sandbox) -> Setup<'static> {
    let mut settings = BTreeMap::new();
    settings.insert("actes-url", sb.app_url(App::Actes));
    settings.insert("categorie.Contrat", "3".to_string());
    Setup {
        robot: "pj-actes",
        demarche: DEMARCHE,
        ds_actions: &["read", "annotations"],
        app: ("actes", App::Actes),
        mounts: &[
            ("archives", "archives", "read-write"),
            ("rapports", "rapports", "read-write"),
        ],
        settings,
    }
}

/// Entry name → bytes of a zip.
fn unzip(path: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        if f.is_dir() {
            continue;
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.insert(f.name().unwrap().to_string(), bytes);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_deposited_in_actes_archived_and_reported() {
    let sb = robots_kit::sandbox(DEMARCHE, 3).await;
    let ds = robots_kit::dossiers(&sb, DEMARCHE).await;
    assert_eq!(ds.len(), 3);
    let env = Env::new();
    let cfg = robots_kit::config(&env, &sb, &setup(&sb));
    let header = [
        "Date",
        "Dossier",
        "Nature",
        "Catégorie",
        "Fichiers",
        "Numéros @ctes",
        "Archive",
    ];
    robots_kit::workbook(&env.path(REPORT), "Actes", &header, &[]);

    let ran = robots_kit::run(&cfg).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["done"], 3, "{summary}");

    let records = sb.app_records(App::Actes);
    let today = robots_kit::today();
    let mut total_bytes = 0;
    let mut pieces_total = 0;
    for (k, d) in ds.iter().enumerate() {
        let tag = format!("(DS-{})", d.number);
        let acte = files(champ(d, "Acte"));
        let annexes = files(champ(d, "Annexes"));
        let mut expected = BTreeMap::new();
        for f in acte.iter().chain(&annexes) {
            let bytes = robots_kit::download(&sb, f).await;
            total_bytes += bytes.len() as u64;
            expected.insert(f.filename.clone(), sha256_hex(&bytes));
        }
        pieces_total += expected.len();

        // @ctes: one deposit per file, acte first, each with the category
        // of the acte's nature, byte for byte.
        let mine: Vec<_> = records
            .iter()
            .filter(|r| r.data["objet"].as_str().unwrap().contains(&tag))
            .collect();
        assert_eq!(mine.len(), expected.len(), "{mine:?}");
        assert!(mine[0].data["objet"].as_str().unwrap().starts_with("Acte"));
        let categorie = expected_categorie(&nature(d));
        let mut deposited = BTreeMap::new();
        for r in &mine {
            assert_eq!(r.data["categorie"], categorie, "{r:?}");
            deposited.insert(
                r.data["fichier"]["filename"].as_str().unwrap().to_string(),
                r.data["fichier"]["sha256"].as_str().unwrap().to_string(),
            );
        }
        assert_eq!(deposited, expected);
        let numeros: Vec<String> = mine
            .iter()
            .map(|r| r.data["numero"].as_str().unwrap().to_string())
            .collect();

        // The dated archive: the pieces sorted by type, intact, with a
        // bordereau naming their @ctes numbers; no staging left behind.
        let zip_path = format!("{today}/DS-{}.zip", d.number);
        let entries = unzip(&env.path(&format!("archives/{zip_path}")));
        let root = format!("DS-{}", d.number);
        for (kind, list) in [("acte", &acte), ("annexes", &annexes)] {
            for (i, f) in list.iter().enumerate() {
                let name = format!("{root}/{kind}/{}-{}", i + 1, f.filename);
                let bytes = entries
                    .get(&name)
                    .unwrap_or_else(|| panic!("{name} not in {:?}", entries.keys()));
                assert_eq!(sha256_hex(bytes), expected[&f.filename]);
            }
        }
        let bordereau =
            String::from_utf8(entries[&format!("{root}/bordereau.txt")].clone()).unwrap();
        assert!(numeros.iter().all(|n| bordereau.contains(n)), "{bordereau}");
        assert_eq!(entries.len(), expected.len() + 1, "{:?}", entries.keys());
        assert!(!env.path(&format!("archives/{root}")).exists());

        // DS: the @ctes numbers and "Transmis" in the annotations.
        let after = robots_kit::dossier(&sb, d.number).await;
        assert_eq!(
            annotation(&after, "Identifiant @ctes"),
            &ChampValue::Text(numeros.join(", "))
        );
        assert_eq!(annotation(&after, "Transmis"), &ChampValue::Checkbox(true));
        assert!(
            item(&summary, d.number)["reason"]
                .as_str()
                .unwrap()
                .ends_with(&zip_path)
        );

        // The report's row.
        let cells = robots_kit::row(&env.path(REPORT), "Actes", 2 + k as u32, 7);
        assert_eq!(
            cells,
            [
                today.clone(),
                d.number.to_string(),
                nature(d),
                categorie.to_string(),
                expected.len().to_string(),
                numeros.join(", "),
                zip_path,
            ]
        );
    }
    assert_eq!(records.len(), pieces_total);
    let numbers: BTreeSet<_> = records
        .iter()
        .map(|r| r.data["numero"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), pieces_total, "a file deposited twice");

    // The journal and the ledger: every file went to @ctes and to the
    // archive mount, the report was written.
    let queue = robots_kit::queue(&env);
    assert!(queue.values().all(|s| s == "done"), "{queue:?}");
    let actes = sb.app_url(App::Actes);
    let to_actes = robots_kit::ledger(&summary, "robot", &actes).expect("@ctes in the ledger");
    assert!(
        to_actes["bytes"].as_u64().unwrap() >= total_bytes,
        "{to_actes}"
    );
    let to_archive =
        robots_kit::ledger(&summary, "robot", "mount.archives").expect("archives in the ledger");
    assert!(
        to_archive["bytes"].as_u64().unwrap() >= total_bytes,
        "{to_archive}"
    );
    // The report's save is an audited write of its mount, once per dossier.
    let saves = env
        .audit()
        .into_iter()
        .filter(|r| r["capability"] == "files" && r["action"] == "write")
        .filter(|r| r["target"] == "rapports:rapport-activite.xlsx" && r["decision"] == "allow")
        .count();
    assert_eq!(saves, 3);
}
