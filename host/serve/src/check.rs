//! `pont serve --check`: the service config and every robot config it names,
//! checked the way a run would check them before its first item (config,
//! manifest, requested ∩ granted, the plugin file), one line per problem.

use std::path::Path;

use pont_policy::{EffectivePolicy, Manifest, RobotConfig, SecretSource};

use crate::config::{RobotEntry, ServiceConfig};

/// What the service knows of a robot config once it has read it.
#[derive(Debug, Clone)]
pub(crate) struct RobotFacts {
    /// The manifest's name: the journal keys the robot's rows by it.
    pub journal_robot: String,
    pub journal: std::path::PathBuf,
    /// How the metrics name the robot's DS token: where the config reads
    /// it from (`env:NAME`, `file:PATH`), never its value.
    pub ds_token: Option<String>,
    /// The robot's `[budgets]`, by the ledger's name of each destination
    /// (so they join the egress counters), in bytes per run.
    pub budgets: Vec<(String, u64)>,
}

/// Every problem of the service config at `path`, one line each; empty
/// when the service can start.
pub fn check(path: &Path) -> Vec<String> {
    match ServiceConfig::load(path) {
        Ok(config) => check_config(&config),
        Err(e) => vec![e.to_string()],
    }
}

/// The problems of a loaded service config: its secrets and its robots.
pub(crate) fn check_config(config: &ServiceConfig) -> Vec<String> {
    let mut problems = Vec::new();
    let secrets = [
        ("api.token", config.api_token.as_ref()),
        (
            "webhooks.secret",
            config.webhooks.as_ref().map(|w| &w.secret),
        ),
    ];
    for (key, source) in secrets {
        if let Some(Err(e)) = source.map(|s| s.read()) {
            problems.push(format!(
                "service config {}: `{key}`: {e}",
                config.path.display()
            ));
        }
    }
    for robot in &config.robots {
        if let Err(e) = robot_facts(robot) {
            problems.push(e);
        }
    }
    problems
}

/// Read a robot's config and manifest and compute its policy, as a run
/// does before it starts; the error names the robot and the problem.
pub(crate) fn robot_facts(robot: &RobotEntry) -> Result<RobotFacts, String> {
    let at = |e: &dyn std::fmt::Display| format!("robot `{}`: {e}", robot.name);
    let config = RobotConfig::load(&robot.config).map_err(|e| at(&e))?;
    let manifest = Manifest::load(&config.manifest).map_err(|e| at(&e))?;
    EffectivePolicy::compute(&manifest, &config).map_err(|e| at(&e))?;
    if !config.plugin.is_file() {
        return Err(at(&format!(
            "plugin {} is not a file",
            config.plugin.display()
        )));
    }
    Ok(RobotFacts {
        journal_robot: manifest.name,
        ds_token: config.ds.as_ref().map(|d| token_label(&d.token)),
        budgets: budget_lines(&config),
        journal: config.paths.journal,
    })
}

fn token_label(source: &SecretSource) -> String {
    match source {
        SecretSource::Env(var) => format!("env:{var}"),
        SecretSource::File(path) => format!("file:{}", path.display()),
    }
}

/// Each budget under the name its ledger line has: DS by its endpoint.
fn budget_lines(config: &RobotConfig) -> Vec<(String, u64)> {
    let ds = config.ds.as_ref().map(|d| d.endpoint.as_str());
    let line = |key: &str| match (key, ds) {
        (pont_policy::DS_DESTINATION, Some(endpoint)) => pont_runtime::ds_ledger_name(endpoint),
        _ => key.to_string(),
    };
    config.budgets.iter().map(|(k, v)| (line(k), *v)).collect()
}
