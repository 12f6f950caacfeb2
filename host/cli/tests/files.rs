//! The `files` and `sheets` capabilities through the real `pont` binary, with
//! the `files-robot` fixture (one scenario per dossier number): escapes from
//! a mount are denied and audited, copies are exact, activity reports keep
//! their shape when rows are appended, and an EJ is found in a large base.

mod common;

use std::path::Path;

use common::{Env, Ran};
use pont_test_artifacts::{fixture_manifest, wasm};
use sha2::{Digest, Sha256};

/// Three mounts: `data` (read-write, 1 MiB quota), `ref` (read-only) and
/// `reports` (read-write); a file and a directory outside them to aim at.
fn setup(queue: &[i64], settings: &str) -> (Env, std::path::PathBuf) {
    let env = Env::new();
    for dir in ["data", "ref", "reports", "outside"] {
        std::fs::create_dir_all(env.path(dir)).unwrap();
    }
    std::fs::write(env.path("outside.txt"), "not for robots").unwrap();
    std::fs::write(env.path("outside/secret.txt"), "not for robots").unwrap();
    let extra = format!(
        "[grant]\nlog = true\n\n\
         [grant.mounts.data]\npath = \"data\"\naccess = \"read-write\"\nquota-mb = 1\n\n\
         [grant.mounts.ref]\npath = \"ref\"\naccess = \"read-only\"\n\n\
         [grant.mounts.reports]\npath = \"reports\"\naccess = \"read-write\"\n\n\
         [settings]\n{settings}\n\n[queue]\ndossiers = {queue:?}\n"
    );
    let cfg = env.config(
        &wasm("files-robot"),
        &fixture_manifest("files-robot"),
        &extra,
    );
    (env, cfg)
}

fn run(env: &Env, cfg: &Path) -> Ran {
    let ran = env.pont(&["run", "--allow-unsigned", "--json", cfg.to_str().unwrap()]);
    ran.assert_no_panic();
    ran
}

/// The reason the robot gave for dossier `n`.
fn reason(ran: &Ran, n: i64) -> String {
    let report = ran.json();
    let item = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == n)
        .unwrap_or_else(|| panic!("no item {n} in {report}"));
    item["reason"].as_str().unwrap().to_string()
}

/// The `files` audit records of dossier `n`, as `(action, target, decision)`.
fn file_records(env: &Env, n: i64) -> Vec<(String, String, String)> {
    env.audit()
        .iter()
        .filter(|r| r["item"] == n && r["capability"] == "files")
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("action"), s("target"), s("decision"))
        })
        .collect()
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn escapes_read_only_writes_and_quotas_are_denied_and_audited() {
    let (env, cfg) = setup(&[101, 102, 103, 104, 105], "");
    #[cfg(unix)]
    std::os::unix::fs::symlink(env.path("outside"), env.path("data/escape")).unwrap();
    let ran = run(&env, &cfg);
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.json()["failed"], 5);

    let expected = [
        (101, "read: Error::Denied(", "`..`", "data:../outside.txt"),
        (102, "read: Error::Denied(", "absolute", "data:/etc/passwd"),
        (
            103,
            "read: Error::Denied(",
            "outside the mount",
            "data:escape/secret.txt",
        ),
        (104, "write: Error::Denied(", "read-only", "ref:new.txt"),
        (105, "write: Error::Limit(", "quota", "data:big.bin"),
    ];
    for (n, kind, why, target) in expected {
        let r = reason(&ran, n);
        assert!(r.starts_with(kind) && r.contains(why), "dossier {n}: {r}");
        let records = file_records(&env, n);
        let last = records
            .last()
            .unwrap_or_else(|| panic!("no files record for {n}"));
        assert_eq!(
            (last.1.as_str(), last.2.as_str()),
            (target, "deny"),
            "dossier {n}: {records:?}"
        );
        // Nothing in the robot's error or the audit log names a host path.
        assert!(!r.contains(&env.dir.path().display().to_string()), "{r}");
    }
    // The quota denial records the bytes the write would have let out.
    let audit = env.audit();
    let quota = audit
        .iter()
        .find(|r| r["item"] == 105 && r["decision"] == "deny")
        .unwrap();
    assert_eq!(quota["bytes"], 2 * 1024 * 1024);
    assert!(quota["reason"].as_str().unwrap().contains("quota"));
    // Nothing was written, nothing outside was touched.
    assert!(!env.path("data/big.bin").exists());
    assert!(!env.path("ref/new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(env.path("outside.txt")).unwrap(),
        "not for robots"
    );
    // The trail with its denials is intact.
    let verified = env.pont(&["audit", "verify", env.path("audit.jsonl").to_str().unwrap()]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
}

#[test]
fn read_then_write_copies_bytes_exactly_and_zip_makes_an_archive() {
    let (env, cfg) = setup(&[106, 109], "");
    std::fs::create_dir_all(env.path("data/in")).unwrap();
    // 300 KB that do not compress: a byte slip would show in the digest.
    let mut bytes = Vec::with_capacity(300_000);
    let mut x: u32 = 0x1234_5678;
    while bytes.len() < 300_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(env.path("data/in/source.bin"), &bytes).unwrap();
    let ran = run(&env, &cfg);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);

    let source = sha256(&env.path("data/in/source.bin"));
    assert_eq!(sha256(&env.path("data/out/copy.bin")), source);
    assert_eq!(
        reason(&ran, 106),
        format!("copied {} {source}", bytes.len())
    );
    let records = file_records(&env, 106);
    assert!(
        records.contains(&("read".into(), "data:in/source.bin".into(), "allow".into())),
        "{records:?}"
    );
    let audit = env.audit();
    let write = audit
        .iter()
        .find(|r| r["item"] == 106 && r["target"] == "data:out/copy.bin")
        .unwrap();
    assert_eq!(write["bytes"], bytes.len());

    assert_eq!(reason(&ran, 109), "zipped Provenance::Archive");
    let zip = std::fs::read(env.path("data/out/in.zip")).unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"), "not a zip");
    // Host bookkeeping files never show up in the mount.
    let names: Vec<_> = std::fs::read_dir(env.path("data/out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".pont-")), "{names:?}");
}

/// An activity report: a styled header with custom widths, two rows, and a
/// second sheet.
fn write_report(path: &Path) {
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("Suivi");
    for (i, h) in ["Dossier", "Libellé", "Date", "Traité"].iter().enumerate() {
        let col = u32::try_from(i).unwrap() + 1;
        ws.cell_mut((col, 1)).set_value_string(*h);
        let style = ws.style_mut((col, 1));
        style.font_mut().set_bold(true);
        style.set_background_color("FFFFFF00");
    }
    ws.column_dimension_mut("A").set_width(30.0);
    ws.column_dimension_mut("B").set_width(12.5);
    ws.cell_mut((1, 2)).set_value_number(900);
    ws.cell_mut((2, 2)).set_value_string("premier");
    ws.cell_mut((1, 3)).set_value_number(901);
    ws.cell_mut((2, 3)).set_value_string("second");
    let notes = book.new_sheet("Notes").unwrap();
    notes.cell_mut((1, 1)).set_value_string("Service");
    notes
        .cell_mut((2, 1))
        .set_value_string("Bureau des subventions");
    notes.style_mut((2, 1)).font_mut().set_bold(true);
    notes.column_dimension_mut("B").set_width(40.0);
    umya_spreadsheet::writer::xlsx::write(&book, path).unwrap();
}

#[test]
fn appending_three_rows_keeps_the_other_sheet_styles_and_widths() {
    let (env, cfg) = setup(&[107], "");
    let path = env.path("reports/activite.xlsx");
    write_report(&path);
    let ran = run(&env, &cfg);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(reason(&ran, 107), r#"sheets ["Suivi", "Notes"]"#);

    let book = umya_spreadsheet::reader::xlsx::read(&path).unwrap();
    assert_eq!(book.sheet_count(), 2);
    let ws = book.sheet_by_name("Suivi").unwrap();
    for col in 1..=4u32 {
        let style = ws.style((col, 1));
        assert!(style.font().is_some_and(|f| f.bold()), "header {col}");
        let fill = style
            .fill()
            .and_then(|f| f.pattern_fill())
            .and_then(|p| p.foreground_color());
        assert_eq!(
            fill.map(|c| c.argb_str()).as_deref(),
            Some("FFFFFF00"),
            "header {col} fill"
        );
    }
    assert_eq!(ws.column_dimension("A").map(|c| c.width()), Some(30.0));
    assert_eq!(ws.column_dimension("B").map(|c| c.width()), Some(12.5));
    assert_eq!(ws.value((2, 3)), "second");
    let appended: Vec<Vec<String>> = (4..=6u32)
        .map(|row| (1..=4u32).map(|col| ws.value((col, row))).collect())
        .collect();
    assert_eq!(appended[0][..2], ["1001", "dossier 1"]);
    assert_eq!(appended[2][..2], ["1003", "dossier 3"]);
    assert_eq!(appended[1][3], "TRUE");
    assert_eq!(ws.highest_row(), 6);
    let notes = book.sheet_by_name("Notes").unwrap();
    assert_eq!(notes.value((2, 1)), "Bureau des subventions");
    assert!(notes.style((2, 1)).font().is_some_and(|f| f.bold()));
    assert_eq!(notes.column_dimension("B").map(|c| c.width()), Some(40.0));

    // Open at the read, write at the save: both audited as allowed.
    let records = file_records(&env, 107);
    assert_eq!(
        records,
        [
            (
                "read".into(),
                "reports:activite.xlsx".into(),
                "allow".into()
            ),
            (
                "write".into(),
                "reports:activite.xlsx".into(),
                "allow".into()
            ),
        ]
    );
}

#[test]
fn an_ej_is_found_in_a_ten_thousand_row_base() {
    let (env, cfg) = setup(&[108], "ej = \"2100007321\"");
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("EJ");
    for (i, h) in ["Fournisseur", "EJ", "Montant"].iter().enumerate() {
        ws.cell_mut((u32::try_from(i).unwrap() + 1, 1))
            .set_value_string(*h);
    }
    for i in 0..10_000u32 {
        let row = i + 2;
        ws.cell_mut((1, row))
            .set_value_string(format!("Fournisseur {i}"));
        ws.cell_mut((2, row))
            .set_value_number(f64::from(2_100_000_000 + i));
        ws.cell_mut((3, row)).set_value_number(f64::from(i) * 1.5);
    }
    umya_spreadsheet::writer::xlsx::write(&book, env.path("ref/ej.xlsx")).unwrap();

    let ran = run(&env, &cfg);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    // EJ 2100007321 is entry 7321, on sheet row 7323 (header, then from 0).
    assert_eq!(
        reason(&ran, 108),
        "row 7323: Fournisseur 7321|2100007321|10981.5"
    );
}

/// Items appending to one workbook at once queue for its write lock: none
/// fails with "locked", and every row is there once.
#[test]
fn parallel_items_appending_to_one_workbook_wait_for_its_lock() {
    let numbers: Vec<i64> = (1001..=1006).collect();
    let (env, cfg) = setup(&numbers, "");
    let path = env.path("reports/activite.xlsx");
    write_report(&path);
    let ran = env.pont(&[
        "run",
        "--allow-unsigned",
        "--json",
        "--parallel",
        "3",
        cfg.to_str().unwrap(),
    ]);
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["done"], 6, "{summary}");
    // No item failed on the lock and was retried: each took one attempt.
    for item in summary["items"].as_array().unwrap() {
        assert_eq!(item["attempt"], 1, "{item}");
    }
    let book = umya_spreadsheet::reader::xlsx::read(&path).unwrap();
    let ws = book.sheet_by_name("Suivi").unwrap();
    let mut got: Vec<String> = (2..=ws.highest_row()).map(|r| ws.value((1, r))).collect();
    got.sort();
    let mut want: Vec<String> = ["900", "901"].iter().map(|s| s.to_string()).collect();
    want.extend(numbers.iter().map(|n| n.to_string()));
    want.sort();
    assert_eq!(got, want);
}
