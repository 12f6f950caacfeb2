//! Answers to the grid: the raw TOML shape and the validated [`Answers`].
//!
//! Two stages, as everywhere in Pont: serde reads a file into raw structs that
//! refuse unknown fields (a misspelt line must not silently score zero), then
//! [`RawAnswers::validate`] checks every level and line against the grid and
//! produces [`Answers`], which can only hold choices the grid allows. The
//! interactive walk goes through the same validation, so both entry points
//! yield the same type with the same guarantees.
//!
//! File shape (every group table is required, so that "nothing applies" is a
//! deliberate answer rather than a forgotten table):
//!
//! ```toml
//! [case]                      # optional
//! name = "Carte professionnelle VTC"
//! stated-score = 25           # optional: what the source printed
//!
//! [repetitive]
//! level = 3                   # points of the chosen level, or omit
//! lines = ["combine-applications", "costly-errors"]
//!
//! [expertise]
//! lines = ["line-1", "line-2"]
//!
//! [usual-tools]
//! lines = ["line-1", "line-2", "line-3"]
//!
//! [replicability]
//! level = 2                   # 2: within my organisation, 3: beyond it
//! lines = ["reuse-existing-robot"]
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::grid::{Group, GroupId, Line, MAX_SCORE};

/// Why answers could not be read or accepted. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The answers file could not be read.
    #[error("cannot read answers file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The file is not valid TOML, or does not have the expected shape.
    #[error("answers file, {}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Syntax {
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// What is wrong, on one line.
        message: String,
    },
    /// A group's answer is not allowed by the grid.
    #[error("group {group}: {problem}")]
    Group {
        /// The group's key (`repetitive`, `expertise`, ...).
        group: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The `[case]` table is inconsistent.
    #[error("case: {0}")]
    Case(String),
    /// The interactive walk failed on the terminal.
    #[error("interactive walk: {0}")]
    Terminal(String),
}

/// The `[case]` table as read: free description of the assessed case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCase {
    /// Name of the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free note (where the answers come from, caveats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The score a source printed for this case, to show next to ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated_score: Option<u32>,
}

/// One group's table as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Points of the chosen level, for groups that have levels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// Keys of the cumulative lines that apply.
    #[serde(default)]
    pub lines: Vec<String>,
}

/// A whole answers file as read, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAnswers {
    /// Optional description of the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<RawCase>,
    /// Group 1.
    pub repetitive: RawGroup,
    /// Group 2.
    pub expertise: RawGroup,
    /// Group 3.
    pub usual_tools: RawGroup,
    /// Group 4.
    pub replicability: RawGroup,
}

impl RawAnswers {
    /// Parse a TOML answers file, without checking it against the grid yet.
    pub fn from_toml_str(text: &str) -> Result<Self, AssessError> {
        toml::from_str(text).map_err(|e| syntax_error(text, &e))
    }

    /// The raw table of a group.
    pub fn group(&self, id: GroupId) -> &RawGroup {
        match id {
            GroupId::Repetitive => &self.repetitive,
            GroupId::Expertise => &self.expertise,
            GroupId::UsualTools => &self.usual_tools,
            GroupId::Replicability => &self.replicability,
        }
    }

    /// Mutable access to the raw table of a group (used by the walk).
    pub fn group_mut(&mut self, id: GroupId) -> &mut RawGroup {
        match id {
            GroupId::Repetitive => &mut self.repetitive,
            GroupId::Expertise => &mut self.expertise,
            GroupId::UsualTools => &mut self.usual_tools,
            GroupId::Replicability => &mut self.replicability,
        }
    }

    /// Check every answer against the grid; the first problem is reported.
    pub fn validate(&self) -> Result<Answers, AssessError> {
        let case = validate_case(self.case.clone().unwrap_or_default())?;
        // Groups are checked in grid order, so the first problem reported is in the earliest group.
        let [a, b, c, d] = GroupId::ALL.map(|id| validate_group(id.def(), self.group(id)));
        let groups = [a?, b?, c?, d?];
        Ok(Answers { case, groups })
    }
}

/// The description of an assessed case, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    /// Name of the case.
    pub name: Option<String>,
    /// Free note.
    pub note: Option<String>,
    /// The score a source printed, at most [`MAX_SCORE`].
    pub stated_score: Option<u32>,
}

/// A group's validated answer: which level, which extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAnswer {
    group: GroupId,
    level: Option<usize>,
    ticked: Vec<bool>,
}

impl GroupAnswer {
    /// Which group this answers.
    pub fn group(&self) -> GroupId {
        self.group
    }

    /// The chosen level, if any.
    pub fn level(&self) -> Option<&'static Line> {
        self.level.map(|i| &self.group.def().levels[i])
    }

    /// The cumulative lines that apply, in grid order.
    pub fn lines(&self) -> impl Iterator<Item = &'static Line> + '_ {
        let def = self.group.def();
        self.ticked
            .iter()
            .zip(def.extras)
            .filter_map(|(t, l)| t.then_some(l))
    }

    /// Points this answer gives: the level's plus every applying line's.
    pub fn points(&self) -> u32 {
        self.level().map_or(0, |l| l.points) + self.lines().map(|l| l.points).sum::<u32>()
    }
}

/// Validated answers to the whole grid; build with [`RawAnswers::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    case: Case,
    groups: [GroupAnswer; 4],
}

impl Answers {
    /// Parse and validate a TOML answers text.
    pub fn from_toml_str(text: &str) -> Result<Self, AssessError> {
        RawAnswers::from_toml_str(text)?.validate()
    }

    /// Read, parse and validate a TOML answers file.
    pub fn load(path: &Path) -> Result<Self, AssessError> {
        let text = std::fs::read_to_string(path).map_err(|error| AssessError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::from_toml_str(&text)
    }

    /// The case description.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The answer for one group.
    pub fn group(&self, id: GroupId) -> &GroupAnswer {
        &self.groups[id.index()]
    }

    /// Back to the raw shape, e.g. to save an interactive session as TOML.
    pub fn to_raw(&self) -> RawAnswers {
        let mut raw = RawAnswers {
            case: (self.case != Case::default()).then(|| RawCase {
                name: self.case.name.clone(),
                note: self.case.note.clone(),
                stated_score: self.case.stated_score,
            }),
            ..RawAnswers::default()
        };
        for id in GroupId::ALL {
            let answer = self.group(id);
            *raw.group_mut(id) = RawGroup {
                level: answer.level().map(|l| l.points),
                lines: answer.lines().map(|l| l.key.to_string()).collect(),
            };
        }
        raw
    }

    /// The answers as a TOML answers file that [`Answers::from_toml_str`] reads back.
    pub fn to_toml(&self) -> String {
        // RawAnswers only holds strings, integers and tables: serialising cannot fail.
        toml::to_string(&self.to_raw()).unwrap_or_default()
    }
}

fn validate_case(raw: RawCase) -> Result<Case, AssessError> {
    if let Some(s) = raw.stated_score
        && s > MAX_SCORE
    {
        return Err(AssessError::Case(format!(
            "stated-score {s} exceeds the grid's maximum {MAX_SCORE}"
        )));
    }
    Ok(Case {
        name: raw.name,
        note: raw.note,
        stated_score: raw.stated_score,
    })
}

fn validate_group(def: &'static Group, raw: &RawGroup) -> Result<GroupAnswer, AssessError> {
    let problem = |problem: String| AssessError::Group {
        group: def.key,
        problem,
    };
    let level = match raw.level {
        None => None,
        Some(p) if def.levels.is_empty() => {
            return Err(problem(format!(
                "has no levels, `level = {p}` does not apply"
            )));
        }
        Some(p) => Some(def.level_by_points(p).ok_or_else(|| {
            problem(format!(
                "level {p} is not one of {}",
                join(def.levels.iter().map(|l| l.points.to_string()))
            ))
        })?),
    };
    let mut ticked = vec![false; def.extras.len()];
    for key in &raw.lines {
        let i = def.extra_by_key(key).ok_or_else(|| {
            problem(format!(
                "unknown line \"{key}\", expected one of {}",
                join(def.extras.iter().map(|l| l.key.to_string()))
            ))
        })?;
        if std::mem::replace(&mut ticked[i], true) {
            return Err(problem(format!("line \"{key}\" is listed twice")));
        }
    }
    Ok(GroupAnswer {
        group: def.id,
        level,
        ticked,
    })
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Turn toml's multi-line diagnostic into our one-line error.
fn syntax_error(text: &str, e: &toml::de::Error) -> AssessError {
    let line = e.span().map(|s| {
        text.as_bytes()[..s.start.min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    });
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    AssessError::Syntax { line, message }
}
