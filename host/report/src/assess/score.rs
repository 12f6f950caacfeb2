//! Scoring validated answers: total, per-group subtotals, quadrant, text.
//!
//! The quadrant is Pont's own reading: the guide's quadrant definition was not
//! available to us. We split the grid into two axes that the groups already
//! suggest and call an axis "high" when it reaches half of its maximum:
//!
//! - **value** = groups 1 + 2 (repetitive manipulations, expertise; max 24):
//!   how much there is to gain by automating the task at all;
//! - **robot fit** = groups 3 + 4 (usual tools cannot automate,
//!   replicability; max 13): how much the task needs a *robot* rather than
//!   the usual tools, and how far the robot can be reused.
//!
//! Half is inclusive (12/24 is high; on the odd maximum 13, 7 is high and 6
//! is not) so that a case exactly on the line is looked at, not dismissed.

use std::fmt::{self, Write as _};

use super::answers::Answers;
use super::grid::{GRID, GroupId, MAX_SCORE};

/// The groups that make up the *value* axis.
pub const VALUE_GROUPS: [GroupId; 2] = [GroupId::Repetitive, GroupId::Expertise];
/// The groups that make up the *robot fit* axis.
pub const FIT_GROUPS: [GroupId; 2] = [GroupId::UsualTools, GroupId::Replicability];

/// Points obtained out of a maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Points {
    /// Points obtained.
    pub got: u32,
    /// Most points possible.
    pub max: u32,
}

impl Points {
    /// Whether the points reach half of the maximum (inclusive).
    pub fn is_high(self) -> bool {
        2 * self.got >= self.max
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.got, self.max)
    }
}

/// Where a case falls on the value × robot-fit plane (Pont's reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// High value, high robot fit: a candidate for a robot.
    Robotise,
    /// High value, low robot fit: worth automating, but look at the usual
    /// tools (DS features, API, spreadsheet) before a robot.
    AutomateOtherwise,
    /// Low value, high robot fit: only if an existing robot covers it cheaply.
    Opportunistic,
    /// Low value, low robot fit: leave it manual for now.
    NotNow,
}

impl Quadrant {
    /// Place a case from its two axes.
    pub fn from_axes(value: Points, fit: Points) -> Self {
        match (value.is_high(), fit.is_high()) {
            (true, true) => Quadrant::Robotise,
            (true, false) => Quadrant::AutomateOtherwise,
            (false, true) => Quadrant::Opportunistic,
            (false, false) => Quadrant::NotNow,
        }
    }

    /// Short name, stable for scripts.
    pub fn name(self) -> &'static str {
        match self {
            Quadrant::Robotise => "robotise",
            Quadrant::AutomateOtherwise => "automate-otherwise",
            Quadrant::Opportunistic => "opportunistic",
            Quadrant::NotNow => "not-now",
        }
    }

    /// One-sentence advice shown to the person assessing.
    pub fn advice(self) -> &'static str {
        match self {
            Quadrant::Robotise => "high value and a robot fits: a good candidate for a robot",
            Quadrant::AutomateOtherwise => {
                "high value but weak robot fit: try DS features, the API or usual tools first"
            }
            Quadrant::Opportunistic => {
                "low value but robot-shaped: worth it only by reusing an existing robot"
            }
            Quadrant::NotNow => "low value and weak robot fit: leave it manual for now",
        }
    }
}

/// A group's share of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupScore {
    /// Which group.
    pub group: GroupId,
    /// Its points.
    pub points: Points,
}

/// The result of scoring answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Per-group subtotals, in grid order.
    pub groups: [GroupScore; 4],
    /// Total score and the grid's maximum (37).
    pub total: Points,
    /// The value axis (groups 1 + 2).
    pub value: Points,
    /// The robot-fit axis (groups 3 + 4).
    pub fit: Points,
    /// The quadrant the axes put the case in.
    pub quadrant: Quadrant,
}

/// Score validated answers.
pub fn assess(answers: &Answers) -> Assessment {
    let groups = GroupId::ALL.map(|id| GroupScore {
        group: id,
        points: Points {
            got: answers.group(id).points(),
            max: id.def().max(),
        },
    });
    let sum = |ids: &[GroupId]| Points {
        got: ids.iter().map(|id| groups[id.index()].points.got).sum(),
        max: ids.iter().map(|id| groups[id.index()].points.max).sum(),
    };
    let total = sum(&GroupId::ALL);
    debug_assert_eq!(total.max, MAX_SCORE);
    let value = sum(&VALUE_GROUPS);
    let fit = sum(&FIT_GROUPS);
    Assessment {
        groups,
        total,
        value,
        fit,
        quadrant: Quadrant::from_axes(value, fit),
    }
}

/// Plain-text report: case, each group's lines and subtotal, score, quadrant.
pub fn render(answers: &Answers, assessment: &Assessment) -> String {
    let mut out = String::new();
    let case = answers.case();
    let title = case.name.as_deref().unwrap_or("unnamed case");
    // Writing to a String cannot fail.
    let _ = writeln!(out, "Opportunity grid: {title}");
    if let Some(note) = &case.note {
        let _ = writeln!(out, "  note: {note}");
    }
    for (i, score) in assessment.groups.iter().enumerate() {
        render_group(&mut out, answers, i, score);
    }
    let _ = writeln!(
        out,
        "Score: {} / {}",
        assessment.total.got, assessment.total.max
    );
    if let Some(stated) = case.stated_score
        && stated != assessment.total.got
    {
        let _ = writeln!(
            out,
            "  the source states {stated}; under the grid's rules these answers give {}",
            assessment.total.got
        );
    }
    let _ = writeln!(
        out,
        "Quadrant: {} (value {}, robot fit {}): {}",
        assessment.quadrant.name(),
        assessment.value,
        assessment.fit,
        assessment.quadrant.advice()
    );
    out
}

fn render_group(out: &mut String, answers: &Answers, i: usize, score: &GroupScore) {
    let def = &GRID[i];
    let _ = writeln!(
        out,
        "  {}. {:<30} {:>5}",
        i + 1,
        def.title,
        score.points.to_string()
    );
    let answer = answers.group(score.group);
    for line in answer.level().into_iter().chain(answer.lines()) {
        let _ = writeln!(out, "       +{} {}", line.points, line.label);
    }
}
