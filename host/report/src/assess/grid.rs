//! The grid itself, as data: four groups, each with lines worth points.
//!
//! The grid is data rather than code so that validation, scoring, the
//! interactive walk and the rendering all read the same table, and so that the
//! maximum is *computed* from it (and checked at compile time against the
//! guide's 37) instead of being a second number that could drift.
//!
//! Wording. The group titles and the labels of the lines of groups 1 and 4
//! come from the issue that specified `pont assess` (which paraphrases the
//! guide in English). The guide's own French wording, and the wording of the
//! lines of groups 2 and 3 and of the four levels of group 1, were not
//! available to us, so those lines carry neutral labels ("line worth +2");
//! someone scoring a case is expected to have the guide's grid in hand.

/// Which of the four groups of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupId {
    /// Group 1: repetitive manipulations.
    Repetitive,
    /// Group 2: expertise.
    Expertise,
    /// Group 3: the usual tools cannot automate the task.
    UsualTools,
    /// Group 4: replicability.
    Replicability,
}

impl GroupId {
    /// All groups, in the guide's order; index `i` matches `GRID[i]`.
    pub const ALL: [GroupId; 4] = [
        GroupId::Repetitive,
        GroupId::Expertise,
        GroupId::UsualTools,
        GroupId::Replicability,
    ];

    /// Position of the group in [`GRID`] and in per-group arrays.
    pub const fn index(self) -> usize {
        match self {
            GroupId::Repetitive => 0,
            GroupId::Expertise => 1,
            GroupId::UsualTools => 2,
            GroupId::Replicability => 3,
        }
    }

    /// The group's definition in [`GRID`].
    pub fn def(self) -> &'static Group {
        &GRID[self.index()]
    }
}

/// One line of the grid: a key for answer files, its points, and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Stable identifier used in TOML answer files (`lines = [...]`).
    pub key: &'static str,
    /// Points the line is worth when it applies.
    pub points: u32,
    /// Human-readable label (see the module docs about wording).
    pub label: &'static str,
}

/// One group of the grid.
///
/// A group has *levels*, of which at most one is chosen, and *extras*, which
/// add up. Group 1 has both, group 4 has both, groups 2 and 3 only extras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Which group this is.
    pub id: GroupId,
    /// The group's table name in TOML answer files.
    pub key: &'static str,
    /// Title, in English.
    pub title: &'static str,
    /// Mutually exclusive levels, identified in answer files by their points.
    pub levels: &'static [Line],
    /// Cumulative lines, identified in answer files by their key.
    pub extras: &'static [Line],
}

impl Group {
    /// Most points the group can give: the best level plus every extra.
    pub const fn max(&self) -> u32 {
        let mut best = 0;
        let mut i = 0;
        while i < self.levels.len() {
            if self.levels[i].points > best {
                best = self.levels[i].points;
            }
            i += 1;
        }
        let mut sum = best;
        let mut j = 0;
        while j < self.extras.len() {
            sum += self.extras[j].points;
            j += 1;
        }
        sum
    }

    /// The level worth `points`, if the group has one.
    pub fn level_by_points(&self, points: u32) -> Option<usize> {
        self.levels.iter().position(|l| l.points == points)
    }

    /// The extra line called `key`, if the group has one.
    pub fn extra_by_key(&self, key: &str) -> Option<usize> {
        self.extras.iter().position(|l| l.key == key)
    }
}

const fn line(key: &'static str, points: u32, label: &'static str) -> Line {
    Line { key, points, label }
}

/// The guide's opportunity grid.
pub const GRID: &[Group; 4] = &[
    Group {
        id: GroupId::Repetitive,
        key: "repetitive",
        title: "repetitive manipulations",
        levels: &[
            line("1", 1, "level +1"),
            line("2", 2, "level +2"),
            line("3", 3, "level +3"),
            line("4", 4, "level +4"),
        ],
        extras: &[
            line(
                "combine-applications",
                5,
                "need to combine data from several applications into summaries",
            ),
            line("costly-errors", 5, "undetected errors are costly"),
        ],
    },
    Group {
        id: GroupId::Expertise,
        key: "expertise",
        title: "expertise",
        levels: &[],
        extras: &[
            line("line-1", 1, "expertise line worth +1"),
            line("line-2", 2, "expertise line worth +2"),
            line("line-3", 3, "expertise line worth +3"),
            line("line-4", 4, "expertise line worth +4"),
        ],
    },
    Group {
        id: GroupId::UsualTools,
        key: "usual-tools",
        title: "usual tools cannot automate",
        levels: &[],
        extras: &[
            line("line-1", 2, "first line worth +2"),
            line("line-2", 3, "line worth +3"),
            line("line-3", 2, "second line worth +2"),
        ],
    },
    Group {
        id: GroupId::Replicability,
        key: "replicability",
        title: "replicability",
        levels: &[
            line("2", 2, "replicable within my organisation"),
            line("3", 3, "replicable beyond my organisation"),
        ],
        extras: &[line(
            "reuse-existing-robot",
            3,
            "an existing robot can be reused",
        )],
    },
];

const fn grid_max(grid: &[Group]) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while i < grid.len() {
        sum += grid[i].max();
        i += 1;
    }
    sum
}

/// The grid's maximum, computed from [`GRID`].
pub const MAX_SCORE: u32 = grid_max(GRID);

// The guide states a maximum of 37; a grid edit that breaks it must not build.
const _: () = assert!(MAX_SCORE == 37);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_maxima_match_the_issue() {
        let maxima: Vec<u32> = GRID.iter().map(Group::max).collect();
        assert_eq!(maxima, vec![14, 10, 7, 6]);
        assert_eq!(MAX_SCORE, 37);
    }

    #[test]
    fn ids_index_the_grid() {
        for id in GroupId::ALL {
            assert_eq!(id.def().id, id);
        }
    }

    #[test]
    fn keys_are_unique_within_a_group() {
        for g in GRID {
            let mut keys: Vec<&str> = g.extras.iter().map(|l| l.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), g.extras.len(), "group {}", g.key);
            let mut pts: Vec<u32> = g.levels.iter().map(|l| l.points).collect();
            pts.sort_unstable();
            pts.dedup();
            assert_eq!(pts.len(), g.levels.len(), "group {}", g.key);
        }
    }
}
