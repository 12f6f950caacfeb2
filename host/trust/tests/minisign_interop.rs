//! Pont and the common `minisign` tool understand each other's keys and
//! signatures. Needs `minisign` on PATH (scripts/setup installs it).

use std::path::Path;
use std::process::Command;

use pont_trust::{KeyPair, PublicKey, SecretKey, SignatureFile};

fn minisign(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("minisign")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("minisign is not installed: run scripts/setup (Debian package `minisign`)")
}

#[test]
fn pont_verifies_a_signature_made_by_minisign() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("robot.wasm"), b"\0asm a component").unwrap();
    let keygen = minisign(d, &["-G", "-W", "-p", "k.pub", "-s", "k.sec"]);
    assert!(
        keygen.status.success(),
        "{}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let sign = minisign(
        d,
        &[
            "-S",
            "-s",
            "k.sec",
            "-m",
            "robot.wasm",
            "-t",
            "signed by minisign",
        ],
    );
    assert!(
        sign.status.success(),
        "{}",
        String::from_utf8_lossy(&sign.stderr)
    );

    let pk = PublicKey::parse(&std::fs::read_to_string(d.join("k.pub")).unwrap()).unwrap();
    let sig = SignatureFile::parse(&std::fs::read_to_string(d.join("robot.wasm.minisig")).unwrap())
        .unwrap();
    assert_eq!(
        pk.verify(b"\0asm a component", &sig).unwrap(),
        "signed by minisign"
    );
    assert!(pk.verify(b"\0asm another component", &sig).is_err());
    // minisign's unencrypted secret key is readable too.
    let sk = SecretKey::parse(&std::fs::read_to_string(d.join("k.sec")).unwrap()).unwrap();
    assert_eq!(sk.public(), pk);
}

#[test]
fn minisign_verifies_a_signature_made_by_pont() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("robot.wasm"), b"\0asm a component").unwrap();
    let sk = KeyPair::generate().unwrap();
    std::fs::write(d.join("pont.pub"), sk.public().to_file()).unwrap();
    std::fs::write(d.join("pont.sec"), sk.to_file()).unwrap();
    let sig = sk.sign(b"\0asm a component", "pont-plugin test").unwrap();
    std::fs::write(d.join("robot.wasm.minisig"), sig.to_file()).unwrap();

    let ok = minisign(d, &["-V", "-p", "pont.pub", "-m", "robot.wasm"]);
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("pont-plugin test"));

    std::fs::write(d.join("robot.wasm"), b"\0asm a tampered component").unwrap();
    let bad = minisign(d, &["-V", "-p", "pont.pub", "-m", "robot.wasm"]);
    assert!(!bad.status.success());

    // minisign can also sign with a key file Pont wrote.
    let again = minisign(d, &["-S", "-s", "pont.sec", "-m", "robot.wasm"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let sig = SignatureFile::parse(&std::fs::read_to_string(d.join("robot.wasm.minisig")).unwrap())
        .unwrap();
    sk.public()
        .verify(b"\0asm a tampered component", &sig)
        .unwrap();
}
