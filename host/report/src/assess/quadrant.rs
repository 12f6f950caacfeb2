//! The guide's gains × costs matrix ("Grille d'opportunité pour l'utilisation
//! de la RPA… dans la dématérialisation d'une démarche administrative").
//!
//! What the guide gives, and only that: two lists of axes to take into
//! account (operational gains, costs of putting a robot in place), a chart
//! with "Gains" on one axis and "Coûts de mise en place" on the other, and
//! three labels in its cells: « QuickWin », À étudier, À étudier. It gives no
//! points, weights or threshold for the axes, and does not place its two
//! worked examples on the chart.
//!
//! So Pont does not score the axes either: the person assessing reads them
//! and answers two questions, gains high or low, costs high or low
//! (`[quadrant]` in an answers file). The cell follows from the usual reading
//! of such a chart, which the order of the extracted labels matches (first
//! cell, top left, « QuickWin »; then the two diagonal cells À étudier):
//! high gains at low cost is the quick win, high gains at high cost and low
//! gains at low cost are to be studied. The fourth cell, low gains at high
//! cost, carries no label in the guide's text; Pont names it but says so.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One axis of analysis, in the guide's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    /// The guide's wording of the axis.
    pub label: &'static str,
    /// Sub-points the guide lists under it.
    pub details: &'static [&'static str],
}

const fn axis(label: &'static str) -> Axis {
    Axis {
        label,
        details: &[],
    }
}

const REPLICABILITY: &str = "Réplicabilité du robot : utilisation d’un robot déjà existant, possibilité de répliquer le robot développé pour d’autres automatisations";

/// "Axes d'analyse des Gains Opérationnels à prendre en compte lors de
/// l'instruction d'un potentiel cas d'usage".
pub const GAINS_AXES: [Axis; 8] = [
    axis("Délai d’exécution : amélioration du délai d’exécution"),
    axis("Fréquence de l’activité / Stock à apurer"),
    Axis {
        label: "Erreurs : diminution du nombre d’erreurs",
        details: &[
            "Gains direct : réduction du coût de contrôle/correction pendant le processus métier",
            "Gains indirect : réduction de l’impact de l’erreur et du cout de sa correction",
        ],
    },
    axis(
        "Conformité : amélioration de la conformité et diminution du risque de recours (et de l’impact d’un recours)",
    ),
    axis("Sécurité : diminution de risque de fuites d’informations"),
    axis("Temps passé : réduction du temps passé"),
    axis("Pénibilité : réduction d’action pénibles"),
    axis(REPLICABILITY),
];

/// "Axes d'analyse des coûts de mise en place d'un robot".
pub const COSTS_AXES: [Axis; 7] = [
    axis("Taux cible d’activité automatisable"),
    axis("Organisation de l’activité non automatisée et des cas rejetés par le robot"),
    axis(
        "Complexité du cas d’usage (nombre d’étapes, variété des applications, complexité de chaque étape)",
    ),
    axis(
        "Capacité de l’outillage de RPA choisi pour automatisation chaque application entrant dans le processus à automatiser",
    ),
    axis("Stabilité du processus et des applications utilisées"),
    axis(REPLICABILITY),
    axis(
        "Résilience du robot aux évolutions des applications manipulées : évaluation du budget de maintenance nécessaire pour garantir sur la durée que le robot reste opérationnel",
    ),
];

/// Where a case stands on one axis of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Low gains, or low costs.
    Low,
    /// High gains, or high costs.
    High,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Low => "low",
            Level::High => "high",
        })
    }
}

/// A cell of the gains × costs chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// High gains, low costs: « QuickWin ».
    QuickWin,
    /// High gains, high costs: À étudier.
    StudyCostly,
    /// Low gains, low costs: À étudier.
    StudyModest,
    /// Low gains, high costs: no label in the guide's text.
    Unlabelled,
}

impl Quadrant {
    /// The cell for a case's gains and costs.
    pub fn place(gains: Level, costs: Level) -> Self {
        match (gains, costs) {
            (Level::High, Level::Low) => Quadrant::QuickWin,
            (Level::High, Level::High) => Quadrant::StudyCostly,
            (Level::Low, Level::Low) => Quadrant::StudyModest,
            (Level::Low, Level::High) => Quadrant::Unlabelled,
        }
    }

    /// The guide's label for the cell, `None` for the cell it leaves blank.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Quadrant::QuickWin => Some("« QuickWin »"),
            Quadrant::StudyCostly | Quadrant::StudyModest => Some("À étudier"),
            Quadrant::Unlabelled => None,
        }
    }
}

impl fmt::Display for Quadrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label().unwrap_or("(no label in the guide)"))
    }
}

/// The `[quadrant]` table of an answers file: both answers are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Operational gains, having read [`GAINS_AXES`].
    pub gains: Level,
    /// Costs of putting the robot in place, having read [`COSTS_AXES`].
    pub costs: Level,
}

impl Placement {
    /// The chart's cell for this placement.
    pub fn quadrant(self) -> Quadrant {
        Quadrant::place(self.gains, self.costs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_high_gains_low_costs_cell_is_a_quick_win() {
        use Level::{High, Low};
        assert_eq!(Quadrant::place(High, Low).label(), Some("« QuickWin »"));
        assert_eq!(Quadrant::place(High, High).label(), Some("À étudier"));
        assert_eq!(Quadrant::place(Low, Low).label(), Some("À étudier"));
        assert_eq!(Quadrant::place(Low, High).label(), None);
    }

    #[test]
    fn replicability_is_on_both_axes() {
        assert!(GAINS_AXES.iter().any(|a| a.label == REPLICABILITY));
        assert!(COSTS_AXES.iter().any(|a| a.label == REPLICABILITY));
    }
}
