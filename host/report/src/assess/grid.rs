//! The grid itself, as data: four groups of lines worth points, and the rule
//! that some lines of a group exclude each other.
//!
//! The grid is data rather than code so that validation, scoring, the
//! interactive walk and the rendering all read the same table, and so that the
//! maximum is *computed* from it (and checked at compile time against the
//! guide's 37) instead of being a second number that could drift.
//!
//! Wording. Group titles and line labels are the guide's own French, copied
//! from its grid slide ("Evaluer son cas d'usage RPA"), typographic
//! apostrophes and all. Its worked-example slides word two lines differently
//! ("Je pourrai répliquer…", "à une échelle plus vaste que mon organisation",
//! "diverses organisation"); the grid slide is the reference, so its wording
//! is the one kept. Keys (`several-apps-no-api`, ...) are Pont's: ASCII names
//! for answer files, stable if a label's typography is ever corrected.
//!
//! Rules. Every line of the grid added up gives 45, yet the guide scores out
//! of 37, so 8 points of lines must exclude each other. The reading kept here:
//! - group 1: its four lines worth +1 to +4 describe one situation at growing
//!   degrees (one application of my organisation, one application of another,
//!   several applications, several with one lacking an API), so **one** of
//!   them is taken; the two +5 lines are separate facts and add up. Both
//!   worked examples print a single value, 4, for those four rows;
//! - group 4: "dans mon organisation" (+2) and "au-delà de mon organisation"
//!   (+3) are two scopes of the same replication (beyond implies within), so
//!   **one** of them is taken; "réutiliser un robot déjà existant" (+3) is a
//!   different fact and adds to either. ("Any two of the three lines" would
//!   also give 6, but would let both scopes count at once.);
//! - groups 2 and 3: every line adds up (both examples tick all four, resp.
//!   all three, for the ANS case).
//!
//! Hence (4 + 5 + 5) + 10 + 7 + (3 + 3) = 37.

/// Which of the four groups of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupId {
    /// Group 1: repetitive manipulations.
    Repetitive,
    /// Group 2: business expertise required.
    Expertise,
    /// Group 3: the usual tools cannot automate.
    UsualTools,
    /// Group 4: replicability of the robot.
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

/// One line of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Stable identifier used in TOML answer files (`lines = [...]`).
    pub key: &'static str,
    /// Points the line is worth when it applies.
    pub points: u32,
    /// The guide's wording of the line.
    pub label: &'static str,
    /// `Some(i)`: the line belongs to the group's choice `i`, of which at most
    /// one line applies; `None`: the line adds up with any other.
    pub choice: Option<usize>,
}

/// One group of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Which group this is.
    pub id: GroupId,
    /// The group's table name in TOML answer files.
    pub key: &'static str,
    /// The guide's title for the group.
    pub title: &'static str,
    /// The lines, in the guide's order.
    pub lines: &'static [Line],
    /// For each choice a line may belong to, what it is (for error messages
    /// and prompts): "one of the lines worth +1 to +4".
    pub choices: &'static [&'static str],
}

impl Group {
    /// Most points the group can give: every free line plus the best line of
    /// each choice.
    pub const fn max(&self) -> u32 {
        let mut sum = 0;
        let mut i = 0;
        while i < self.lines.len() {
            if self.lines[i].choice.is_none() {
                sum += self.lines[i].points;
            }
            i += 1;
        }
        let mut c = 0;
        while c < self.choices.len() {
            sum += self.best_of(c);
            c += 1;
        }
        sum
    }

    /// Points of the best line of choice `c`.
    const fn best_of(&self, c: usize) -> u32 {
        let mut best = 0;
        let mut i = 0;
        while i < self.lines.len() {
            if let Some(k) = self.lines[i].choice
                && k == c
                && self.lines[i].points > best
            {
                best = self.lines[i].points;
            }
            i += 1;
        }
        best
    }

    /// The line called `key`, if the group has one.
    pub fn line_by_key(&self, key: &str) -> Option<usize> {
        self.lines.iter().position(|l| l.key == key)
    }
}

const fn free(key: &'static str, points: u32, label: &'static str) -> Line {
    Line {
        key,
        points,
        label,
        choice: None,
    }
}

const fn one_of(choice: usize, key: &'static str, points: u32, label: &'static str) -> Line {
    Line {
        key,
        points,
        label,
        choice: Some(choice),
    }
}

const REPETITIVE: Group = Group {
    id: GroupId::Repetitive,
    key: "repetitive",
    title: "L’existence de manipulations répétitives (récupération / saisie) sur une ou plusieurs applications sur le poste de travail",
    lines: &[
        one_of(
            0,
            "one-app-managed",
            1,
            "Je dois procéder régulièrement à des manipulations répétitives sur une application gérée par mon organisation mais il n’est pas prévu de faire évoluer cette application",
        ),
        one_of(
            0,
            "one-app-not-managed",
            2,
            "Je dois procéder régulièrement à des manipulations répétitives sur une application qui n’est pas gérée par mon organisation",
        ),
        one_of(
            0,
            "several-apps-not-planned",
            3,
            "Je dois procéder plutôt régulièrement à des manipulations répétitives sur plusieurs applications à ma disposition mais la prise en compte de ce besoin métier n’est pas intégrable dans le plan Projet des applications",
        ),
        one_of(
            0,
            "several-apps-no-api",
            4,
            "Je dois procéder plutôt régulièrement à des manipulations répétitives sur plusieurs applications à ma disposition, l’une d’entre elle au moins ne dispose pas d’API",
        ),
        free(
            "summaries-no-tool",
            5,
            "J’ai régulièrement besoin de manipuler des données situées dans diverses applications pour produire des synthèses, tableaux de bords et je ne dispose d’aucun outil pour le faire facilement",
        ),
        free(
            "undetected-errors",
            5,
            "Les erreurs de manipulation non détectées immédiatement peuvent avoir des conséquences importantes et/ou chronophages",
        ),
    ],
    choices: &["one of its four lines worth +1 to +4"],
};

const EXPERTISE: Group = Group {
    id: GroupId::Expertise,
    key: "expertise",
    title: "Niveau d’expertise métier requis pour ces manipulations",
    lines: &[
        free(
            "low-training",
            1,
            "Un faible niveau de formation est suffisant pour réaliser l’acte métier dans la grande majorité des cas rencontrés",
        ),
        free(
            "copy-paste",
            2,
            "Une grande partie de la saisie des informations est faite en copier/coller",
        ),
        free(
            "extracted-to-check",
            3,
            "Les données sont extraites pour être contrôlées, consolidées et/ou  rapprochées d’autres données",
        ),
        free(
            "extracted-to-enrich",
            4,
            "Les données sont extraites pour servir à en enrichir d’autres dans une autre application",
        ),
    ],
    choices: &[],
};

const USUAL_TOOLS: Group = Group {
    id: GroupId::UsualTools,
    key: "usual-tools",
    title: "Les outils habituels maîtrisés par la DSI ou le métier ne permettent pas d’automatiser",
    lines: &[
        free(
            "not-interconnected",
            2,
            "Les applications à utiliser ne sont pas interconnectées entre elles, ce qui empêche de disposer facilement de l’ensemble des informations",
        ),
        free(
            "gui-only",
            3,
            "Il n’y a pas d’autre moyen que l’utilisation de l’IHM qui permette de récupérer ou saisir les informations dans le SI",
        ),
        free(
            "shared-third-party-app",
            2,
            "L’application est fournie par un tiers / un partenaire et partagées auprès de diverses organisations",
        ),
    ],
    choices: &[],
};

const REPLICABILITY: Group = Group {
    id: GroupId::Replicability,
    key: "replicability",
    title: "La réplicabilité du robot",
    lines: &[
        free(
            "reuse-existing-robot",
            3,
            "Je peux réutiliser un robot déjà existant pour mon cas d’usage",
        ),
        one_of(
            0,
            "replicate-within",
            2,
            "Je peux répliquer le robot de mon cas d’usage dans mon organisation",
        ),
        one_of(
            0,
            "replicate-beyond",
            3,
            "Je peux répliquer le robot de mon cas d’usage au-delà de mon organisation",
        ),
    ],
    choices: &["one of its two \"répliquer\" lines (within or beyond my organisation)"],
};

/// The guide's grid, in its order.
pub const GRID: &[Group; 4] = &[REPETITIVE, EXPERTISE, USUAL_TOOLS, REPLICABILITY];

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

// The guide scores out of 37; a grid edit that breaks it must not build.
const _: () = assert!(MAX_SCORE == 37);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_maxima_follow_the_rules() {
        let maxima: Vec<u32> = GRID.iter().map(Group::max).collect();
        assert_eq!(maxima, vec![14, 10, 7, 6]);
        assert_eq!(MAX_SCORE, 37);
    }

    #[test]
    fn without_the_rules_the_lines_add_up_to_45() {
        let all: u32 = GRID.iter().flat_map(|g| g.lines).map(|l| l.points).sum();
        assert_eq!(all, 45);
    }

    #[test]
    fn ids_index_the_grid() {
        for id in GroupId::ALL {
            assert_eq!(id.def().id, id);
        }
    }

    #[test]
    fn keys_are_unique_and_choices_exist() {
        for g in GRID {
            let mut keys: Vec<&str> = g.lines.iter().map(|l| l.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), g.lines.len(), "group {}", g.key);
            for c in 0..g.choices.len() {
                let members = g.lines.iter().filter(|l| l.choice == Some(c)).count();
                assert!(members >= 2, "group {} choice {c}", g.key);
            }
            assert!(
                g.lines
                    .iter()
                    .all(|l| l.choice.is_none_or(|c| c < g.choices.len()))
            );
        }
    }
}
