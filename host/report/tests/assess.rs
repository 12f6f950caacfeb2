//! The opportunity grid: the guide's examples, validation errors, rendering.

use std::path::PathBuf;

use pont_report::assess::{
    Answers, AssessError, GroupId, MAX_SCORE, Points, Quadrant, assess, render,
};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/assess/{name}"))
}

fn subtotals(answers: &Answers) -> Vec<u32> {
    assess(answers)
        .groups
        .iter()
        .map(|g| g.points.got)
        .collect()
}

const ALL_ZERO: &str = "[repetitive]\n[expertise]\n[usual-tools]\n[replicability]\n";

fn error_of(text: &str) -> String {
    match Answers::from_toml_str(text) {
        Ok(a) => panic!("accepted: {a:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn vtc_example_scores_25() {
    let answers = Answers::load(&example("vtc.toml")).expect("vtc.toml is valid");
    let a = assess(&answers);
    assert_eq!(a.total, Points { got: 25, max: 37 });
    assert_eq!(subtotals(&answers), vec![13, 3, 7, 2]);
    assert_eq!(a.quadrant, Quadrant::Robotise);
    assert_eq!(answers.case().stated_score, Some(25));
    let text = render(&answers, &a);
    assert!(text.contains("Score: 25 / 37"), "{text}");
    assert!(!text.contains("source states"), "{text}");
}

#[test]
fn ans_example_scores_31_not_the_printed_32() {
    let answers = Answers::load(&example("ans.toml")).expect("ans.toml is valid");
    let a = assess(&answers);
    assert_eq!(a.total.got, 31);
    assert_eq!(subtotals(&answers), vec![14, 7, 7, 3]);
    assert_eq!(answers.case().stated_score, Some(32));
    let text = render(&answers, &a);
    assert!(text.contains("Score: 31 / 37"), "{text}");
    assert!(text.contains("the source states 32"), "{text}");
    assert!(text.contains("Quadrant: robotise"), "{text}");
}

#[test]
fn maximum_is_37_and_reachable() {
    let full = r#"
        [repetitive]
        level = 4
        lines = ["combine-applications", "costly-errors"]
        [expertise]
        lines = ["line-1", "line-2", "line-3", "line-4"]
        [usual-tools]
        lines = ["line-1", "line-2", "line-3"]
        [replicability]
        level = 3
        lines = ["reuse-existing-robot"]
    "#;
    let a = assess(&Answers::from_toml_str(full).expect("valid"));
    assert_eq!(MAX_SCORE, 37);
    assert_eq!(a.total, Points { got: 37, max: 37 });
    assert_eq!(a.value, Points { got: 24, max: 24 });
    assert_eq!(a.fit, Points { got: 13, max: 13 });
}

#[test]
fn nothing_applies_scores_zero() {
    let answers = Answers::from_toml_str(ALL_ZERO).expect("valid");
    let a = assess(&answers);
    assert_eq!(a.total.got, 0);
    assert_eq!(a.quadrant, Quadrant::NotNow);
    assert!(render(&answers, &a).starts_with("Opportunity grid: unnamed case\n"));
}

#[test]
fn quadrants_split_each_axis_at_half() {
    let p = |got, max| Points { got, max };
    assert_eq!(Quadrant::from_axes(p(12, 24), p(7, 13)), Quadrant::Robotise);
    assert_eq!(
        Quadrant::from_axes(p(12, 24), p(6, 13)),
        Quadrant::AutomateOtherwise
    );
    assert_eq!(
        Quadrant::from_axes(p(11, 24), p(7, 13)),
        Quadrant::Opportunistic
    );
    assert_eq!(Quadrant::from_axes(p(11, 24), p(6, 13)), Quadrant::NotNow);
}

#[test]
fn level_outside_the_grid_is_named() {
    let text = ALL_ZERO.replace("[repetitive]\n", "[repetitive]\nlevel = 5\n");
    assert_eq!(
        error_of(&text),
        "group repetitive: level 5 is not one of 1, 2, 3, 4"
    );
    let text = ALL_ZERO.replace("[replicability]\n", "[replicability]\nlevel = 1\n");
    assert_eq!(
        error_of(&text),
        "group replicability: level 1 is not one of 2, 3"
    );
}

#[test]
fn level_on_a_group_without_levels_is_refused() {
    let text = ALL_ZERO.replace("[expertise]\n", "[expertise]\nlevel = 2\n");
    assert_eq!(
        error_of(&text),
        "group expertise: has no levels, `level = 2` does not apply"
    );
}

#[test]
fn unknown_and_repeated_lines_are_refused() {
    let text = ALL_ZERO.replace("[usual-tools]\n", "[usual-tools]\nlines = [\"line-4\"]\n");
    assert_eq!(
        error_of(&text),
        "group usual-tools: unknown line \"line-4\", expected one of line-1, line-2, line-3"
    );
    let text = ALL_ZERO.replace(
        "[expertise]\n",
        "[expertise]\nlines = [\"line-1\", \"line-1\"]\n",
    );
    assert_eq!(
        error_of(&text),
        "group expertise: line \"line-1\" is listed twice"
    );
}

#[test]
fn unknown_fields_are_refused_with_a_line_number() {
    let text = ALL_ZERO.replace("[expertise]\n", "[expertise]\nlevle = 2\n");
    let message = error_of(&text);
    assert!(
        message.starts_with("answers file, line 3: unknown field `levle`"),
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
fn stated_score_above_the_maximum_is_refused() {
    let text = format!("[case]\nstated-score = 38\n{ALL_ZERO}");
    assert_eq!(
        error_of(&text),
        "case: stated-score 38 exceeds the grid's maximum 37"
    );
}

#[test]
fn unreadable_file_names_the_path() {
    let err = Answers::load(&example("missing.toml")).expect_err("no such file");
    assert!(matches!(err, AssessError::Read { .. }));
    assert!(err.to_string().contains("missing.toml"));
}

#[test]
fn answers_round_trip_through_toml() {
    for name in ["vtc.toml", "ans.toml"] {
        let answers = Answers::load(&example(name)).expect("valid example");
        let again = Answers::from_toml_str(&answers.to_toml()).expect("own output is valid");
        assert_eq!(again, answers, "{name}");
    }
}

#[test]
fn group_answers_expose_the_chosen_lines() {
    let answers = Answers::load(&example("vtc.toml")).expect("valid");
    let rep = answers.group(GroupId::Repetitive);
    assert_eq!(rep.level().map(|l| l.points), Some(3));
    let keys: Vec<&str> = rep.lines().map(|l| l.key).collect();
    assert_eq!(keys, vec!["combine-applications", "costly-errors"]);
    assert_eq!(answers.group(GroupId::Replicability).lines().count(), 0);
}

#[test]
fn vtc_renders_as_plain_text() {
    let answers = Answers::load(&example("vtc.toml")).expect("valid");
    let expected = "\
Opportunity grid: Carte professionnelle VTC (guide example)
  note: total from the guide; line answers reconstructed by Pont
  1. repetitive manipulations       13/14
       +3 level +3
       +5 need to combine data from several applications into summaries
       +5 undetected errors are costly
  2. expertise                       3/10
       +1 expertise line worth +1
       +2 expertise line worth +2
  3. usual tools cannot automate      7/7
       +2 first line worth +2
       +3 line worth +3
       +2 second line worth +2
  4. replicability                    2/6
       +2 replicable within my organisation
Score: 25 / 37
Quadrant: robotise (value 16/24, robot fit 9/13): high value and a robot fits: a good candidate for a robot
";
    assert_eq!(render(&answers, &assess(&answers)), expected);
}
