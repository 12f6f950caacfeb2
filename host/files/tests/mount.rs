//! Mount behaviour: confinement, read-only, quota, atomic writes, zip.

use std::cell::Cell as Flag;
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pont_files::{Access, EntryKind, ErrorKind, FilesError, Mount};
use sha2::{Digest, Sha256};
use support::Gated;

mod support;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mount");
    std::fs::create_dir(&root).unwrap();
    (tmp, root)
}

fn rw(root: &Path, quota: Option<u64>) -> Gated {
    Gated::new(Mount::open("dossiers", root, Access::ReadWrite, quota).unwrap())
}

/// Names on disk that are host files (temporary or lock files).
fn host_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".pont-"))
        .collect()
}

#[test]
fn traversal_and_absolute_paths_get_no_permit_and_nothing_is_written() {
    let (tmp, root) = setup();
    let m = rw(&root, None);
    let abs = tmp.path().join("abs.txt");
    // The gate refuses them on their face: no permit, so no backend call.
    for path in ["../x", abs.to_str().unwrap(), "a/../../x", "..", "../d"] {
        let write = m.try_write(path, 4).unwrap_err();
        assert!(write.reason.contains("dossiers"), "{}", write.reason);
        assert!(write.reason.contains(path), "{}", write.reason);
        assert!(m.try_read(path).is_err(), "{path}");
    }
    assert!(!tmp.path().join("x").exists());
    assert!(!abs.exists());
    assert!(!tmp.path().join("d").exists());
    assert!(std::fs::read_dir(&root).unwrap().next().is_none());
}

#[cfg(unix)]
#[test]
fn symlinks_leading_outside_are_denied() {
    let (tmp, root) = setup();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"secret").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("dirlink")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), root.join("filelink")).unwrap();
    std::fs::write(root.join("ok.txt"), b"ok").unwrap();
    let m = rw(&root, None);

    for err in [
        m.open_read("filelink").unwrap_err(),
        m.open_read("dirlink/secret").unwrap_err(),
        m.stat("dirlink").unwrap_err(),
        m.entries("dirlink").unwrap_err(),
        m.write_bytes("dirlink/new", b"x").unwrap_err(),
        m.zip(&["dirlink"], Cursor::new(Vec::new()))
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert!(matches!(err, FilesError::Escape { .. }), "{err}");
    }
    assert!(!outside.join("new").exists());
    // Escaping links are not listed; the rest is.
    let names: Vec<_> = m.entries("").unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(names, vec!["ok.txt"]);
}

#[test]
fn read_only_mount_refuses_every_write() {
    let (_tmp, root) = setup();
    std::fs::write(root.join("a.txt"), b"old").unwrap();
    // Granted read-write by the gate: the mount itself refuses.
    let m = Gated::new(Mount::open("ro", &root, Access::ReadOnly, None).unwrap());
    let results = [
        m.write_bytes("a.txt", b"new"),
        m.write_bytes("b.txt", b"new"),
        m.write_from_reader("c.txt", &b"new"[..], 3),
        m.rename("a.txt", "d.txt"),
        m.mkdir("dir"),
        m.remove("a.txt"),
    ];
    for r in results {
        let err = r.unwrap_err();
        assert!(matches!(err, FilesError::ReadOnly { .. }), "{err}");
        assert_eq!(err.kind(), ErrorKind::Denied);
    }
    assert_eq!(std::fs::read(root.join("a.txt")).unwrap(), b"old");
    let names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["a.txt"]);
    let mut s = String::new();
    m.open_read("a.txt")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    assert_eq!(s, "old");
}

/// A reader that records whether it was ever read.
struct Watched<'a>(&'a Flag<bool>);
impl Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.set(true);
        buf.fill(b'z');
        Ok(buf.len())
    }
}

#[test]
fn quota_is_checked_before_anything_is_written() {
    let (_tmp, root) = setup();
    let m = rw(&root, Some(1000));
    m.write_bytes("a.bin", &[1; 600]).unwrap();
    let err = m.write_bytes("b.bin", &[2; 600]).unwrap_err();
    assert!(
        matches!(
            err,
            FilesError::Quota {
                used: 600,
                needed: 600,
                quota: 1000,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Denied);
    assert!(!root.join("b.bin").exists());

    let touched = Flag::new(false);
    let err = m
        .write_from_reader("c.bin", Watched(&touched), 5000)
        .unwrap_err();
    assert!(matches!(err, FilesError::Quota { .. }), "{err}");
    assert!(
        !touched.get(),
        "the source was read although the quota refused the write"
    );
    assert!(host_files(&root).is_empty());

    // Replacing counts only the difference: 600 used + 900 new - 600 replaced.
    m.write_bytes("a.bin", &[3; 900]).unwrap();
    assert_eq!(std::fs::read(root.join("a.bin")).unwrap(), vec![3; 900]);
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
}

#[test]
fn short_reader_is_refused_and_old_content_kept() {
    let (_tmp, root) = setup();
    let m = rw(&root, None);
    m.write_bytes("f.txt", b"old").unwrap();
    let err = m.write_from_reader("f.txt", &b"abc"[..], 10).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    let err = m.write_from_reader("f.txt", &b"abcdef"[..], 2).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    assert_eq!(std::fs::read(root.join("f.txt")).unwrap(), b"old");
    assert!(host_files(&root).is_empty());
}

#[test]
fn basic_operations() {
    let (_tmp, root) = setup();
    let m = rw(&root, None);
    m.mkdir("in/2024").unwrap();
    m.mkdir("in/2024").unwrap();
    m.write_from_reader("in/2024/a.pdf", &b"%PDF"[..], 4)
        .unwrap();
    let e = m.stat("in/2024/a.pdf").unwrap();
    assert_eq!(
        (e.path.as_str(), e.kind, e.size),
        ("in/2024/a.pdf", EntryKind::File, 4)
    );
    assert!(e.modified.is_some_and(|t| t.ends_with('Z')));
    m.rename("in/2024/a.pdf", "in/b.pdf").unwrap();
    let list = m.entries("in").unwrap();
    let names: Vec<_> = list.iter().map(|e| (e.path.as_str(), e.kind)).collect();
    assert_eq!(
        names,
        vec![
            ("in/2024", EntryKind::Directory),
            ("in/b.pdf", EntryKind::File)
        ]
    );
    assert_eq!(m.stat("missing").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        m.write_bytes("in", b"x").unwrap_err().kind(),
        ErrorKind::Invalid
    );
    assert_eq!(
        m.write_bytes("nodir/x", b"x").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(m.open_read("in").unwrap_err().kind(), ErrorKind::Invalid);
    m.remove("in").unwrap();
    assert!(m.entries("").unwrap().is_empty());
}

#[test]
fn zip_of_a_directory_round_trips() {
    let (_tmp, root) = setup();
    let m = rw(&root, None);
    m.mkdir("docs/sub/empty").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    m.write_bytes("docs/a.txt", b"hello").unwrap();
    m.write_bytes("docs/sub/big.bin", &big).unwrap();
    m.write_bytes("other.txt", b"other").unwrap();

    let out = m
        .zip(
            &["docs", "docs/a.txt", "other.txt"],
            Cursor::new(Vec::new()),
        )
        .unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(out.into_inner())).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "docs/",
            "docs/a.txt",
            "docs/sub/",
            "docs/sub/big.bin",
            "docs/sub/empty/",
            "other.txt"
        ]
    );
    for (name, want) in [
        ("docs/a.txt", &b"hello"[..]),
        ("docs/sub/big.bin", &big),
        ("other.txt", b"other"),
    ] {
        let mut got = Vec::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, want, "{name}");
    }
}

const CHILD_ENV: &str = "PONT_FILES_ATOMIC_CHILD";
const BIG: usize = 48 * 1024 * 1024;

fn big_content() -> impl Read {
    struct Gen(usize);
    impl Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(64 * 1024).min(BIG - self.0);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = ((self.0 + i) % 251) as u8;
            }
            self.0 += n;
            // Slow enough that the parent can kill the writer in the middle.
            std::thread::sleep(Duration::from_millis(2));
            Ok(n)
        }
    }
    Gen(0)
}

fn sha(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// Not a test of its own: the body of the child process spawned by
/// `killed_writer_leaves_old_or_new_file`. Without the variable it does nothing.
#[test]
fn atomic_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let m = rw(Path::new(&dir), None);
    m.write_from_reader("report.bin", big_content(), BIG as u64)
        .unwrap();
}

#[test]
fn killed_writer_leaves_old_or_new_file() {
    let (_tmp, root) = setup();
    let old = vec![b'o'; 1024 * 1024];
    std::fs::write(root.join("report.bin"), &old).unwrap();
    let mut new = Vec::new();
    big_content().read_to_end(&mut new).unwrap();
    let (old_hash, new_hash) = (sha(&old), sha(&new));

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["atomic_child_writer", "--exact", "--test-threads=1"])
        .env(CHILD_ENV, &root)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the temporary file holds a good part of the data, then SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let partial = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name().to_string_lossy().starts_with(".pont-tmp-")
                    && e.metadata().is_ok_and(|md| md.len() > 4 * 1024 * 1024)
            });
        if partial || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let got = sha(&std::fs::read(root.join("report.bin")).unwrap());
    assert!(
        got == old_hash || got == new_hash,
        "partial file after a crash"
    );
    assert_eq!(
        got, old_hash,
        "the writer was expected to be killed mid-write"
    );
    assert_eq!(
        host_files(&root).len(),
        1,
        "the killed writer's temporary file stays on disk"
    );
    let m = rw(&root, None);
    let names: Vec<_> = m.entries("").unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(
        names,
        vec!["report.bin"],
        "temporary file visible to entries"
    );

    // Unkilled, the same write replaces the file whole.
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["atomic_child_writer", "--exact", "--test-threads=1"])
        .env(CHILD_ENV, &root)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        sha(&std::fs::read(root.join("report.bin")).unwrap()),
        new_hash
    );
}
