//! The grid: the guide's two worked examples line by line, its maximum, the
//! rules between lines, validation errors and rendering.

use std::path::PathBuf;

use pont_report::assess::{
    Answers, AssessError, GRID, GroupId, Level, MAX_FILE_BYTES, MAX_SCORE, Placement, Points,
    Quadrant, RawAnswers, assess, render,
};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/assess/{name}"))
}

fn load(name: &str) -> Answers {
    Answers::load(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn subtotals(answers: &Answers) -> Vec<u32> {
    assess(answers)
        .groups
        .iter()
        .map(|g| g.points.got)
        .collect()
}

/// Each group's lines that apply, as (points, key).
fn ticked(answers: &Answers, id: GroupId) -> Vec<(u32, &'static str)> {
    answers
        .group(id)
        .lines()
        .map(|l| (l.points, l.key))
        .collect()
}

const ALL_ZERO: &str = "[repetitive]\n[expertise]\n[usual-tools]\n[replicability]\n";

fn with_lines(group: &str, lines: &[&str]) -> String {
    let list: Vec<String> = lines.iter().map(|l| format!("\"{l}\"")).collect();
    ALL_ZERO.replace(
        &format!("[{group}]\n"),
        &format!("[{group}]\nlines = [{}]\n", list.join(", ")),
    )
}

fn error_of(text: &str) -> String {
    match Answers::from_toml_str(text) {
        Ok(a) => panic!("accepted: {a:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn ans_example_scores_32_line_by_line() {
    let answers = load("ans.toml");
    use GroupId::*;
    assert_eq!(
        ticked(&answers, Repetitive),
        vec![(4, "several-apps-no-api"), (5, "undetected-errors")]
    );
    let expertise: Vec<u32> = ticked(&answers, Expertise).iter().map(|l| l.0).collect();
    assert_eq!(expertise, vec![1, 2, 3, 4]);
    let tools: Vec<u32> = ticked(&answers, UsualTools).iter().map(|l| l.0).collect();
    assert_eq!(tools, vec![2, 3, 2]);
    assert_eq!(
        ticked(&answers, Replicability),
        vec![(3, "reuse-existing-robot"), (3, "replicate-beyond")]
    );
    assert_eq!(subtotals(&answers), vec![9, 10, 7, 6]);
    let a = assess(&answers);
    assert_eq!(a.total, Points { got: 32, max: 37 });
    assert_eq!(answers.case().stated_score, Some(a.total.got));
    assert_eq!(a.quadrant, Some(Quadrant::QuickWin));
    let text = render(&answers, &a);
    assert!(text.contains("\nTotal: 32/37\n"), "{text}");
    assert!(!text.contains("source states"), "{text}");
}

#[test]
fn vtc_example_scores_25_line_by_line() {
    let answers = load("vtc.toml");
    use GroupId::*;
    assert_eq!(
        ticked(&answers, Repetitive),
        vec![(4, "several-apps-no-api"), (5, "undetected-errors")]
    );
    assert_eq!(
        ticked(&answers, Expertise),
        vec![
            (1, "low-training"),
            (2, "copy-paste"),
            (4, "extracted-to-enrich")
        ]
    );
    assert_eq!(ticked(&answers, UsualTools).len(), 3);
    assert_eq!(
        ticked(&answers, Replicability),
        vec![(2, "replicate-within")]
    );
    assert_eq!(subtotals(&answers), vec![9, 7, 7, 2]);
    let a = assess(&answers);
    assert_eq!(a.total, Points { got: 25, max: 37 });
    assert_eq!(answers.case().stated_score, Some(a.total.got));
    assert_eq!(a.quadrant, Some(Quadrant::StudyCostly));
}

/// Every subset of a group's lines, as TOML key lists.
fn subsets(id: GroupId) -> Vec<Vec<&'static str>> {
    let lines = id.def().lines;
    (0..1u32 << lines.len())
        .map(|mask| {
            let on = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0);
            on.map(|(_, l)| l.key).collect()
        })
        .collect()
}

#[test]
fn the_best_answers_the_rules_accept_make_37() {
    let mut best = [0u32; 4];
    for id in GroupId::ALL {
        for keys in subsets(id) {
            let text = with_lines(id.def().key, &keys);
            if let Ok(answers) = Answers::from_toml_str(&text) {
                let got = assess(&answers).total.got;
                best[id.index()] = best[id.index()].max(got);
            }
        }
    }
    assert_eq!(best, [14, 10, 7, 6]);
    assert_eq!(best.iter().sum::<u32>(), MAX_SCORE);
    assert_eq!(MAX_SCORE, 37);
}

#[test]
fn a_full_grid_scores_37_out_of_37() {
    let full = r#"
        [repetitive]
        lines = ["several-apps-no-api", "summaries-no-tool", "undetected-errors"]
        [expertise]
        lines = ["low-training", "copy-paste", "extracted-to-check", "extracted-to-enrich"]
        [usual-tools]
        lines = ["not-interconnected", "gui-only", "shared-third-party-app"]
        [replicability]
        lines = ["reuse-existing-robot", "replicate-beyond"]
    "#;
    let a = assess(&Answers::from_toml_str(full).expect("valid"));
    assert_eq!(a.total, Points { got: 37, max: 37 });
}

#[test]
fn two_of_group_1s_graded_lines_are_refused() {
    let text = with_lines("repetitive", &["one-app-managed", "several-apps-no-api"]);
    assert_eq!(
        error_of(&text),
        "group repetitive: \"one-app-managed\" (+1) and \"several-apps-no-api\" (+4) \
         cannot both apply: the grid takes one of its four lines worth +1 to +4"
    );
    // The +5 lines add to any of them.
    let text = with_lines(
        "repetitive",
        &[
            "one-app-not-managed",
            "summaries-no-tool",
            "undetected-errors",
        ],
    );
    let answers = Answers::from_toml_str(&text).expect("valid");
    assert_eq!(subtotals(&answers), vec![12, 0, 0, 0]);
}

#[test]
fn both_replication_scopes_are_refused_but_reuse_adds_up() {
    let text = with_lines("replicability", &["replicate-within", "replicate-beyond"]);
    let message = error_of(&text);
    assert!(
        message.starts_with(
            "group replicability: \"replicate-within\" (+2) and \"replicate-beyond\" (+3) cannot both apply"
        ),
        "{message}"
    );
    let text = with_lines(
        "replicability",
        &["reuse-existing-robot", "replicate-within"],
    );
    let answers = Answers::from_toml_str(&text).expect("valid");
    assert_eq!(subtotals(&answers), vec![0, 0, 0, 5]);
}

#[test]
fn nothing_applies_scores_zero_and_is_not_placed() {
    let answers = Answers::from_toml_str(ALL_ZERO).expect("valid");
    let a = assess(&answers);
    assert_eq!(a.total, Points { got: 0, max: 37 });
    assert_eq!(a.quadrant, None);
    let text = render(&answers, &a);
    assert!(
        text.starts_with("Use-case assessment: unnamed case\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "Quadrant: not placed (answer [quadrant] gains and costs, \"high\" or \"low\")\n"
        ),
        "{text}"
    );
}

#[test]
fn the_quadrant_follows_gains_and_costs() {
    let cases = [
        ("high", "low", Some("« QuickWin »")),
        ("high", "high", Some("À étudier")),
        ("low", "low", Some("À étudier")),
        ("low", "high", None),
    ];
    for (gains, costs, label) in cases {
        let text = format!("{ALL_ZERO}[quadrant]\ngains = \"{gains}\"\ncosts = \"{costs}\"\n");
        let answers = Answers::from_toml_str(&text).expect("valid");
        let q = assess(&answers).quadrant.expect("placed");
        assert_eq!(q.label(), label, "{gains}/{costs}");
        let shown = format!("Quadrant: {q} (gains {gains}, costs {costs})\n");
        assert!(render(&answers, &assess(&answers)).ends_with(&shown));
    }
}

#[test]
fn a_bad_quadrant_answer_is_refused() {
    let message = error_of(&format!(
        "{ALL_ZERO}[quadrant]\ngains = \"medium\"\ncosts = \"low\"\n"
    ));
    assert!(
        message.starts_with("answers file, line 6: unknown variant `medium`"),
        "{message}"
    );
    let message = error_of(&format!("{ALL_ZERO}[quadrant]\ngains = \"high\"\n"));
    assert!(message.contains("missing field `costs`"), "{message}");
}

#[test]
fn unknown_and_repeated_lines_are_refused() {
    let text = with_lines("usual-tools", &["line-4"]);
    assert_eq!(
        error_of(&text),
        "group usual-tools: unknown line \"line-4\", expected one of \
         not-interconnected, gui-only, shared-third-party-app"
    );
    let text = with_lines("expertise", &["copy-paste", "copy-paste"]);
    assert_eq!(
        error_of(&text),
        "group expertise: line \"copy-paste\" is listed twice"
    );
}

#[test]
fn unknown_fields_are_refused_with_a_line_number() {
    let text = ALL_ZERO.replace("[expertise]\n", "[expertise]\nlevel = 2\n");
    let message = error_of(&text);
    assert!(
        message.starts_with("answers file, line 3: unknown field `level`"),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
    let message = error_of(&format!("{ALL_ZERO}[extra]\n"));
    assert!(message.contains("unknown field `extra`"), "{message}");
}

#[test]
fn a_missing_group_is_refused() {
    let message = error_of("[repetitive]\n[expertise]\n[usual-tools]\n");
    assert!(
        message.contains("missing field `replicability`"),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn stated_score_above_the_maximum_is_refused_and_a_differing_one_shown() {
    let text = format!("[case]\nstated-score = 38\n{ALL_ZERO}");
    assert_eq!(
        error_of(&text),
        "case: stated-score 38 exceeds the grid's maximum 37"
    );
    let text = format!("[case]\nstated-score = 3\n{ALL_ZERO}");
    let answers = Answers::from_toml_str(&text).expect("valid");
    let shown = render(&answers, &assess(&answers));
    assert!(
        shown.contains("  the source states 3; under the grid's rules these answers give 0\n"),
        "{shown}"
    );
}

#[test]
fn unreadable_and_oversized_files_name_the_path() {
    let err = Answers::load(&example("missing.toml")).expect_err("no such file");
    assert!(matches!(err, AssessError::Read { .. }));
    assert!(err.to_string().contains("missing.toml"));
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.toml");
    let padding = "#".repeat(MAX_FILE_BYTES as usize);
    std::fs::write(&big, format!("{ALL_ZERO}{padding}")).expect("written");
    let err = Answers::load(&big).expect_err("too large");
    assert_eq!(
        err.to_string(),
        format!("answers file {} is larger than 65536 bytes", big.display())
    );
}

#[test]
fn answers_round_trip_through_toml() {
    for name in ["vtc.toml", "ans.toml"] {
        let answers = load(name);
        let again = Answers::from_toml_str(&answers.to_toml()).expect("own output is valid");
        assert_eq!(again, answers, "{name}");
    }
    let raw = RawAnswers::from_toml_str(&load("vtc.toml").to_toml()).expect("parses");
    assert_eq!(
        raw.quadrant,
        Some(Placement {
            gains: Level::High,
            costs: Level::High
        })
    );
}

#[test]
fn vtc_renders_as_plain_text_with_the_guides_labels() {
    let answers = load("vtc.toml");
    let g = |i: usize, key: &str| {
        let def = &GRID[i];
        def.lines[def.line_by_key(key).expect("known key")].label
    };
    let expected = format!(
        "\
Use-case assessment: Demande de carte professionnelle VTC (guide example)
  note: answers from the guide; the [quadrant] placement is Pont's (the guide places neither example)
  1.  9/14  {}
           +4 {}
           +5 {}
  2.  7/10  Niveau d’expertise métier requis pour ces manipulations
           +1 {}
           +2 Une grande partie de la saisie des informations est faite en copier/coller
           +4 {}
  3.   7/7  {}
           +2 {}
           +3 {}
           +2 {}
  4.   2/6  La réplicabilité du robot
           +2 Je peux répliquer le robot de mon cas d’usage dans mon organisation
Total: 25/37
Quadrant: À étudier (gains high, costs high)
",
        GRID[0].title,
        g(0, "several-apps-no-api"),
        g(0, "undetected-errors"),
        g(1, "low-training"),
        g(1, "extracted-to-enrich"),
        GRID[2].title,
        g(2, "not-interconnected"),
        g(2, "gui-only"),
        g(2, "shared-third-party-app"),
    );
    assert_eq!(render(&answers, &assess(&answers)), expected);
}
