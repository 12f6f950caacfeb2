//! `pont assess`: the guide's grid for evaluating a RPA use case, scored out
//! of 37, and its gains x costs chart.
//!
//! The DS-Interop guide asks teams to evaluate a use case *before* building a
//! robot ("Evaluer son cas d'usage RPA"), with a grid of four groups of lines
//! worth points, whose total says how eligible the case is ("Plus le total
//! est élevé, plus le cas d'usage est éligible"):
//!
//! 1. repetitive manipulations: one of four lines worth +1 to +4, plus two
//!    lines worth +5 (max 14);
//! 2. business expertise required: four lines worth +1 to +4 (max 10);
//! 3. the usual tools cannot automate: lines worth +2, +3, +2 (max 7);
//! 4. replicability: +3 "réutiliser un robot déjà existant", plus one of
//!    +2 "répliquer… dans mon organisation" and +3 "…au-delà" (max 6).
//!
//! Labels and values are the guide's own ([`grid`] says where the rules
//! between lines come from); the maximum, 37, is computed from [`GRID`] and
//! checked at compile time. A separate slide, which the guide calls "Grille
//! d'opportunité", places a case on a gains x costs chart; [`quadrant`] holds
//! it.
//!
//! The guide's two worked examples are `examples/assess/ans.toml` (32/37) and
//! `examples/assess/vtc.toml` (25/37), with its line-by-line answers. Their
//! slides were read from a text extraction in which a value can stand a row
//! away from its line; the files say, line by line, which value went where.

pub mod answers;
pub mod grid;
pub mod interactive;
pub mod quadrant;
pub mod score;

pub use answers::{
    Answers, AssessError, Case, GroupAnswer, MAX_FILE_BYTES, RawAnswers, RawCase, RawGroup,
};
pub use grid::{GRID, Group, GroupId, Line, MAX_SCORE};
pub use interactive::walk;
pub use quadrant::{Axis, COSTS_AXES, GAINS_AXES, Level, Placement, Quadrant};
pub use score::{Assessment, GroupScore, Points, assess, render};
