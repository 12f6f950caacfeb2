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
//! deliberate answer rather than a forgotten table; `[quadrant]` is optional):
//!
//! ```toml
//! [case]                      # optional
//! name = "Carte professionnelle VTC"
//! stated-score = 25           # optional: what the source printed
//!
//! [repetitive]                # keys: see grid::GRID
//! lines = ["several-apps-no-api", "undetected-errors"]
//!
//! [expertise]
//! lines = ["low-training", "copy-paste"]
//!
//! [usual-tools]
//! lines = ["not-interconnected", "gui-only", "shared-third-party-app"]
//!
//! [replicability]
//! lines = ["replicate-within"]
//!
//! [quadrant]                  # optional: the gains x costs chart
//! gains = "high"              # "high" or "low"
//! costs = "high"
//! ```

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::grid::{Group, GroupId, Line, MAX_SCORE};
use super::quadrant::Placement;

/// Largest answers file read: a filled-in grid is well under 4 KiB, so this
/// only stops a wrong path (a log, a disk image) from being read into memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

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
    /// The answers file is larger than any filled-in grid.
    #[error("answers file {path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
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
    /// Keys of the lines that apply.
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
    /// Optional place on the gains x costs chart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quadrant: Option<Placement>,
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
        Ok(Answers {
            case,
            groups,
            placement: self.quadrant,
        })
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

/// A group's validated answer: which of its lines apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAnswer {
    group: GroupId,
    ticked: Vec<bool>,
}

impl GroupAnswer {
    /// Which group this answers.
    pub fn group(&self) -> GroupId {
        self.group
    }

    /// The lines that apply, in grid order.
    pub fn lines(&self) -> impl Iterator<Item = &'static Line> + '_ {
        let def = self.group.def();
        self.ticked
            .iter()
            .zip(def.lines)
            .filter_map(|(t, l)| t.then_some(l))
    }

    /// Points this answer gives: the sum of its lines' points.
    pub fn points(&self) -> u32 {
        self.lines().map(|l| l.points).sum()
    }
}

/// Validated answers to the whole grid; build with [`RawAnswers::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    case: Case,
    groups: [GroupAnswer; 4],
    placement: Option<Placement>,
}

impl Answers {
    /// Parse and validate a TOML answers text.
    pub fn from_toml_str(text: &str) -> Result<Self, AssessError> {
        RawAnswers::from_toml_str(text)?.validate()
    }

    /// Read, parse and validate a TOML answers file of at most
    /// [`MAX_FILE_BYTES`].
    pub fn load(path: &Path) -> Result<Self, AssessError> {
        Self::from_toml_str(&read_bounded(path)?)
    }

    /// The case description.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The answer for one group.
    pub fn group(&self, id: GroupId) -> &GroupAnswer {
        &self.groups[id.index()]
    }

    /// Where the case stands on the gains x costs chart, if answered.
    pub fn placement(&self) -> Option<Placement> {
        self.placement
    }

    /// Back to the raw shape, e.g. to save an interactive session as TOML.
    pub fn to_raw(&self) -> RawAnswers {
        let mut raw = RawAnswers {
            case: (self.case != Case::default()).then(|| RawCase {
                name: self.case.name.clone(),
                note: self.case.note.clone(),
                stated_score: self.case.stated_score,
            }),
            quadrant: self.placement,
            ..RawAnswers::default()
        };
        for id in GroupId::ALL {
            raw.group_mut(id).lines = self.group(id).lines().map(|l| l.key.to_string()).collect();
        }
        raw
    }

    /// The answers as a TOML answers file that [`Answers::from_toml_str`] reads back.
    pub fn to_toml(&self) -> String {
        // RawAnswers only holds strings, integers and tables: serialising cannot fail.
        toml::to_string(&self.to_raw()).unwrap_or_default()
    }
}

fn read_bounded(path: &Path) -> Result<String, AssessError> {
    let read = |error| AssessError::Read {
        path: path.to_path_buf(),
        error,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(AssessError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|_| {
        read(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))
    })
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
    let mut ticked = vec![false; def.lines.len()];
    for key in &raw.lines {
        let i = def.line_by_key(key).ok_or_else(|| {
            problem(format!(
                "unknown line \"{key}\", expected one of {}",
                join(def.lines.iter().map(|l| l.key))
            ))
        })?;
        if std::mem::replace(&mut ticked[i], true) {
            return Err(problem(format!("line \"{key}\" is listed twice")));
        }
    }
    check_choices(def, &ticked).map_err(problem)?;
    Ok(GroupAnswer {
        group: def.id,
        ticked,
    })
}

/// At most one line of each of the group's choices may apply.
fn check_choices(def: &Group, ticked: &[bool]) -> Result<(), String> {
    for (c, what) in def.choices.iter().enumerate() {
        let mut taken = def
            .lines
            .iter()
            .zip(ticked)
            .filter(|(l, t)| **t && l.choice == Some(c))
            .map(|(l, _)| l);
        if let (Some(first), Some(second)) = (taken.next(), taken.next()) {
            return Err(format!(
                "\"{}\" (+{}) and \"{}\" (+{}) cannot both apply: the grid takes {what}",
                first.key, first.points, second.key, second.points
            ));
        }
    }
    Ok(())
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
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
