//! Standard WASI interfaces that ordinary language runtimes import but a
//! robot must not use: linked, so that a CPython or JavaScript component
//! instantiates, and answered by host functions that refuse every call.
//!
//! CPython's runtime imports `wasi:sockets/*` whether or not the robot opens
//! a socket, and every toolchain imports `wasi:filesystem`. Refusing such a
//! component before instantiation would shut out every Python robot; giving
//! it real sockets or host directories would open a path around the gate.
//! So each of these imports is defined here from the component's own import
//! types: every function fails with the interface's "access denied" error
//! and leaves a deny record in the audit log. Two functions hand out a token
//! instead: `instance-network` (what socket calls take) and
//! `get-directories`, which names one root, `/`, so that a robot's
//! `open("/etc/passwd")` reaches the host and is refused and audited rather
//! than failing unseen in the guest's libc. A function with no error to
//! return answers `false` or nothing, or traps. No socket, no name lookup,
//! no file descriptor is ever made: nothing here touches the host's network
//! or files.

use wasmtime::Engine;
use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime::component::{
    Component, Linker, LinkerInstance, Resource, ResourceAny, ResourceType, Val,
};
use wasmtime::{AsContextMut, StoreContextMut};

use crate::store::ItemState;

/// The interfaces (by `namespace:package/interface`) linked and always denied.
pub(crate) const DENIED_WASI: &[&str] = &[
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Functions that hand out a token, not a capability: `instance-network`
/// returns the (useless) network handle every socket call needs, and
/// `get-directories` the root every path is resolved in; what a robot could
/// do with either is refused.
const HANDED_OUT: &[&str] = &["instance-network", "get-directories"];

/// The error cases, in order of preference, that say "refused"
/// (`access` is the filesystem's EACCES).
const DENIAL_CASES: &[&str] = &["access-denied", "access", "not-permitted"];

/// What the robot and the audit log are told.
fn reason(interface: &str) -> &'static str {
    if interface.starts_with("wasi:filesystem/") {
        "robots have no host files: use a mount (the `files` capability)"
    } else {
        "robots have no sockets or name lookups: use the `http`, `ds` or `browser` capabilities"
    }
}

/// The host side of every resource of a denied interface. None is ever made
/// but the tokens of [`HANDED_OUT`], which carry nothing.
struct DeniedHandle;

/// Whether `import` (`ns:pkg/iface@version`) is one of [`DENIED_WASI`].
pub(crate) fn is_denied(import: &str) -> bool {
    DENIED_WASI.contains(&base(import))
}

fn base(import: &str) -> &str {
    import.split('@').next().unwrap_or(import)
}

/// Define every import of `component` that [`is_denied`], with the
/// component's own types (so any 0.2.x version links).
pub(crate) fn add_to_linker(
    engine: &Engine,
    linker: &mut Linker<ItemState>,
    component: &Component,
) -> wasmtime::Result<()> {
    let ty = component.component_type();
    // Resources seen in earlier imports (wasi:io's pollable, the network of
    // wasi:sockets/network) are aliases where later interfaces name them:
    // those are already defined and must not be defined again.
    let mut seen: Vec<ResourceType> = Vec::new();
    for (name, item) in ty.imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let mut fresh = Vec::new();
        let mut funcs = Vec::new();
        for (export, e) in instance.exports(engine) {
            match e.ty {
                ComponentItem::Resource(r) if !seen.contains(&r) => {
                    seen.push(r);
                    fresh.push(export.to_string());
                }
                ComponentItem::ComponentFunc(_) => funcs.push(export.to_string()),
                _ => {}
            }
        }
        if is_denied(name) {
            define(linker.instance(name)?, base(name), &fresh, &funcs)?;
        }
    }
    Ok(())
}

fn define(
    mut inst: LinkerInstance<'_, ItemState>,
    interface: &str,
    resources: &[String],
    funcs: &[String],
) -> wasmtime::Result<()> {
    for r in resources {
        inst.resource(r, ResourceType::host::<DeniedHandle>(), |_, _| Ok(()))?;
    }
    for f in funcs {
        let interface = interface.to_string();
        let function = f.clone();
        inst.func_new_async(f, move |mut store, ty, params, results| {
            let (interface, function) = (interface.clone(), function.clone());
            Box::new(async move {
                // A borrowed handle lifted for a dynamic host function must
                // be released before it returns (wasmtime checks).
                for p in params {
                    if let Val::Resource(r) = p {
                        r.resource_drop_async(&mut store).await?;
                    }
                }
                answer(store, &ty, &interface, &function, results)
            })
        })?;
    }
    Ok(())
}

/// The answer to one call: a token, or a refusal (audited).
fn answer(
    mut store: StoreContextMut<'_, ItemState>,
    ty: &ComponentFunc,
    interface: &str,
    function: &str,
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let result = ty.results().next();
    if HANDED_OUT.contains(&function)
        && let (Some(slot), Some(t)) = (results.first_mut(), &result)
        && let Some(value) = token(t, &mut store)?
    {
        *slot = value;
        return Ok(());
    }
    // What an error code means (`filesystem-error-code`) is a question, not an operation.
    if let (Some(slot), Some(Type::Option(_))) = (results.first_mut(), &result) {
        *slot = Val::Option(None);
        return Ok(());
    }
    audit(store.data(), interface, function);
    match (results.first_mut(), result.as_ref().and_then(refusal)) {
        (Some(slot), Some(value)) => {
            *slot = value;
            Ok(())
        }
        (None, _) => Ok(()),
        _ => wasmtime::bail!("denied: `{interface}.{function}`: {}", reason(interface)),
    }
}

/// The token a handed-out function returns: a handle of [`DeniedHandle`],
/// or the list of one `(handle, "/")` that `get-directories` returns.
fn token(ty: &Type, store: &mut StoreContextMut<'_, ItemState>) -> wasmtime::Result<Option<Val>> {
    if is_ours(ty) {
        return Ok(Some(handle(store)?));
    }
    let Type::List(list) = ty else {
        return Ok(None);
    };
    let Type::Tuple(pair) = list.ty() else {
        return Ok(None);
    };
    let fields: Vec<Type> = pair.types().collect();
    if !matches!(fields.as_slice(), [first, Type::String] if is_ours(first)) {
        return Ok(None);
    }
    let root = Val::Tuple(vec![handle(store)?, Val::String("/".into())]);
    Ok(Some(Val::List(vec![root])))
}

fn is_ours(ty: &Type) -> bool {
    matches!(ty, Type::Own(r) if *r == ResourceType::host::<DeniedHandle>())
}

/// A new handle that stands for nothing.
fn handle(store: &mut StoreContextMut<'_, ItemState>) -> wasmtime::Result<Val> {
    let own = Resource::<DeniedHandle>::new_own(0);
    ResourceAny::try_from_resource(own, store.as_context_mut()).map(Val::Resource)
}

/// `Err(access-denied)` for a function returning `result<_, error-code>`;
/// `false` for a question (`is-same-object`).
fn refusal(ty: &Type) -> Option<Val> {
    if matches!(ty, Type::Bool) {
        return Some(Val::Bool(false));
    }
    let Type::Result(r) = ty else {
        return None;
    };
    let code = match r.err()? {
        Type::Enum(e) => {
            let names: Vec<&str> = e.names().collect();
            let name = DENIAL_CASES.iter().find(|c| names.contains(*c))?;
            Val::Enum((*name).to_string())
        }
        Type::Variant(v) => {
            let case = v
                .cases()
                .find(|c| c.ty.is_none() && DENIAL_CASES.contains(&c.name))?;
            Val::Variant(case.name.to_string(), None)
        }
        _ => return None,
    };
    Some(Val::Result(Err(Some(Box::new(code)))))
}

/// One deny record per refused call, as for any capability the host lacks.
fn audit(state: &ItemState, interface: &str, function: &str) {
    let action = pont_policy::Action::Unsupported {
        capability: interface,
        operation: function,
    };
    let _ = state
        .run
        .gate
        .refuse(state.item, &action, reason(interface).to_string());
}

#[cfg(test)]
mod tests {
    use super::is_denied;

    #[test]
    fn every_socket_and_file_interface_of_any_version_is_denied() {
        for i in [
            "wasi:sockets/tcp@0.2.0",
            "wasi:sockets/udp-create-socket@0.2.6",
            "wasi:sockets/ip-name-lookup@0.2.3",
            "wasi:sockets/instance-network",
            "wasi:filesystem/preopens@0.2.0",
        ] {
            assert!(is_denied(i), "{i}");
        }
        assert!(!is_denied("wasi:socketsX/tcp@0.2.0"));
        assert!(!is_denied("wasi:http/outgoing-handler@0.2.0"));
    }
}
