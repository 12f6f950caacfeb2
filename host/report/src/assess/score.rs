//! Scoring validated answers: total, per-group subtotals, quadrant, text.
//!
//! The score is the guide's: the sum of the lines that apply, out of 37. The
//! quadrant is not derived from the score (the guide does not link the two);
//! it is the cell of the gains x costs chart the answers place the case in
//! (see [`super::quadrant`]), or absent when they do not.

use std::fmt::{self, Write as _};

use super::answers::Answers;
use super::grid::{GroupId, MAX_SCORE};
use super::quadrant::{Placement, Quadrant};

/// Points obtained out of a maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Points {
    /// Points obtained.
    pub got: u32,
    /// Most points possible.
    pub max: u32,
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.got, self.max)
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
    /// The gains and costs answered, if any.
    pub placement: Option<Placement>,
    /// The chart's cell for them.
    pub quadrant: Option<Quadrant>,
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
    let total = Points {
        got: groups.iter().map(|g| g.points.got).sum(),
        max: groups.iter().map(|g| g.points.max).sum(),
    };
    debug_assert_eq!(total.max, MAX_SCORE);
    let placement = answers.placement();
    Assessment {
        groups,
        total,
        placement,
        quadrant: placement.map(Placement::quadrant),
    }
}

/// Plain-text report: case, each group's subtotal and lines, total, quadrant.
pub fn render(answers: &Answers, assessment: &Assessment) -> String {
    let mut out = String::new();
    let case = answers.case();
    let title = case.name.as_deref().unwrap_or("unnamed case");
    // Writing to a String cannot fail.
    let _ = writeln!(out, "Use-case assessment: {title}");
    if let Some(note) = &case.note {
        let _ = writeln!(out, "  note: {note}");
    }
    for (n, score) in assessment.groups.iter().enumerate() {
        render_group(&mut out, answers, n + 1, score);
    }
    let _ = writeln!(out, "Total: {}", assessment.total);
    if let Some(stated) = case.stated_score
        && stated != assessment.total.got
    {
        let _ = writeln!(
            out,
            "  the source states {stated}; under the grid's rules these answers give {}",
            assessment.total.got
        );
    }
    render_quadrant(&mut out, assessment);
    out
}

fn render_group(out: &mut String, answers: &Answers, n: usize, score: &GroupScore) {
    let points = score.points.to_string();
    let _ = writeln!(out, "  {n}. {points:>5}  {}", score.group.def().title);
    for line in answers.group(score.group).lines() {
        let _ = writeln!(out, "           +{} {}", line.points, line.label);
    }
}

fn render_quadrant(out: &mut String, assessment: &Assessment) {
    match assessment.placement {
        Some(p) => {
            let q = p.quadrant();
            let _ = writeln!(out, "Quadrant: {q} (gains {}, costs {})", p.gains, p.costs);
        }
        None => {
            let _ = writeln!(
                out,
                "Quadrant: not placed (answer [quadrant] gains and costs, \"high\" or \"low\")"
            );
        }
    }
}
