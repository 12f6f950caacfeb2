//! The interactive walk through the grid on a terminal.
//!
//! It only gathers choices into a [`RawAnswers`] and then runs the same
//! validation as a TOML file, so a terminal session and an answers file can
//! never disagree on what is allowed. Lines that exclude each other are asked
//! as one selection, so the walk cannot even offer a forbidden combination.
//! It takes the terminal as a parameter so the CLI decides where prompts go
//! (stderr, keeping stdout for the report).

use dialoguer::console::Term;
use dialoguer::{Confirm, Input, Select};

use super::answers::{Answers, AssessError, RawAnswers, RawCase};
use super::grid::{Group, GroupId, Line};
use super::quadrant::{Axis, COSTS_AXES, GAINS_AXES, Level, Placement};

/// Ask every line of the grid, then gains and costs, on `term`.
pub fn walk(term: &Term) -> Result<Answers, AssessError> {
    let mut raw = RawAnswers {
        case: ask_case(term)?,
        ..RawAnswers::default()
    };
    for (n, id) in GroupId::ALL.into_iter().enumerate() {
        let def = id.def();
        say(
            term,
            &format!("\n{}. {} (up to {})", n + 1, def.title, def.max()),
        )?;
        raw.group_mut(id).lines = ask_group(term, def)?;
    }
    raw.quadrant = Some(ask_placement(term)?);
    raw.validate()
}

fn terminal(e: dialoguer::Error) -> AssessError {
    AssessError::Terminal(e.to_string())
}

fn say(term: &Term, text: &str) -> Result<(), AssessError> {
    term.write_line(text)
        .map_err(|e| AssessError::Terminal(e.to_string()))
}

fn ask_case(term: &Term) -> Result<Option<RawCase>, AssessError> {
    let name: String = Input::new()
        .with_prompt("Name of the case (optional)")
        .allow_empty(true)
        .interact_text_on(term)
        .map_err(terminal)?;
    let name = name.trim();
    Ok((!name.is_empty()).then(|| RawCase {
        name: Some(name.to_string()),
        ..RawCase::default()
    }))
}

/// The group's lines in grid order: a free line is a yes/no question, a
/// choice is one selection, asked where its first line stands.
fn ask_group(term: &Term, def: &'static Group) -> Result<Vec<String>, AssessError> {
    let mut keys = Vec::new();
    let mut asked = vec![false; def.choices.len()];
    for line in def.lines {
        let picked = match line.choice {
            None => ask_line(term, line)?.then_some(line),
            Some(c) if !std::mem::replace(&mut asked[c], true) => ask_choice(term, def, c)?,
            Some(_) => None,
        };
        keys.extend(picked.map(|l| l.key.to_string()));
    }
    Ok(keys)
}

fn ask_line(term: &Term, line: &Line) -> Result<bool, AssessError> {
    Confirm::new()
        .with_prompt(format!("+{} {}?", line.points, line.label))
        .default(false)
        .interact_on(term)
        .map_err(terminal)
}

/// One line among those of choice `c`, or none.
fn ask_choice(
    term: &Term,
    def: &'static Group,
    c: usize,
) -> Result<Option<&'static Line>, AssessError> {
    let members: Vec<&Line> = def.lines.iter().filter(|l| l.choice == Some(c)).collect();
    let items: Vec<String> = std::iter::once("none of these (0)".to_string())
        .chain(members.iter().map(|l| format!("+{} {}", l.points, l.label)))
        .collect();
    let chosen = Select::new()
        .with_prompt(format!("Take {}", def.choices[c]))
        .items(&items)
        .default(0)
        .interact_on(term)
        .map_err(terminal)?;
    Ok(chosen.checked_sub(1).map(|i| members[i]))
}

fn ask_placement(term: &Term) -> Result<Placement, AssessError> {
    Ok(Placement {
        gains: ask_level(term, "Gains opérationnels", &GAINS_AXES)?,
        costs: ask_level(term, "Coûts de mise en place", &COSTS_AXES)?,
    })
}

/// Show the guide's axes for one side of the chart, then ask high or low.
fn ask_level(term: &Term, side: &str, axes: &[Axis]) -> Result<Level, AssessError> {
    say(term, &format!("\n{side}, axes to take into account:"))?;
    for axis in axes {
        say(term, &format!("  - {}", axis.label))?;
        for detail in axis.details {
            say(term, &format!("      {detail}"))?;
        }
    }
    let chosen = Select::new()
        .with_prompt(format!("{side}: high or low?"))
        .items(["high", "low"])
        .default(0)
        .interact_on(term)
        .map_err(terminal)?;
    Ok(if chosen == 0 { Level::High } else { Level::Low })
}
