//! `pont grant <plugin>`: a draft robot config from the plugin's manifest, for the operator to
//! review. Every request is spelled out with what it lets the robot do; everything the manifest
//! cannot know (origins, paths, démarches, where secrets live) is left empty, so the draft does
//! not run until a person has filled it in: nothing is granted by default.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pont_policy::{Manifest, MountAccess};
use sha2::{Digest, Sha256};

use crate::exit::{Exit, Failure};

pub(crate) fn grant(
    plugin: &Path,
    manifest: Option<PathBuf>,
    output: Option<&Path>,
) -> Result<Exit, Failure> {
    let manifest_path = crate::trust::manifest_for(plugin, manifest);
    let m =
        Manifest::load(&manifest_path).map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let bytes = std::fs::read(plugin).map_err(|e| {
        Failure::new(
            Exit::Plugin,
            format!("cannot read {}: {e}", plugin.display()),
        )
    })?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let text = draft(&m, plugin, &manifest_path, &digest);
    match output {
        None => print!("{text}"),
        Some(path) => write_new(path, &text)?,
    }
    Ok(Exit::Ok)
}

/// Write a file that must not exist yet: a draft never replaces a reviewed config.
fn write_new(path: &Path, text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            Failure::new(
                Exit::Config,
                format!("cannot create {}: {e}", path.display()),
            )
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| Failure::new(Exit::Fatal, format!("cannot write {}: {e}", path.display())))?;
    eprintln!("draft written to {}: review it before use", path.display());
    Ok(())
}

/// TOML-quote a string (paths, descriptions).
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn draft(m: &Manifest, plugin: &Path, manifest: &Path, digest: &str) -> String {
    let r = &m.requests;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# DRAFT robot config for `{}` {} by {}, made by `pont grant`.\n\
         # {}\n\
         # Review every section: each grant below is a request of the robot's manifest.\n\
         # Empty values must be filled in; the robot does not start until they are.\n",
        m.name, m.version, m.publisher, m.description
    );
    let _ = writeln!(
        t,
        "[plugin]\npath = {}\nmanifest = {}\n# The plugin as inspected now: a different one will not start.\nsha256 = \"{digest}\"\n\
         # Keys whose signature you trust (minisign public key lines), and/or\n\
         # public key files (relative to this config), e.g. [\"publisher.pub\"].\n\
         trusted-keys = []\ntrusted-key-files = []\n",
        q(&plugin.display().to_string()),
        q(&manifest.display().to_string())
    );
    if !r.ds.is_empty() {
        let _ = writeln!(
            t,
            "# The DS API: the robot acts as this instructeur, with this token.\n[ds]\nendpoint = \"https://www.demarches-simplifiees.fr/api/v2/graphql\"\n\
             token = {{ env = \"PONT_DS_TOKEN\" }}\ninstructeur = \"\"\n"
        );
    }
    let _ = writeln!(
        t,
        "[grant]\n# Write to the run's log.\nlog = {}\n# Keep a key-value store across items and runs.\nstate = {}\n",
        r.log, r.state
    );
    if !r.ds.is_empty() {
        let actions: Vec<String> = r.ds.iter().map(|a| q(a.as_str())).collect();
        let _ = writeln!(
            t,
            "# DS actions the robot requests, on the démarches you list.\n[grant.ds]\ndemarches = []\nactions = [{}]\n",
            actions.join(", ")
        );
    }
    for app in &r.browser {
        let _ = writeln!(
            t,
            "# A browser session on the application `{app}`: only this origin is reachable.\n\
             [grant.browser.{app}]\norigin = \"\"\n"
        );
    }
    for host in &r.http {
        let _ = writeln!(
            t,
            "# Outbound HTTP to `{host}`: only this origin (scheme://host:port), every redirect re-checked.\n\
             [grant.http.{host}]\norigin = \"\"\n"
        );
    }
    for (mount, access) in &r.mounts {
        let access = match access {
            MountAccess::ReadOnly => "read-only",
            MountAccess::ReadWrite => "read-write",
        };
        let _ = writeln!(
            t,
            "# The directory the robot sees as `{mount}` ({access}).\n[grant.mounts.{mount}]\npath = \"\"\naccess = \"{access}\"\n# quota-mb = 100\n"
        );
    }
    for secret in &r.secrets {
        let var = format!(
            "PONT_SECRET_{}",
            secret.to_ascii_uppercase().replace('-', "_")
        );
        let _ = writeln!(
            t,
            "# The secret `{secret}`: used by the host on the robot's behalf, never shown to it,\n\
             # and only where listed: browser applications (grant.browser names) for fill-secret,\n\
             # HTTP origins (of grant.http entries) for request headers.\n\
             [grant.secrets.{secret}]\nenv = \"{var}\"\napps = []\norigins = []\n"
        );
    }
    let _ = writeln!(t, "[limits]");
    if let Some(mb) = r.memory_mb {
        let _ = writeln!(t, "# The robot asks for {mb} MiB.\nmemory-mb = {mb}");
    }
    if let Some(s) = r.item_timeout_secs {
        let _ = writeln!(
            t,
            "# The robot asks for {s} s per item.\nitem-timeout-secs = {s}"
        );
    }
    let _ = writeln!(
        t,
        "\n[paths]\njournal = {}\naudit = {}\n\n\
         # Where the dossiers come from: `demarche = N` (with `states`), or `dossiers = [...]`.\n[queue]\n\n\
         # Optional: most bytes per run to a destination (`ds`, `mount.<name>`, an origin).\n# [budgets]\n\n\
         # Settings handed to the robot's `init` (never secrets).\n[settings]",
        q(&format!("{}/journal.sqlite", m.name)),
        q(&format!("{}/audit.jsonl", m.name))
    );
    t
}
