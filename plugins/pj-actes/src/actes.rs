//! @ctes deposits through the browser capability: one deposit per file,
//! with its category and object, by the form's stable ids.

use pont_sdk::browser::{self, Session};
use pont_sdk::{Blob, Error, Failure};

use crate::pieces::Piece;

/// How long the confirmation page may take.
const PAGE_WAIT_MS: u32 = 15_000;

fn sys(step: &'static str) -> impl Fn(Error) -> Failure {
    pont_sdk::system(format!("@ctes, {step}"))
}

/// One browser session for the dossier's deposits.
pub struct Actes {
    session: Session,
    base: String,
}

impl Actes {
    pub fn open(base: &str) -> Result<Self, Failure> {
        Ok(Self {
            session: Session::open("actes").map_err(sys("ouverture"))?,
            base: base.to_string(),
        })
    }

    /// Deposits `blob` as `piece`; returns the @ctes deposit number.
    pub fn deposit(&self, piece: &Piece, blob: &Blob) -> Result<String, Failure> {
        let s = &self.session;
        s.goto(&format!("{}/depot", self.base))
            .map_err(sys("formulaire"))?;
        s.find(&browser::id("fichier"))
            .and_then(|e| e.upload(blob))
            .map_err(sys("fichier"))?;
        s.find(&browser::id("categorie"))
            .and_then(|e| e.select(&piece.categorie))
            .map_err(sys("catégorie"))?;
        s.fill_in(&browser::id("objet"), &piece.objet)
            .map_err(sys("objet"))?;
        s.click_on(&browser::id("depot-envoyer"))
            .map_err(sys("envoi"))?;
        match s.wait_text(&browser::id("numero-depot"), PAGE_WAIT_MS) {
            Ok(n) => Ok(n.trim().to_string()),
            Err(e) => Err(self.refusal().unwrap_or_else(|| sys("confirmation")(e))),
        }
    }

    /// @ctes's validation errors, if the page shows them: the file or its
    /// description is at fault, a business failure in @ctes's words.
    fn refusal(&self) -> Option<Failure> {
        let text = self
            .session
            .find(&browser::id("erreurs"))
            .and_then(|e| e.text())
            .ok()?;
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(Failure::Business(format!("@ctes refuse le dépôt : {text}")))
    }
}
