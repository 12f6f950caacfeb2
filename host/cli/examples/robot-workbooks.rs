//! Makes the Excel workbooks the `chorus-paiement` and `pj-actes` example
//! configs need, from the dossiers of a running `pont-sandbox`:
//!
//! ```sh
//! cargo run -p pont-cli --example robot-workbooks -- http://127.0.0.1:PORT/api/v2/graphql .pont/data
//! ```
//!
//! - `<out>/chorus-paiement/referentiel/base-ej.xlsx` (sheet `EJ`): the EJ of
//!   each dossier en instruction of démarche 103, engaged for its amount plus
//!   a margin; every fifth is left out and every seventh engaged for half its
//!   amount, so the demo shows dossiers going to a person. Rewritten each time.
//! - `<out>/chorus-paiement/rapports/rapport-activite.xlsx` (sheet `Paiements`)
//!   and `<out>/pj-actes/rapports/rapport-activite.xlsx` (sheet `Actes`): a
//!   header row; kept when they exist, so later runs append to them.
//! - `<out>/pj-actes/archives/`: the archive directory.
//!
//! The EJs are the sandbox's own, so these cannot be checked in. The DS
//! token is `$DS_TOKEN`, by default the sandbox's `sandbox-rw-all`.

use std::path::Path;

use pont_ds::{ChampValue, Dossier, DossierFilter, DossierState, DsClient, EngagementJuridique};
use pont_policy::{Action, DsAction, EffectivePolicy, Gate};

const PAIEMENT_HEADER: [&str; 8] = [
    "Date",
    "Dossier",
    "EJ",
    "Bénéficiaire",
    "Montant (€)",
    "Numéro de paiement",
    "Pièces jointes",
    "Montant engagé (€)",
];
const ACTES_HEADER: [&str; 7] = [
    "Date",
    "Dossier",
    "Nature",
    "Catégorie",
    "Fichiers",
    "Numéros @ctes",
    "Archive",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, out] = args.as_slice() else {
        anyhow::bail!("usage: robot-workbooks <DS endpoint> <output directory>");
    };
    let token = std::env::var("DS_TOKEN").unwrap_or_else(|_| "sandbox-rw-all".into());
    let client = DsClient::builder(endpoint.as_str(), token).build()?;
    let out = Path::new(out);
    let dossiers = en_instruction(&client, 103).await?;
    let referentiel = out.join("chorus-paiement/referentiel");
    std::fs::create_dir_all(&referentiel)?;
    write_base(&referentiel.join("base-ej.xlsx"), &dossiers)?;
    report(
        &out.join("chorus-paiement/rapports"),
        "Paiements",
        &PAIEMENT_HEADER,
    )?;
    report(&out.join("pj-actes/rapports"), "Actes", &ACTES_HEADER)?;
    std::fs::create_dir_all(out.join("pj-actes/archives"))?;
    println!(
        "workbooks in {} ({} EJ rows)",
        out.display(),
        dossiers.len()
    );
    Ok(())
}

async fn en_instruction(client: &DsClient, demarche: i64) -> anyhow::Result<Vec<Dossier>> {
    let filter = DossierFilter {
        state: Some(DossierState::EnInstruction),
        ..DossierFilter::default()
    };
    // pont-ds takes a permit for each request: this tool asks its own gate
    // (DS reads of this démarche only, audited to a temporary file).
    let audit = tempfile::tempdir()?;
    let policy = EffectivePolicy::ds_only("robot-workbooks", &[demarche], &[DsAction::Read]);
    let gate = Gate::for_tool("robot-workbooks", policy, &audit.path().join("audit.jsonl"))?;
    let listing = Action::DsRead {
        what: "dossiers",
        demarche: Some(demarche),
        dossier: None,
    };
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let permit = gate.authorize(None, &listing)?;
        let page = client
            .dossiers(&permit, demarche, &filter, after.as_deref())
            .await?;
        all.extend(page.items);
        if !page.has_next_page {
            return Ok(all);
        }
        after = page.end_cursor;
    }
}

fn champ<'a>(d: &'a Dossier, label: &str) -> Option<&'a ChampValue> {
    d.champs.iter().find(|c| c.label == label).map(|c| &c.value)
}

/// One EJ row per dossier, some missing or short on purpose (see above).
fn write_base(path: &Path, dossiers: &[Dossier]) -> anyhow::Result<()> {
    let mut book = umya_spreadsheet::new_file();
    let ws = book
        .sheet_mut(0)
        .map_err(|_| anyhow::anyhow!("the new workbook has no sheet"))?;
    ws.set_name("EJ");
    for (i, h) in ["EJ", "SIRET", "Bénéficiaire", "Montant engagé (€)"]
        .iter()
        .enumerate()
    {
        ws.cell_mut((u32::try_from(i)? + 1, 1)).set_value_string(*h);
    }
    let mut row = 2u32;
    for (k, d) in dossiers.iter().enumerate() {
        let (
            Some(
                ChampValue::Text(ej)
                | ChampValue::EngagementJuridique(EngagementJuridique { numero: ej, .. }),
            ),
            Some(ChampValue::Siret(e)),
            Some(ChampValue::Decimal(m)),
        ) = (
            champ(d, "Numéro d’engagement juridique"),
            champ(d, "SIRET du bénéficiaire"),
            champ(d, "Montant à payer (€)"),
        )
        else {
            continue;
        };
        if k % 5 == 4 {
            continue;
        }
        let engaged = if k % 7 == 6 { m / 2.0 } else { m + 5_000.0 };
        ws.cell_mut((1, row)).set_value_string(ej.clone());
        ws.cell_mut((2, row)).set_value_string(e.siret.clone());
        ws.cell_mut((3, row)).set_value_string(
            e.raison_sociale
                .clone()
                .unwrap_or_else(|| format!("Bénéficiaire {}", d.number)),
        );
        ws.cell_mut((4, row))
            .set_value_number((engaged * 100.0).round() / 100.0);
        row += 1;
    }
    umya_spreadsheet::writer::xlsx::write(&book, path)?;
    Ok(())
}

/// An activity report with its header, unless one is already there.
fn report(dir: &Path, sheet: &str, header: &[&str]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("rapport-activite.xlsx");
    if path.exists() {
        return Ok(());
    }
    let mut book = umya_spreadsheet::new_file();
    let ws = book
        .sheet_mut(0)
        .map_err(|_| anyhow::anyhow!("the new workbook has no sheet"))?;
    ws.set_name(sheet);
    for (i, h) in header.iter().enumerate() {
        let col = u32::try_from(i)? + 1;
        ws.cell_mut((col, 1)).set_value_string(*h);
        ws.style_mut((col, 1)).font_mut().set_bold(true);
    }
    umya_spreadsheet::writer::xlsx::write(&book, path)?;
    Ok(())
}
