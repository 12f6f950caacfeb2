//! Four-eyes decisions in the report: of the proposals a robot made in the
//! period, the share agents approved as is, rejected and modified, and how
//! long a decision took (the median, from proposal to decision). The host
//! hands plain values; pending proposals count in `proposals` only.

use chrono::{DateTime, Utc};

/// One proposal, as the journal has it.
#[derive(Debug, Clone)]
pub struct ProposalMeasure {
    pub proposed_at: DateTime<Utc>,
    /// `approve`, `reject` or `modify`; `None` while pending.
    pub verdict: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A robot's figures for the period.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRow {
    pub robot: String,
    pub proposals: u32,
    pub approved: u32,
    pub rejected: u32,
    pub modified: u32,
    /// Median time from proposal to decision, in minutes (none decided: `None`).
    pub median_decision_min: Option<f64>,
}

impl ApprovalRow {
    pub fn compute(robot: &str, list: &[ProposalMeasure]) -> Self {
        let count = |v: &str| {
            list.iter()
                .filter(|p| p.verdict.as_deref() == Some(v))
                .count() as u32
        };
        let mut waits: Vec<i64> = list
            .iter()
            .filter_map(|p| Some((p.decided_at? - p.proposed_at).num_milliseconds().max(0)))
            .collect();
        waits.sort_unstable();
        Self {
            robot: robot.to_string(),
            proposals: list.len() as u32,
            approved: count("approve"),
            rejected: count("reject"),
            modified: count("modify"),
            median_decision_min: median(&waits).map(|ms| ms / 60_000.0),
        }
    }

    /// The decided proposals.
    fn decided(&self) -> u32 {
        self.approved + self.rejected + self.modified
    }
}

fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// A share of the decided proposals, as a percentage with one decimal.
fn share(part: u32, whole: u32) -> String {
    if whole == 0 {
        return "—".into();
    }
    format!("{:.1} %", f64::from(part) * 100.0 / f64::from(whole))
}

/// The section appended to the Markdown report; empty when no robot made
/// a proposal in the period.
pub fn to_markdown(rows: &[ApprovalRow]) -> String {
    if rows.iter().all(|r| r.proposals == 0) {
        return String::new();
    }
    let mut out = String::from(
        "\n## Four-eyes decisions\n\n\
         | robot | proposals | decided | approved | rejected | modified | median time to decide (min) |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows.iter().filter(|r| r.proposals > 0) {
        let d = r.decided();
        let median = r
            .median_decision_min
            .map_or("—".to_string(), |m| format!("{m:.1}"));
        out.push_str(&format!(
            "| {} | {} | {d} | {} | {} | {} | {median} |\n",
            r.robot.replace('|', "\\|"),
            r.proposals,
            share(r.approved, d),
            share(r.rejected, d),
            share(r.modified, d),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::minutes(min)
    }

    fn p(verdict: Option<&str>, waited_min: i64) -> ProposalMeasure {
        ProposalMeasure {
            proposed_at: at(0),
            verdict: verdict.map(str::to_string),
            decided_at: verdict.map(|_| at(waited_min)),
        }
    }

    #[test]
    fn shares_are_of_decided_proposals_and_the_median_of_their_waits() {
        let mut list: Vec<_> = (1..=7).map(|m| p(Some("approve"), m)).collect();
        list.extend([
            p(Some("reject"), 30),
            p(Some("reject"), 40),
            p(Some("modify"), 50),
        ]);
        list.push(p(None, 0));
        let row = ApprovalRow::compute("refuser", &list);
        assert_eq!(
            (row.proposals, row.approved, row.rejected, row.modified),
            (11, 7, 2, 1)
        );
        // Waits 1..7, 30, 40, 50: the median of ten is (5 + 6) / 2.
        assert_eq!(row.median_decision_min, Some(5.5));
        let md = to_markdown(&[row]);
        assert!(
            md.contains("| refuser | 11 | 10 | 70.0 % | 20.0 % | 10.0 % | 5.5 |"),
            "{md}"
        );
    }

    #[test]
    fn no_proposal_no_section() {
        assert_eq!(to_markdown(&[ApprovalRow::compute("r", &[])]), "");
        let pending = ApprovalRow::compute("r", &[p(None, 0)]);
        assert!(to_markdown(&[pending]).contains("| r | 1 | 0 | — | — | — | — |"));
    }
}
