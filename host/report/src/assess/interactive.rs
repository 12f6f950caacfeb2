//! The interactive walk through the grid on a terminal.
//!
//! It only gathers choices into a [`RawAnswers`] and then runs the same
//! validation as a TOML file, so a terminal session and an answers file can
//! never disagree on what is allowed. It takes the terminal as a parameter so
//! the CLI decides where prompts go (stderr, keeping stdout for the report).

use dialoguer::console::Term;
use dialoguer::{Confirm, Input, Select};

use super::answers::{Answers, AssessError, RawAnswers, RawCase};
use super::grid::{Group, GroupId};

/// Ask every line of the grid on `term` and return validated answers.
pub fn walk(term: &Term) -> Result<Answers, AssessError> {
    let mut raw = RawAnswers {
        case: ask_case(term)?,
        ..RawAnswers::default()
    };
    for (n, id) in GroupId::ALL.into_iter().enumerate() {
        let def = id.def();
        term.write_line(&format!("\n{}. {} (up to {})", n + 1, def.title, def.max()))
            .map_err(|e| AssessError::Terminal(e.to_string()))?;
        let group = raw.group_mut(id);
        group.level = ask_level(term, def)?;
        group.lines = ask_lines(term, def)?;
    }
    raw.validate()
}

fn terminal(e: dialoguer::Error) -> AssessError {
    AssessError::Terminal(e.to_string())
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

/// One choice among the group's levels, or none; `None` when it has no levels.
fn ask_level(term: &Term, def: &Group) -> Result<Option<u32>, AssessError> {
    if def.levels.is_empty() {
        return Ok(None);
    }
    let items: Vec<String> = std::iter::once("none of these (0)".to_string())
        .chain(
            def.levels
                .iter()
                .map(|l| format!("+{} {}", l.points, l.label)),
        )
        .collect();
    let chosen = Select::new()
        .with_prompt(format!("{}: which level applies?", def.title))
        .items(&items)
        .default(0)
        .interact_on(term)
        .map_err(terminal)?;
    Ok(chosen.checked_sub(1).map(|i| def.levels[i].points))
}

/// A yes/no question for each cumulative line of the group.
fn ask_lines(term: &Term, def: &Group) -> Result<Vec<String>, AssessError> {
    let mut keys = Vec::new();
    for line in def.extras {
        let applies = Confirm::new()
            .with_prompt(format!("{}: +{} {}?", def.title, line.points, line.label))
            .default(false)
            .interact_on(term)
            .map_err(terminal)?;
        if applies {
            keys.push(line.key.to_string());
        }
    }
    Ok(keys)
}
