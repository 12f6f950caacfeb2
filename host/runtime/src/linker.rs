//! The linker every robot is instantiated against, and the import check that
//! refuses a component before instantiation when it wants something the host
//! never provides (other worlds, non-standard interfaces). Standard WASI
//! interfaces a language runtime imports but a robot must not use (sockets)
//! are linked and always denied (see `denied.rs`).

use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use crate::bindings::Robot;
use crate::store::ItemState;
use crate::wasi::PROVIDED_WASI;

/// The package whose interfaces are Pont's capabilities.
const PONT_PACKAGE: &str = "pont:robot/";

/// The `wasi:http` interfaces linked for a robot with an HTTP grant.
const WASI_HTTP: &[&str] = &["wasi:http/types", "wasi:http/outgoing-handler"];

/// The linker for one run of `component`; `wasi:http` is linked only when
/// the robot has an HTTP grant, so other robots cannot even name it.
pub(crate) fn build(
    engine: &Engine,
    component: &Component,
    http: bool,
) -> wasmtime::Result<Linker<ItemState>> {
    let mut linker = Linker::new(engine);
    crate::wasi::add_to_linker(&mut linker)?;
    Robot::add_to_linker::<ItemState, HasSelf<ItemState>>(&mut linker, |s| s)?;
    if http {
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    }
    crate::denied::add_to_linker(engine, &mut linker, component)?;
    Ok(linker)
}

/// Whether the host provides an import of this name (`ns:pkg/iface@version`),
/// `http` saying whether the robot has an HTTP grant.
pub(crate) fn is_provided(import: &str, http: bool) -> bool {
    let base = import.split('@').next().unwrap_or(import);
    base.starts_with(PONT_PACKAGE)
        || PROVIDED_WASI.contains(&base)
        || crate::denied::is_denied(base)
        || (http && WASI_HTTP.contains(&base))
}

/// The first import the host does not provide, named.
pub(crate) fn check_imports(
    engine: &Engine,
    component: &Component,
    http: bool,
) -> Result<(), String> {
    let ty = component.component_type();
    let missing: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .filter(|name| !is_provided(name, http))
        .collect();
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(format!(
            "imports `{one}`, which this host does not provide{}",
            hint(one)
        )),
        many => Err(format!(
            "imports {}, which this host does not provide{}",
            many.iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            hint(&many[0])
        )),
    }
}

fn hint(import: &str) -> &'static str {
    if import.starts_with("wasi:http/") {
        " (it is linked only for a robot whose manifest requests an HTTP origin and whose config grants it)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::is_provided;

    #[test]
    fn provided_imports_ignore_versions() {
        assert!(is_provided("wasi:cli/stderr@0.2.6", false));
        assert!(is_provided("pont:robot/state@0.1.0", false));
        assert!(
            is_provided("wasi:sockets/tcp@0.2.6", false),
            "linked, always denied"
        );
        assert!(!is_provided("wasi:sockets/raw@0.2.6", true));
        assert!(!is_provided("wasi:http/outgoing-handler@0.2.0", false));
        assert!(is_provided("wasi:http/outgoing-handler@0.2.0", true));
        assert!(!is_provided("wasi:clocksX/wall-clock", true));
    }
}
