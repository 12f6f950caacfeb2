use std::path::Path;

use crate::{Limits, PolicyError, RobotConfig};

const MIB: u64 = 1024 * 1024;

fn with_limits(lines: &str) -> Result<RobotConfig, PolicyError> {
    let text = format!(
        "[plugin]\npath = \"r.wasm\"\n\n[paths]\njournal = \"j.sqlite\"\naudit = \"a.jsonl\"\n\n{lines}"
    );
    RobotConfig::parse(&text, Path::new("/etc/pont/r.toml"))
}

/// The one-line message of a config refused at `key`.
fn refused(lines: &str, key: &str) -> String {
    let msg = with_limits(lines).unwrap_err().to_string();
    assert!(msg.contains(key), "{key} not named: {msg}");
    assert!(!msg.contains('\n'), "not one line: {msg}");
    msg
}

#[test]
fn defaults_bound_every_robot_count() {
    let l = with_limits("").unwrap().limits;
    assert_eq!(l, Limits::default());
    assert_eq!(l.state_keys, 10_000);
    assert_eq!(l.log_lines_per_item, 1_000);
    assert_eq!(l.handles_per_item, 1_000);
    assert!(l.spool_bytes > 0 && l.evidence_bytes_per_run > 0 && l.state_bytes > 0);
    assert_eq!(l.ds.max_download_bytes, None, "DS keeps its own default");
    assert_eq!(l.sheets.max_cells, None, "sheets keep their own default");
}

#[test]
fn every_limit_can_be_set() {
    let l = with_limits(
        "[limits]\nstate-keys = 5\nstate-mb = 2\nlog-lines-per-item = 7\nevidence-per-run = 3\n\
         evidence-mb-per-run = 4\nspool-mb = 9\nhandles-per-item = 11\n\n\
         [limits.ds]\nresponse-mb = 1\ndownload-mb = 20\npages = 50\n\n\
         [limits.sheets]\nfile-mb = 3\ncells = 1000\ncolumns = 40\ncell-bytes = 512\ntext-mb = 5\n\
         sheets = 2\nzip-entries = 30\nunzipped-mb = 6\nshared-strings-mb = 1\n",
    )
    .unwrap()
    .limits;
    assert_eq!((l.state_keys, l.state_bytes), (5, 2 * MIB));
    assert_eq!((l.log_lines_per_item, l.evidence_per_run), (7, 3));
    assert_eq!(
        (l.evidence_bytes_per_run, l.spool_bytes),
        (4 * MIB, 9 * MIB)
    );
    assert_eq!(l.handles_per_item, 11);
    assert_eq!(l.ds.max_response_bytes, Some(MIB));
    assert_eq!(l.ds.max_download_bytes, Some(20 * MIB));
    assert_eq!(l.ds.max_pages, Some(50));
    let s = l.sheets;
    assert_eq!((s.max_file_bytes, s.max_cells), (Some(3 * MIB), Some(1000)));
    assert_eq!((s.max_columns, s.max_cell_bytes), (Some(40), Some(512)));
    assert_eq!((s.max_text_bytes, s.max_sheets), (Some(5 * MIB), Some(2)));
    assert_eq!(s.max_zip_entries, Some(30));
    assert_eq!(s.max_unzipped_bytes, Some(6 * MIB));
    assert_eq!(s.max_shared_strings_bytes, Some(MIB));
}

#[test]
fn a_zero_or_huge_limit_is_refused_naming_its_key() {
    for (lines, key) in [
        ("[limits]\nstate-keys = 0", "limits.state-keys"),
        ("[limits]\nstate-keys = 2000000", "limits.state-keys"),
        ("[limits]\nstate-mb = 0", "limits.state-mb"),
        (
            "[limits]\nlog-lines-per-item = 0",
            "limits.log-lines-per-item",
        ),
        ("[limits]\nevidence-per-run = 0", "limits.evidence-per-run"),
        (
            "[limits]\nevidence-mb-per-run = 0",
            "limits.evidence-mb-per-run",
        ),
        ("[limits]\nspool-mb = 0", "limits.spool-mb"),
        ("[limits]\nspool-mb = 99999999999", "limits.spool-mb"),
        ("[limits]\nhandles-per-item = 0", "limits.handles-per-item"),
        ("[limits.ds]\ndownload-mb = 0", "limits.ds.download-mb"),
        ("[limits.ds]\npages = 0", "limits.ds.pages"),
        ("[limits.sheets]\ncells = 0", "limits.sheets.cells"),
        (
            "[limits.sheets]\ncell-bytes = 999999999",
            "limits.sheets.cell-bytes",
        ),
    ] {
        let msg = refused(lines, key);
        assert!(msg.contains("must be between 1 and"), "{msg}");
    }
}

#[test]
fn unknown_and_mistyped_limit_keys_are_refused_on_one_line() {
    refused("[limits]\nstate-key = 5", "state-key");
    refused("[limits.ds]\nmax-pages = 5", "max-pages");
    refused("[limits.sheets]\nrows = 5", "rows");
    refused("[limits]\nspool-mb = -1", "spool-mb");
    refused(
        "[limits]\nlog-lines-per-item = \"many\"",
        "log-lines-per-item",
    );
}
