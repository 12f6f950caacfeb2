//! Issue 7's streaming acceptance, through the real `pont` binary: a 200 MiB
//! DS attachment goes to a read-write mount (robot `pj-saver`: DS → blob →
//! mount) and arrives whole, with the SHA-256 of the bytes DS serves; DS's
//! checksum is checked by the host on the way (a corrupted file is refused
//! and nothing lands in the mount); and the host's peak resident memory grows
//! by less than 32 MB over the same run with a tiny attachment — the proof
//! that the file is streamed, not held.
//!
//! Peak memory is the kernel's high-water mark (`VmHWM` in
//! `/proc/<pid>/status`), polled until the process exits: the mark only
//! rises, so the last reading is the peak up to a few milliseconds before
//! exit, when the run is only closing its journal.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Env, Ran};
use pont_sandbox::model::Content;
use pont_sandbox::{AttachmentSpec, Sandbox, SandboxConfig};
use pont_test_artifacts::{fixture_manifest, wasm};
use sha2::{Digest, Sha256};

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
/// DS's largest attachment.
const BIG: u64 = 200 * 1024 * 1024;
const TINY: u64 = 4 * 1024;
/// Issue 7: the host's peak resident memory grows by less than 32 MB.
const MAX_GROWTH_KB: u64 = 32 * 1024;
/// Démarche `pj-actes`, whose dossiers have pièce-justificative champs.
const DEMARCHE: i64 = 105;

/// A finished `pont run` and the highest `VmHWM` seen while it ran.
struct Measured {
    ran: Ran,
    peak_kb: u64,
}

/// `VmHWM` of a live process, in kB; `None` once it has exited.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `pont run --json cfg`, polling its peak resident memory until it exits.
fn run_measured(cfg: &Path) -> Measured {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", "--json", cfg.to_str().unwrap()])
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting pont");
    // Drained on threads so a full pipe never blocks the run being measured.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id();
    let mut peak_kb = 0;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("waiting for pont") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let ran = Ran {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    ran.assert_no_panic();
    assert!(peak_kb > 0, "no memory reading of pont:\n{}", ran.stderr);
    Measured { ran, peak_kb }
}

/// The robot config for one run: the attachment `file` of `dossier` to the
/// mount directory `out`. Runs share the journal (each its own dossier) and
/// the compiled-component cache, so only the first one compiles.
fn config(env: &Env, sb: &Sandbox, dossier: i64, file: &str, out: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(env.path(out)).unwrap();
    let instructeur = pont_sandbox::seed::robot_instructeur_email(DEMARCHE).unwrap();
    let extra = format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\n\n\
         [grant]\nlog = true\n\n[grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\"]\n\n\
         [grant.mounts.out]\npath = \"{out}\"\naccess = \"read-write\"\n\n\
         [settings]\nonly = \"{file}\"\n\n[queue]\ndossiers = [{dossier}]\n",
        sb.ds_url()
    );
    env.config(&wasm("pj-saver"), &fixture_manifest("pj-saver"), &extra)
}

/// Adds a generated attachment and returns the SHA-256 of the bytes DS will
/// serve, computed in chunks from the same seed as the simulator. Its MD5 (the
/// checksum DS announces) is computed now, so the host's first read of the
/// dossier does not wait for it.
fn attach(sb: &Sandbox, dossier: i64, size: u64, corrupt: bool, name: &str) -> String {
    let spec = AttachmentSpec {
        dossier,
        size,
        corrupt,
        filename: Some(name.into()),
    };
    let id = sb.world().attach(&spec).unwrap();
    let file = sb.world().lock().files.get(&id).cloned().unwrap();
    let _ = file.checksum_blocking();
    let Content::Generated { seed, len, .. } = file.content else {
        panic!("a generated attachment");
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0;
    while off < len {
        let n = (len - off).min(buf.len() as u64) as usize;
        pont_sandbox::util::fill_generated(seed, off, &mut buf[..n]);
        hasher.update(&buf[..n]);
        off += n as u64;
    }
    hex::encode(hasher.finalize())
}

/// Size and SHA-256 of a file, read in chunks.
fn file_digest(path: &Path) -> (u64, String) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut f, &mut hasher).unwrap();
    (size, hex::encode(hasher.finalize()))
}

/// The robot's outcome line for its single item.
fn reason(ran: &Ran) -> String {
    ran.json()["items"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mib_attachment_streams_to_a_mount_in_bounded_memory() {
    let sb = Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let [bad, small, big] = [1, 2, 3].map(|i| DEMARCHE * 100_000 + i);
    attach(&sb, bad, TINY, true, "abime.bin");
    let small_sha = attach(&sb, small, TINY, false, "petit.bin");
    let big_sha = attach(&sb, big, BIG, false, "gros.bin");
    let env = Env::new();

    // A corrupted file fails DS's checksum in the host: nothing reaches the
    // mount. (This first run also fills the component cache for the next two.)
    let cfg = config(&env, &sb, bad, "abime.bin", "out-bad");
    let bad_run = tokio::task::spawn_blocking(move || run_measured(&cfg))
        .await
        .unwrap();
    assert_eq!(bad_run.ran.code, 3, "{}", bad_run.ran.stderr);
    let why = reason(&bad_run.ran);
    assert!(why.starts_with("attachment: DsError::InvalidFile"), "{why}");
    assert_eq!(std::fs::read_dir(env.path("out-bad")).unwrap().count(), 0);

    let mut peaks = Vec::new();
    for (dossier, name, size, sha) in [
        (small, "petit.bin", TINY, &small_sha),
        (big, "gros.bin", BIG, &big_sha),
    ] {
        let out = format!("out-{dossier}");
        let cfg = config(&env, &sb, dossier, name, &out);
        let started = std::time::Instant::now();
        let m = tokio::task::spawn_blocking(move || run_measured(&cfg))
            .await
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(m.ran.code, 0, "{}\n{}", m.ran.stdout, m.ran.stderr);
        assert_eq!(m.ran.json()["done"], 1, "{}", m.ran.stdout);
        // The host's blob (size, SHA-256), as the robot reported it…
        assert_eq!(reason(&m.ran), format!("{name} {size} {sha}"));
        // …and the file in the mount.
        assert_eq!(
            file_digest(&env.path(&out).join(name)),
            (size, sha.clone()),
            "{name} in the mount"
        );
        println!(
            "{name}: {size} bytes in {secs:.2} s (debug build), pont peak RSS {} kB",
            m.peak_kb
        );
        peaks.push(m.peak_kb);
    }
    let growth = peaks[1].saturating_sub(peaks[0]);
    println!(
        "peak RSS growth for a {} MiB attachment: {growth} kB ({:.1} MB; limit {} MB)",
        BIG >> 20,
        growth as f64 / 1024.0,
        MAX_GROWTH_KB / 1024
    );
    assert!(
        growth < MAX_GROWTH_KB,
        "pont's peak RSS grew by {growth} kB (tiny {} kB, 200 MiB {} kB): the attachment is not streamed",
        peaks[0],
        peaks[1]
    );
    sb.shutdown().await;
}
