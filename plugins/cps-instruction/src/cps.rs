//! The CPS management tool: log in (the host types the password), open the
//! request of the dossier and record the decision with its reason.

use pont_sdk::browser::{self, Session};
use pont_sdk::{Error, Failure};

/// The secret typed into the tool's password field.
pub const PASSWORD_SECRET: &str = "cps-password";
/// Wait for the page that follows a submit or a navigation.
const PAGE_WAIT_MS: u32 = 10_000;

fn sys(step: &'static str) -> impl Fn(Error) -> Failure {
    pont_sdk::system(format!("CPS {step}"))
}

fn find(s: &Session, id: &str) -> Result<browser::Element, Failure> {
    s.find(&browser::id(id)).map_err(sys("find"))
}

/// Records `decision` (`accepter` or `refuser`) with `comment` for dossier
/// `number`; returns the tool's confirmation text.
pub fn instruct(
    base: &str,
    user: &str,
    number: i64,
    decision: &str,
    comment: &str,
) -> Result<String, Failure> {
    let s = Session::open("cps").map_err(sys("open"))?;
    s.goto(&format!("{base}/connexion")).map_err(sys("goto"))?;
    find(&s, "identifiant")?
        .fill(user)
        .map_err(sys("identifiant"))?;
    find(&s, "mot_de_passe")?
        .fill_secret(PASSWORD_SECRET)
        .map_err(sys("mot de passe"))?;
    find(&s, "connexion-valider")?
        .click()
        .map_err(sys("connexion"))?;
    s.wait_for(&browser::id("utilisateur"), PAGE_WAIT_MS)
        .map_err(sys("connexion"))?;
    s.goto(&format!("{base}/instruction/{number}"))
        .map_err(sys("goto"))?;
    s.wait_for(&browser::id("decision"), PAGE_WAIT_MS)
        .map_err(sys("demande absente de l’outil"))?
        .select(decision)
        .map_err(sys("décision"))?;
    find(&s, "commentaire")?
        .fill(comment)
        .map_err(sys("commentaire"))?;
    find(&s, "decision-enregistrer")?
        .click()
        .map_err(sys("enregistrer"))?;
    let confirmation = s
        .wait_for(&browser::id("decision-confirmation"), PAGE_WAIT_MS)
        .map_err(sys("confirmation"))?
        .text()
        .map_err(sys("confirmation"))?;
    Ok(confirmation.trim().to_string())
}
