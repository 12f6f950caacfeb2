//! The guide's own figures for its six reference robots (DESIGN.md §1).
//!
//! They are printed next to the measured figures so an operator can see
//! whether a robot delivers what the guide's case study promised.
//!
//! Checked against the guide's text ("Indicateurs de performance" of each
//! case study). Where its figures need reading:
//! - `coherence-agents`: "250", with no unit where the others say "par an";
//!   read as per year, and the row's note says so;
//! - `cps-instruction`: "200/mois" (the stray "2" after it in the extracted
//!   text is taken for a slide mark: the next figure is the frequency,
//!   "2/jour"), and a robot time of "1,30min", read as 1 min 30 s (1.5), the
//!   usual way of writing a duration in minutes and seconds, rather than as
//!   the decimal 1.3;
//! - the guide's "Fréquence de traitement" ("Hebdomadaire", and "2/jour" for
//!   `cps-instruction`) is how often the batch runs, not a volume; the table
//!   has no column for it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A figure the guide gives either as one number or as a range ("60–100").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Lower bound (equal to `high` for a single number).
    pub low: u32,
    /// Upper bound.
    pub high: u32,
}

impl Span {
    /// A single number.
    pub const fn exactly(n: u32) -> Self {
        Span { low: n, high: n }
    }

    /// A range `low–high`.
    pub const fn range(low: u32, high: u32) -> Self {
        Span { low, high }
    }

    /// The number, when the span is a single one; spreadsheets get a numeric
    /// cell for it and text otherwise.
    pub fn single(self) -> Option<u32> {
        (self.low == self.high).then_some(self.low)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.single() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "{}–{}", self.low, self.high),
        }
    }
}

/// What the guide states for one robot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuideFigures {
    /// Dossiers per year.
    pub per_year: f64,
    /// Human minutes per dossier, before the robot.
    pub human_minutes: f64,
    /// Minutes per dossier with the robot.
    pub robot_minutes: f64,
    /// Clicks per dossier.
    pub clicks: Span,
    /// Applications involved.
    pub tools: Span,
    /// Caveat on how to read the figures, if any.
    pub note: Option<String>,
}

impl GuideFigures {
    /// Dossiers per month, from the yearly figure.
    pub fn per_month(&self) -> f64 {
        self.per_year / 12.0
    }

    /// Hours saved per year: volume × (human − robot minutes) / 60.
    pub fn hours_saved_per_year(&self) -> f64 {
        self.per_year * (self.human_minutes - self.robot_minutes) / 60.0
    }
}

/// The names of the guide's six robots, as plugins are called in `plugins/`.
pub const GUIDE_ROBOTS: [&str; 6] = [
    "chorus-subvention",
    "vtc-carte-pro",
    "chorus-paiement",
    "coherence-agents",
    "pj-actes",
    "cps-instruction",
];

/// The guide's figures for one of its six robots, `None` for any other name.
pub fn guide_figures(robot: &str) -> Option<GuideFigures> {
    let (per_year, human, robot_min, clicks, tools, note) = match robot {
        "chorus-subvention" => (1000.0, 5.0, 2.0, Span::exactly(50), Span::exactly(3), None),
        "vtc-carte-pro" => (
            200.0,
            20.0,
            2.0,
            Span::exactly(70),
            Span::exactly(3),
            Some("human time excludes the external delay"),
        ),
        "chorus-paiement" => (450.0, 10.0, 3.0, Span::exactly(100), Span::exactly(4), None),
        "coherence-agents" => (
            250.0,
            20.0,
            4.0,
            Span::exactly(100),
            Span::exactly(3),
            Some("the guide gives 250 with no unit, read as per year"),
        ),
        "pj-actes" => (450.0, 10.0, 3.0, Span::exactly(100), Span::exactly(4), None),
        "cps-instruction" => (
            2400.0,
            10.0,
            1.5,
            Span::range(60, 100),
            Span::range(6, 10),
            Some("the guide gives 200 per month"),
        ),
        _ => return None,
    };
    Some(GuideFigures {
        per_year,
        human_minutes: human,
        robot_minutes: robot_min,
        clicks,
        tools,
        note: note.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guide_robot_has_figures() {
        for name in GUIDE_ROBOTS {
            assert!(guide_figures(name).is_some(), "{name}");
        }
        assert!(guide_figures("hello").is_none());
    }

    #[test]
    fn cps_is_monthly_in_the_guide() {
        let g = guide_figures("cps-instruction").expect("known robot");
        assert_eq!(g.per_month(), 200.0);
        assert_eq!(g.clicks.to_string(), "60–100");
        assert_eq!(g.tools.single(), None);
        // 2400 × 8.5 / 60
        assert_eq!(g.hours_saved_per_year(), 340.0);
    }

    /// The guide's printed values, as its text gives them: volume, human
    /// time, robot time, clicks, tools.
    const PRINTED: [(&str, [&str; 5]); 6] = [
        (
            "chorus-subvention",
            ["1000 par an", "5 min", "2 min", "50 clics", "3"],
        ),
        (
            "vtc-carte-pro",
            [
                "200 par an",
                "20 min + délai externe",
                "2 min en plusieurs étapes",
                "70 clics",
                "3",
            ],
        ),
        (
            "chorus-paiement",
            ["450 par an", "10 min", "3 min", "100 clics", "4"],
        ),
        (
            "coherence-agents",
            ["250", "20 min", "4 min", "100 clics", "3"],
        ),
        (
            "pj-actes",
            ["450 par an", "10 min", "3 min", "100 clics", "4"],
        ),
        (
            "cps-instruction",
            [
                "200/mois",
                "10 min",
                "1,30min",
                "Entre 60 et 100",
                "Entre 6 et 10",
            ],
        ),
    ];

    /// The first number of a printed value ("1,30" as minutes and seconds).
    fn number(text: &str) -> f64 {
        let head: String = text
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .collect();
        match head.split_once(',') {
            Some((min, sec)) => min.parse::<f64>().unwrap() + sec.parse::<f64>().unwrap() / 60.0,
            None => head.parse().unwrap(),
        }
    }

    fn span(text: &str) -> Span {
        match text
            .strip_prefix("Entre ")
            .and_then(|t| t.split_once(" et "))
        {
            Some((low, high)) => Span::range(low.parse().unwrap(), high.parse().unwrap()),
            None => Span::exactly(number(text) as u32),
        }
    }

    #[test]
    fn figures_match_the_guides_printed_values() {
        for (robot, [volume, human, machine, clicks, tools]) in PRINTED {
            let g = guide_figures(robot).expect("known robot");
            let per_year = if volume.contains("/mois") { 12.0 } else { 1.0 } * number(volume);
            assert_eq!(g.per_year, per_year, "{robot}");
            assert_eq!(g.human_minutes, number(human), "{robot}");
            assert_eq!(g.robot_minutes, number(machine), "{robot}");
            assert_eq!(g.clicks, span(clicks), "{robot}");
            assert_eq!(g.tools, span(tools), "{robot}");
        }
        assert_eq!(PRINTED.map(|p| p.0), GUIDE_ROBOTS);
    }

    #[test]
    fn chorus_subvention_saves_fifty_hours_a_year() {
        let g = guide_figures("chorus-subvention").expect("known robot");
        assert_eq!(g.hours_saved_per_year(), 50.0);
        assert_eq!(g.clicks.single(), Some(50));
    }
}
