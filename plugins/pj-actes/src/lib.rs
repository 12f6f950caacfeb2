//! `pj-actes`: transmits the attachments of dossiers en instruction to
//! @ctes (contrôle de légalité), archives them and reports the work.
//!
//! Per dossier: read it from DS; skip it if already marked "Transmis"; sort
//! its attachments by type (the acte, then its annexes) with the @ctes
//! category of the acte's nature; download each (a host-held blob, checksum
//! checked), deposit it in @ctes with its category and object, and copy it
//! into the archive's staging folder; zip that into the dated archive on the
//! `archives` mount; append a row to the Excel activity report; and write
//! the @ctes numbers and "Transmis" into the dossier's annotations.
//!
//! Deposits are not idempotent on @ctes's side, so each deposit number is
//! remembered in the state store as soon as @ctes gives it: a retry deposits
//! only what is missing.

mod actes;
mod archive;
mod pieces;
mod report;

use pont_sdk::ds::{self, AnnotationValue, Dossier, DossierState};
use pont_sdk::{Blob, Failure, Item, Outcome, Robot, Settings, log, state};

use actes::Actes;
use archive::Staging;
use pieces::{Piece, Transmission};

const ANNOT_NUMBERS: &str = "Identifiant @ctes";
const ANNOT_DONE: &str = "Transmis";

#[derive(Default)]
struct PjActes {
    /// @ctes base URL; its origin is granted as the `actes` application.
    actes_url: String,
    /// The activity report on the `rapports` mount, and its sheet.
    report: (String, String),
    settings: Settings,
}

impl Robot for PjActes {
    fn init(settings: Settings) -> Result<Self, String> {
        let actes_url = settings
            .get("actes-url")
            .ok_or("setting `actes-url` is missing (the @ctes base URL)")?
            .trim_end_matches('/')
            .to_string();
        let report = (
            settings
                .get_or("rapport", "rapport-activite.xlsx")
                .to_string(),
            settings.get_or("rapport-feuille", "Actes").to_string(),
        );
        Ok(Self {
            actes_url,
            report,
            settings,
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let d = item
            .load_dossier()
            .map_err(pont_sdk::system("reading the dossier"))?;
        if d.state != DossierState::EnInstruction {
            return Ok(Outcome::Skipped(format!(
                "dossier {:?}, pas en instruction",
                d.state
            )));
        }
        if d.annotation_labelled(ANNOT_DONE)
            .is_some_and(|a| pieces::checked(&a.value))
        {
            return Ok(Outcome::Skipped("actes déjà transmis".into()));
        }
        let t = pieces::sort(&d, &self.settings).map_err(Failure::Business)?;
        let (staging, deposited) = self.transmit(&d, &t)?;
        let numeros: Vec<String> = deposited.iter().map(|(_, n)| n.clone()).collect();
        let bordereau = archive::bordereau(d.number, &t.objet, &deposited);
        let zip = staging.finish(&pont_sdk::today(), &bordereau)?;
        let row = report::Row {
            dossier: d.number,
            nature: &t.nature,
            categorie: &t.categorie,
            files: numeros.len(),
            numeros: &numeros,
            archive: &zip,
        };
        report::append_once(&self.report, &row)?;
        annotate(&d, &numeros)?;
        log::info(&format!(
            "dossier {}: {} pièce(s) déposée(s) dans @ctes, archive {zip}",
            d.number,
            numeros.len()
        ));
        Ok(Outcome::Done(format!("{} → {zip}", numeros.join(", "))))
    }
}

impl PjActes {
    /// Deposits each piece not deposited by an earlier attempt, staging it
    /// for the archive as it goes; returns the staging folder and each
    /// piece with its @ctes number.
    #[allow(clippy::type_complexity)]
    fn transmit(
        &self,
        d: &Dossier,
        t: &Transmission,
    ) -> Result<(Staging, Vec<(Piece, String)>), Failure> {
        let staging = Staging::new(d.number)?;
        let mut actes: Option<Actes> = None;
        let mut out = Vec::with_capacity(t.pieces.len());
        for piece in &t.pieces {
            let blob = download(piece)?;
            let key = format!("depot:{}:{}", d.number, piece.file.reference);
            let numero = match state::get_string(&key).map_err(pont_sdk::system("state store"))? {
                Some(n) => n,
                None => {
                    // One session for the dossier, opened only if needed.
                    let session = match &actes {
                        Some(a) => a,
                        None => actes.insert(Actes::open(&self.actes_url)?),
                    };
                    let n = session.deposit(piece, &blob)?;
                    state::set_string(&key, &n).map_err(pont_sdk::system("state store"))?;
                    n
                }
            };
            staging.add(piece, &blob)?;
            out.push((piece.clone(), numero));
        }
        Ok((staging, out))
    }
}

fn download(piece: &Piece) -> Result<Blob, Failure> {
    let step = format!("downloading « {} »", piece.file.file_name);
    ds::attachment(&piece.file).map_err(pont_sdk::system(step))
}

fn annotate(d: &Dossier, numeros: &[String]) -> Result<(), Failure> {
    let inputs = vec![
        d.annotation_input(ANNOT_NUMBERS, AnnotationValue::Text(numeros.join(", ")))?,
        d.annotation_input(ANNOT_DONE, AnnotationValue::Checkbox(true))?,
    ];
    ds::modifier_annotations(d.number, &inputs).map_err(pont_sdk::system("writing the annotations"))
}

pont_sdk::export!(PjActes);
