//! `pont assess`: the guide's opportunity grid, scored out of 37.
//!
//! The DS-Interop guide asks teams to evaluate a use case *before* building a
//! robot, with a grid of four groups of lines worth points:
//!
//! 1. repetitive manipulations: one level among +1, +2, +3, +4, plus +5 "need
//!    to combine data from several applications into summaries", plus +5
//!    "undetected errors are costly" (max 14);
//! 2. expertise: lines worth +1, +2, +3, +4, cumulative (max 10);
//! 3. usual tools cannot automate: lines worth +2, +3, +2, cumulative (max 7);
//! 4. replicability: +3 "an existing robot can be reused", plus one level
//!    among +2 "within my organisation" and +3 "beyond it" (max 6).
//!
//! The maximum, 37, is computed from [`GRID`] and checked at compile time.
//!
//! Sources and what is ours:
//! - the rules above come from the issue that specified this command; the
//!   guide's own French wording could not be consulted, so the lines of
//!   groups 2 and 3 and the levels of group 1 have neutral labels (see
//!   [`grid`]);
//! - the quadrant is Pont's own reading (see [`score`]), not the guide's;
//! - the guide's two worked examples are reproduced in
//!   `examples/assess/vtc.toml` and `examples/assess/ans.toml`. Their totals
//!   are the guide's, but the individual answers in those files are
//!   *reconstructed* to be consistent with the totals, not copied line by line.
//!   The VTC example scores 25/37. The ANS example is printed in the guide as
//!   32, but it puts 3 points on a line worth +2; under the rules above a line
//!   gives exactly its points, so the same answers score **31/37** here, and
//!   the report says that the source states 32.

pub mod answers;
pub mod grid;
pub mod interactive;
pub mod score;

pub use answers::{Answers, AssessError, Case, GroupAnswer, RawAnswers, RawCase, RawGroup};
pub use grid::{GRID, Group, GroupId, Line, MAX_SCORE};
pub use interactive::walk;
pub use score::{Assessment, GroupScore, Points, Quadrant, assess, render};
