//! Paths of the robot components built for the tests (see `build.rs`).

use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/paths.rs"));

/// The built component of a robot of `plugins/` or a fixture of `tests/fixtures/`.
pub fn wasm(name: &str) -> PathBuf {
    PathBuf::from(WASM_DIR).join(format!("{}.wasm", name.replace('-', "_")))
}

/// The manifest of a robot of `plugins/`.
pub fn plugin_manifest(name: &str) -> PathBuf {
    PathBuf::from(ROOT)
        .join("plugins")
        .join(name)
        .join("pont.toml")
}

/// The manifest of a fixture of `tests/fixtures/`.
pub fn fixture_manifest(name: &str) -> PathBuf {
    PathBuf::from(ROOT)
        .join("tests/fixtures")
        .join(name)
        .join("pont.toml")
}

/// The built component of a Python or JavaScript robot (`tests/artifacts/foreign.rs`).
/// Panics, naming what to install, when its toolchain was missing at build time.
pub fn foreign_wasm(name: &str) -> PathBuf {
    let path = PathBuf::from(FOREIGN_DIR).join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} was not built: install componentize-py and componentize-js (scripts/setup), then rebuild",
        path.display()
    );
    path
}

/// A compiled component cache the tests of foreign robots share: their
/// components are large, and each test compiling its own would take minutes.
pub fn foreign_cache() -> PathBuf {
    PathBuf::from(FOREIGN_DIR).join("cwasm-cache")
}
