//! DS's on-demand dossier exports: `Dossier.pdf` and `Dossier.geojson` are not blobs but
//! links to `/api/v2/dossiers/{pdf,geojson}/<signed id>`, valid one hour, that render the
//! dossier when fetched (no bearer token: the signed id grants access; an invalid or
//! expired one gets a bare 401, as DS's `head :unauthorized`).

use chrono::Utc;
use serde_json::json;

use crate::model::{DossierRecord, Value};
use crate::util;
use crate::world::World;

/// Which export a link renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Pdf,
    GeoJson,
}

impl ExportKind {
    fn path(self) -> &'static str {
        match self {
            ExportKind::Pdf => "pdf",
            ExportKind::GeoJson => "geojson",
        }
    }
}

/// Export links live as long as DS's signed global ids.
const TTL_SECS: i64 = 3600;

impl World {
    /// `http://127.0.0.1:PORT/api/v2/dossiers/<kind>/<signed id>`.
    pub fn export_url(&self, number: i64, kind: ExportKind) -> String {
        let exp = Utc::now().timestamp() + TTL_SECS;
        let sig = util::sign(&self.secret, &format!("{}:{number}:{exp}", kind.path()));
        let token = util::b64url(&format!("{number}.{exp}.{sig}"));
        format!(
            "{}/api/v2/dossiers/{}/{token}",
            self.base_url(),
            kind.path()
        )
    }

    /// The dossier a still-valid export link names.
    pub fn export_for_token(&self, kind: ExportKind, token: &str) -> Option<DossierRecord> {
        let raw = util::unb64url(token)?;
        let mut parts = raw.splitn(3, '.');
        let number: i64 = parts.next()?.parse().ok()?;
        let exp: i64 = parts.next()?.parse().ok()?;
        let msg = format!("{}:{number}:{exp}", kind.path());
        if !util::verify(&self.secret, &msg, parts.next()?) || exp <= Utc::now().timestamp() {
            return None;
        }
        let st = self.lock();
        st.dossiers
            .get(&number)
            .filter(|d| d.hidden_at.is_none())
            .map(|d| (**d).clone())
    }
}

/// The dossier's summary as a one-page PDF.
pub fn pdf(d: &DossierRecord, title: &str) -> Vec<u8> {
    let mut lines = vec![
        format!("Dossier n° {}", d.number),
        title.to_owned(),
        format!("État : {}", d.state.display_lower()),
        format!("Déposé le {}", util::format_datetime(d.depose_at)),
    ];
    if let Some(m) = &d.motivation {
        lines.push(format!("Motivation : {m}"));
    }
    crate::apps::pdf::document(&lines)
}

/// The dossier's geo areas as a GeoJSON FeatureCollection, one Feature per area.
pub fn geojson(d: &DossierRecord) -> Vec<u8> {
    let features: Vec<serde_json::Value> = d
        .champs
        .iter()
        .filter_map(|c| match &c.value {
            Value::GeoAreas(areas) => Some((c.stable_id, areas)),
            _ => None,
        })
        .flat_map(|(sid, areas)| {
            areas.iter().map(move |a| {
                json!({
                    "type": "Feature",
                    "geometry": a.geometry,
                    "properties": {
                        "source": match a.source {
                            crate::model::GeoSource::Cadastre => "cadastre",
                            crate::model::GeoSource::SelectionUtilisateur => "selection_utilisateur",
                        },
                        "champ_id": util::champ_id(sid, None),
                        "dossier_id": d.number,
                        "description": a.description,
                    },
                })
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "id": d.number, "features": features })
        .to_string()
        .into_bytes()
}

/// Ids of generated attestations: far from seeded (`dossier*100+k`) and run-time
/// (`10^12+n`) file ids.
const ATTESTATION_IDS: u64 = 9_000_000_000_000_000;

impl World {
    /// The attestation of an accepted dossier of a démarche with an active template,
    /// generated when first read after the decision (and again after a new decision).
    pub fn attestation(
        &self,
        d: &DossierRecord,
        dem: &crate::model::DemarcheRecord,
    ) -> Option<std::sync::Arc<crate::model::FileRecord>> {
        use crate::model::{Content, FileLie, FileRecord, State};
        let at = d
            .traite_at
            .filter(|_| dem.attestation && d.state == State::Accepte)?;
        let id = ATTESTATION_IDS + d.number as u64;
        let mut st = self.lock();
        if let Some(f) = st.files.get(&id).filter(|f| f.created_at == at) {
            return Some(f.clone());
        }
        let lines = vec![
            "Attestation d’acceptation".to_owned(),
            dem.title.clone(),
            format!(
                "Le dossier n° {} a été accepté le {}.",
                d.number,
                util::format_datetime(at)
            ),
        ];
        let f = std::sync::Arc::new(FileRecord {
            id,
            filename: format!("attestation-dossier-{}.pdf", d.number),
            content_type: "application/pdf".into(),
            created_at: at,
            content: Content::Bytes(crate::apps::pdf::document(&lines).into()),
            checksum: std::sync::OnceLock::new(),
            lie: FileLie::default(),
        });
        st.files.insert(id, f.clone());
        Some(f)
    }
}
