//! `pont inspect`: what a component imports and exports, its SHA-256, and
//! which imports this host would refuse, read before anything runs.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;
use wasmtime::{Config, Engine};

use crate::engine::one_line;
use crate::error::RuntimeError;

/// One imported or exported item of a component.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceInfo {
    /// E.g. `pont:robot/state@0.1.0`, or `process` for a bare function.
    pub name: String,
    /// `instance`, `func`, `type`, `resource`, `component` or `module`.
    pub kind: &'static str,
    /// The functions and resources of an instance.
    pub items: Vec<String>,
    /// Whether this host provides it (imports only).
    pub provided: Option<bool>,
    /// Linked, but every call is refused and audited (imports only): the
    /// sockets and host files a language runtime imports whether or not the
    /// robot uses them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub always_denied: bool,
}

/// The result of inspecting a plugin.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub imports: Vec<InterfaceInfo>,
    pub exports: Vec<InterfaceInfo>,
    /// The manifest beside the plugin (or given), as text, if found.
    pub manifest_path: Option<PathBuf>,
    pub manifest: Option<ManifestSummary>,
}

/// The parts of a manifest an operator checks first.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestSummary {
    pub name: String,
    pub version: String,
    pub publisher: String,
    pub idempotent: bool,
    pub requests: Vec<String>,
}

/// Inspect a component file, and its manifest when one is found.
pub fn inspect(path: &Path, manifest: Option<&Path>) -> Result<Inspection, RuntimeError> {
    let invalid = |message: String| RuntimeError::PluginInvalid {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| invalid(format!("cannot read it: {e}")))?;
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).map_err(|e| RuntimeError::Fatal(one_line(&e)))?;
    let component = Component::new(&engine, &bytes)
        .map_err(|e| invalid(format!("not a valid component: {}", one_line(&e))))?;
    let ty = component.component_type();
    let imports = ty
        .imports(&engine)
        .map(|(name, item)| {
            let mut info = describe(&engine, name, &item.ty);
            info.provided = Some(crate::linker::is_provided(name, true));
            info.always_denied = crate::denied::is_denied(name);
            info
        })
        .collect();
    let exports = ty
        .exports(&engine)
        .map(|(name, item)| describe(&engine, name, &item.ty))
        .collect();
    let manifest_path = manifest
        .map(Path::to_path_buf)
        .or_else(|| Some(path.with_file_name("pont.toml")).filter(|p| p.is_file()));
    let manifest = match &manifest_path {
        Some(m) => Some(summarize(&pont_policy::Manifest::load(m)?)),
        None => None,
    };
    Ok(Inspection {
        path: path.to_owned(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: bytes.len() as u64,
        imports,
        exports,
        manifest_path,
        manifest,
    })
}

fn describe(engine: &Engine, name: &str, item: &ComponentItem) -> InterfaceInfo {
    let (kind, items) = match item {
        ComponentItem::ComponentInstance(inst) => {
            let mut items: Vec<String> = inst
                .exports(engine)
                .filter_map(|(n, i)| match i.ty {
                    ComponentItem::ComponentFunc(_) => Some(format!("{n}()")),
                    ComponentItem::Resource(_) => Some(format!("resource {n}")),
                    _ => None,
                })
                .collect();
            items.sort();
            ("instance", items)
        }
        ComponentItem::ComponentFunc(_) => ("func", Vec::new()),
        ComponentItem::CoreFunc(_) => ("core-func", Vec::new()),
        ComponentItem::Module(_) => ("module", Vec::new()),
        ComponentItem::Component(_) => ("component", Vec::new()),
        ComponentItem::Type(_) => ("type", Vec::new()),
        ComponentItem::Resource(_) => ("resource", Vec::new()),
    };
    InterfaceInfo {
        name: name.to_string(),
        kind,
        items,
        provided: None,
        always_denied: false,
    }
}

fn summarize(m: &pont_policy::Manifest) -> ManifestSummary {
    let r = &m.requests;
    let mut requests = Vec::new();
    if r.log {
        requests.push("log".to_string());
    }
    if r.state {
        requests.push("state".to_string());
    }
    requests.extend(r.ds.iter().map(|a| format!("ds: {}", a.as_str())));
    requests.extend(r.browser.iter().map(|a| format!("browser: {a}")));
    requests.extend(r.http.iter().map(|h| format!("http: {h}")));
    requests.extend(
        r.mounts
            .iter()
            .map(|(n, a)| format!("mount: {n} ({})", a.as_str())),
    );
    requests.extend(r.secrets.iter().map(|s| format!("secret: {s}")));
    if let Some(mb) = r.memory_mb {
        requests.push(format!("memory: {mb} MiB"));
    }
    if let Some(s) = r.item_timeout_secs {
        requests.push(format!("item timeout: {s} s"));
    }
    ManifestSummary {
        name: m.name.clone(),
        version: m.version.clone(),
        publisher: m.publisher.clone(),
        idempotent: m.idempotent,
        requests,
    }
}
