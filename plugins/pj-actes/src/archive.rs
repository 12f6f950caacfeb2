//! The dated archive on the read-write `archives` mount: one zip per
//! dossier, `<YYYY-MM-DD>/DS-<number>.zip`, holding the pieces sorted by
//! type (`acte/`, `annexes/`) and a `bordereau.txt` listing each piece with
//! its @ctes category and deposit number.
//!
//! The host zips files of the mount, so the pieces are staged in a folder
//! `DS-<number>/` first (blobs written host-side, never through the robot),
//! zipped, and the staging folder removed.

use pont_sdk::files::Mount;
use pont_sdk::{Blob, Error, Failure};

use crate::pieces::Piece;

/// The mount holding the archive.
pub const MOUNT: &str = "archives";

fn sys(step: &'static str) -> impl Fn(Error) -> Failure {
    pont_sdk::system(format!("archive, {step}"))
}

/// A dossier's archive being assembled.
pub struct Staging {
    mount: Mount,
    root: String,
}

impl Staging {
    /// A fresh staging folder (what a failed attempt left there is dropped).
    pub fn new(dossier: i64) -> Result<Self, Failure> {
        let mount = Mount::open(MOUNT).map_err(sys("ouverture"))?;
        let root = format!("DS-{dossier}");
        if mount.stat(&root).is_ok() {
            mount.remove(&root).map_err(sys("nettoyage"))?;
        }
        for kind in ["acte", "annexes"] {
            mount
                .mkdir(&format!("{root}/{kind}"))
                .map_err(sys("dossier"))?;
        }
        Ok(Self { mount, root })
    }

    /// Copies `blob` to the piece's place (host-side).
    pub fn add(&self, piece: &Piece, blob: &Blob) -> Result<(), Failure> {
        self.mount
            .write(&piece.archive_path(&self.root), blob)
            .map_err(sys("copie"))
    }

    /// Writes the bordereau, zips the folder into `<date>/DS-<n>.zip`,
    /// removes the staging folder, and returns the zip's path on the mount.
    pub fn finish(self, date: &str, bordereau: &str) -> Result<String, Failure> {
        let m = &self.mount;
        m.write_bytes(
            &format!("{}/bordereau.txt", self.root),
            bordereau.as_bytes(),
        )
        .map_err(sys("bordereau"))?;
        let name = format!("{}.zip", self.root);
        let zip = m
            .zip(std::slice::from_ref(&self.root), &name)
            .map_err(sys("zip"))?;
        m.mkdir(date).map_err(sys("dossier daté"))?;
        let path = format!("{date}/{name}");
        m.write(&path, &zip).map_err(sys("écriture du zip"))?;
        m.remove(&self.root).map_err(sys("nettoyage"))?;
        Ok(path)
    }
}

/// The bordereau: one line per piece, tab-separated, for whoever opens the
/// archive years later without DS or @ctes at hand.
pub fn bordereau(dossier: i64, objet: &str, pieces: &[(Piece, String)]) -> String {
    let mut out = format!(
        "Dossier DS-{dossier}\nObjet\t{objet}\n\nFichier\tType\tCatégorie\tNuméro @ctes\tEmpreinte DS (MD5, base64)\n"
    );
    for (p, numero) in pieces {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            p.archive_path("").trim_start_matches('/'),
            p.kind.folder(),
            p.categorie,
            numero,
            p.file.checksum
        ));
    }
    out
}
