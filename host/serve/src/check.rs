//! `pont serve --check`: the service config and every robot config it names,
//! checked the way a run would check them before its first item (config,
//! manifest, requested ∩ granted, the plugin file), one line per problem.

use std::path::Path;

use pont_policy::{EffectivePolicy, Manifest, RobotConfig};

use crate::config::{RobotEntry, ServiceConfig};

/// What the service knows of a robot config once it has read it.
#[derive(Debug, Clone)]
pub(crate) struct RobotFacts {
    /// The manifest's name: the journal keys the robot's rows by it.
    pub journal_robot: String,
    pub journal: std::path::PathBuf,
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
        journal: config.paths.journal,
    })
}
