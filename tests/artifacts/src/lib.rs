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
