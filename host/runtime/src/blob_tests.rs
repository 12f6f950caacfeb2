//! Each blob constructor refuses a permit that is not for the call that
//! made the blob's bytes, and leaves nothing in the spool when it does.

use pont_policy::{BrowserGrant, DsAction, EffectivePolicy, Gate, Origin, OriginGrant, Permit};

use super::*;
use crate::bindings::pont::robot::types::{AttachmentSource, MountSource};

struct World {
    dir: tempfile::TempDir,
    gate: Gate,
    api: Origin,
}

fn origin(text: &str) -> Origin {
    Origin::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut policy = EffectivePolicy::ds_only("blob-test", &[101], &[DsAction::Read]);
    let api = origin("http://127.0.0.1:8001");
    policy.http.insert(
        "api".into(),
        OriginGrant {
            origin: api.clone(),
        },
    );
    let app = BrowserGrant {
        origin: origin("http://127.0.0.1:8002"),
        stable_id: "id".into(),
    };
    policy.browser.insert("app".into(), app);
    let gate = Gate::for_tool("blob-test", policy, &dir.path().join("audit.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    World { dir, gate, api }
}

impl World {
    fn allow(&self, action: &Action) -> Permit {
        self.gate
            .authorize(Some(1), action)
            .unwrap_or_else(|d| panic!("{}", d.reason))
    }
    fn http(&self) -> Permit {
        let (origin, method, bytes) = (&self.api, "GET", 10);
        self.allow(&Action::HttpRequest {
            origin,
            method,
            bytes,
        })
    }
    fn browser(&self) -> Permit {
        self.allow(&Action::BrowserOpen { app: "app" })
    }
    fn ds_read(&self, dossier: i64) -> Permit {
        let (what, demarche) = ("attachment", None);
        self.allow(&Action::DsRead {
            what,
            demarche,
            dossier: Some(dossier),
        })
    }
    fn spool(&self) -> PathBuf {
        self.dir.path().join("spool")
    }
    /// Files left in the spool.
    fn left(&self) -> usize {
        std::fs::read_dir(self.spool()).map_or(0, |d| d.count())
    }
}

use pont_policy::Action;

fn attachment(dossier: i64) -> Provenance {
    Provenance::DsAttachment(AttachmentSource {
        dossier,
        champ_id: "c1".into(),
    })
}

#[test]
fn an_http_response_is_kept_under_the_permit_of_its_origin() {
    let w = world();
    let permit = w.http();
    let path = BlobEntry::reserve(&permit, &w.spool(), "http-").unwrap();
    std::fs::write(&path, b"hello").unwrap();
    let ok = Provenance::HttpResponse("http://127.0.0.1:8001".into());
    let blob = BlobEntry::adopt(std::slice::from_ref(&permit), (path, "r", "text/plain"), ok);
    assert_eq!(blob.unwrap().info().size, 5);
    let path = BlobEntry::reserve(&permit, &w.spool(), "http-").unwrap();
    let other = Provenance::HttpResponse("http://127.0.0.1:9999".into());
    let e = BlobEntry::adopt(std::slice::from_ref(&permit), (path, "r", "t"), other);
    let e = e.unwrap_err().to_string();
    assert!(e.contains("spooling an HTTP response"), "{e}");
}

#[test]
fn a_ds_attachment_needs_the_read_permit_of_its_dossier() {
    let w = world();
    let permit = w.ds_read(7);
    let path = BlobEntry::reserve(&permit, &w.spool(), "ds-").unwrap();
    let sha = [0u8; 32];
    let file = (path.clone(), "a.pdf", "application/pdf");
    let wrong = BlobEntry::adopt_hashed(&permit, file.clone(), (0, &sha), attachment(8));
    assert!(wrong.unwrap_err().to_string().contains("a DS attachment"));
    let right = BlobEntry::adopt_hashed(&permit, file, (0, &sha), attachment(7)).unwrap();
    assert!(matches!(&right.info().source, Provenance::DsAttachment(a) if a.dossier == 7));
    let http = w.http();
    let file = (path, "a.pdf", "application/pdf");
    assert!(BlobEntry::adopt_hashed(&http, file, (0, &sha), attachment(7)).is_err());
}

#[test]
fn screenshots_and_downloads_come_only_from_a_browser_session() {
    let w = world();
    let session = w.browser();
    let shot = Provenance::Screenshot("http://127.0.0.1:8002".into());
    let names = ("s.png", "image/png");
    let blob = BlobEntry::capture(&w.spool(), &session, names, b"png", shot.clone()).unwrap();
    assert_eq!(blob.info().size, 3);
    let http = w.http();
    assert!(BlobEntry::capture(&w.spool(), &http, names, b"png", shot).is_err());
    drop(blob);
    assert_eq!(w.left(), 0, "a refused capture leaves nothing");
    let path = BlobEntry::reserve(&session, &w.spool(), "download-").unwrap();
    let dl = Provenance::BrowserDownload("http://127.0.0.1:8002".into());
    let as_mount = Provenance::MountFile(MountSource {
        mount: "in".into(),
        path: "x".into(),
    });
    let permits = std::slice::from_ref(&session);
    assert!(BlobEntry::adopt(permits, (path.clone(), "d", "t"), as_mount).is_err());
    assert!(BlobEntry::adopt(permits, (path, "d", "t"), dl).is_ok());
}

#[test]
fn only_a_producing_call_reserves_spool_room() {
    let w = world();
    let log = {
        let mut policy = EffectivePolicy::ds_only("blob-log", &[], &[]);
        policy.log = true;
        let audit = w.dir.path().join("log-audit.jsonl");
        let gate = Gate::for_tool("blob-log", policy, &audit).unwrap();
        gate.authorize(None, &Action::Log { level: "info" })
            .unwrap()
    };
    let e = BlobEntry::reserve(&log, &w.spool(), "x-")
        .unwrap_err()
        .to_string();
    assert!(e.contains("reserving a spool file"), "{e}");
    assert_eq!(w.left(), 0);
}
