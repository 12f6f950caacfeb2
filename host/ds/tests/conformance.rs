//! The GraphQL documents and the subset schema must conform to the real DS
//! schema, as checked by the project's `ds-conformance` tool.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> String {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tool = crate_dir.join("../../../shared/tools/ds-conformance");
    let out = Command::new(&tool)
        .args(args)
        .current_dir(crate_dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ds-conformance {args:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn documents_validate_against_the_real_schema() {
    let out = run(&["docs", "graphql"]);
    assert!(out.trim_end().ends_with("conforms"), "{out}");
    assert!(out.contains("3 executable documents checked"), "{out}");
}

#[test]
fn subset_schema_is_a_subset_of_the_real_one() {
    let out = run(&["subset", "graphql/schema/ds-subset.graphql"]);
    assert!(out.trim_end().ends_with("conforms"), "{out}");
}
