//! `pont assess --answers`: the guide's two worked examples through the real
//! binary, and a bad answers file.

mod common;

use std::path::PathBuf;

use common::Env;

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/assess")
        .join(name)
        .display()
        .to_string()
}

/// The "  N. got/max  title" lines, as (N, "got/max").
fn subtotals(stdout: &str) -> Vec<(u32, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (n, rest) = l.trim_start().split_once(". ")?;
            let points = rest.split_whitespace().next()?;
            Some((n.parse().ok()?, points.to_string()))
        })
        .filter(|(_, p)| p.contains('/'))
        .collect()
}

fn assess_ok(env: &Env, file: &str) -> String {
    let ran = env.pont(&["assess", "--answers", &example(file)]);
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{file}: {}", ran.stderr);
    ran.stdout
}

#[test]
fn the_ans_example_prints_32_of_37_and_a_quick_win() {
    let out = assess_ok(&Env::new(), "ans.toml");
    let expected: Vec<(u32, String)> = [(1, "9/14"), (2, "10/10"), (3, "7/7"), (4, "6/6")]
        .map(|(n, p)| (n, p.to_string()))
        .into();
    assert_eq!(subtotals(&out), expected, "{out}");
    assert!(out.lines().any(|l| l == "Total: 32/37"), "{out}");
    assert!(
        out.lines()
            .any(|l| l == "Quadrant: « QuickWin » (gains high, costs low)"),
        "{out}"
    );
    assert!(!out.contains("source states"), "{out}");
}

#[test]
fn the_vtc_example_prints_25_of_37_to_be_studied() {
    let out = assess_ok(&Env::new(), "vtc.toml");
    let expected: Vec<(u32, String)> = [(1, "9/14"), (2, "7/10"), (3, "7/7"), (4, "2/6")]
        .map(|(n, p)| (n, p.to_string()))
        .into();
    assert_eq!(subtotals(&out), expected, "{out}");
    assert!(out.lines().any(|l| l == "Total: 25/37"), "{out}");
    assert!(
        out.lines()
            .any(|l| l == "Quadrant: À étudier (gains high, costs high)"),
        "{out}"
    );
    assert!(
        out.contains("+2 Je peux répliquer le robot de mon cas d’usage dans mon organisation"),
        "{out}"
    );
}

#[test]
fn a_bad_answers_file_gives_one_error_line_and_a_config_exit() {
    let env = Env::new();
    let bad = env.path("bad.toml");
    std::fs::write(
        &bad,
        "[repetitive]\nlines = [\"one-app-managed\", \"several-apps-no-api\"]\n\
         [expertise]\n[usual-tools]\n[replicability]\n",
    )
    .unwrap();
    let ran = env.pont(&["assess", "--answers", bad.to_str().unwrap()]);
    ran.assert_no_panic();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    assert_eq!(
        ran.error_line(),
        "pont: error: group repetitive: \"one-app-managed\" (+1) and \"several-apps-no-api\" (+4) \
         cannot both apply: the grid takes one of its four lines worth +1 to +4"
    );
    let errors = ran.stderr.lines().filter(|l| l.contains("error")).count();
    assert_eq!(errors, 1, "{}", ran.stderr);
}

#[test]
fn a_missing_answers_file_is_named() {
    let env = Env::new();
    let missing = env.path("nowhere.toml");
    let ran = env.pont(&["assess", "--answers", missing.to_str().unwrap()]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(
        line.starts_with("pont: error: cannot read answers file "),
        "{line}"
    );
    assert!(line.contains("nowhere.toml"), "{line}");
}
