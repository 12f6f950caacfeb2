//! `Demarche`, its revisions, `DemarcheDescriptor` (the metadata view `Dossier.demarche` and
//! `Query.demarcheDescriptor` return), `Service` and `ChorusConfiguration`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Duration, Utc};

use super::connection::{DeletedDossierConnection, DossierConnection, PageArgs};
use super::descriptors::{self, ChampDescriptor};
use super::enums::*;
use super::listing::{self, DossierFilters};
use super::objects::{FileObj, GroupeInstructeur, Label, Profile};
use super::scalars::{DateTimeScalar, Url};
use super::world;
use crate::model::*;
use crate::util::global_id;

/// The administrateur every sandbox token belongs to.
pub fn administrateur() -> Profile {
    Profile {
        id: ID(global_id("Administrateur", 1)),
        email: "admin@sandbox.gouv.fr".into(),
    }
}

/// `dateDerniereModification` of a démarche: a day after its publication.
fn modified_at(d: &DemarcheRecord) -> DateTime<Utc> {
    d.published_at.unwrap_or(d.created_at) + Duration::days(1)
}

/// `Demarche`.
pub struct Demarche(pub Arc<DemarcheRecord>);

#[Object]
impl Demarche {
    async fn id(&self) -> ID {
        ID(global_id("Procedure", self.0.number))
    }
    async fn number(&self) -> i32 {
        self.0.number as i32
    }
    async fn title(&self) -> String {
        self.0.title.clone()
    }
    async fn description(&self) -> String {
        self.0.description.clone()
    }
    async fn state(&self) -> DemarcheState {
        DemarcheState::parse(self.0.state)
    }
    /// No seeded démarche is declarative.
    async fn declarative(&self) -> Option<DossierDeclarativeState> {
        None
    }
    async fn date_creation(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.created_at)
    }
    async fn date_publication(&self) -> Option<DateTimeScalar> {
        self.0.published_at.map(DateTimeScalar)
    }
    async fn date_derniere_modification(&self) -> DateTimeScalar {
        DateTimeScalar(modified_at(&self.0))
    }
    async fn date_depublication(&self) -> Option<DateTimeScalar> {
        None
    }
    async fn date_fermeture(&self) -> Option<DateTimeScalar> {
        None
    }
    async fn active_revision(&self) -> Revision {
        Revision::published(&self.0)
    }
    async fn published_revision(&self) -> Option<Revision> {
        self.0
            .published_at
            .is_some()
            .then(|| Revision::published(&self.0))
    }
    /// The draft an administrateur edits: same champs until they change something.
    async fn draft_revision(&self) -> Revision {
        Revision::draft(&self.0)
    }
    async fn revisions(&self) -> Vec<Revision> {
        vec![Revision::published(&self.0), Revision::draft(&self.0)]
    }
    #[graphql(deprecation = "Utilisez le champ `activeRevision.champDescriptors` à la place.")]
    async fn champ_descriptors(&self) -> Vec<ChampDescriptor> {
        self.0.champs.iter().map(descriptors::build).collect()
    }
    #[graphql(deprecation = "Utilisez le champ `activeRevision.annotationDescriptors` à la place.")]
    async fn annotation_descriptors(&self) -> Vec<ChampDescriptor> {
        self.0.annotations.iter().map(descriptors::build).collect()
    }
    async fn groupe_instructeurs(
        &self,
        ctx: &Context<'_>,
        closed: Option<bool>,
    ) -> Result<Vec<GroupeInstructeur>> {
        let w = world(ctx)?;
        let st = w.lock();
        Ok(self
            .0
            .groupes
            .iter()
            .filter(|g| closed.is_none_or(|c| c == g.closed))
            .map(|g| GroupeInstructeur::from_record(g, &st.instructeurs))
            .collect())
    }
    async fn service(&self) -> Option<Service> {
        self.0.service.clone().map(Service)
    }
    async fn chorus_configuration(&self) -> Option<ChorusConfiguration> {
        self.0.chorus.clone().map(|[c, d, r]| ChorusConfiguration {
            centre_de_cout: Some(c),
            domaine_fonctionnel: Some(d),
            referentiel_de_programmation: Some(r),
        })
    }
    async fn labels(&self) -> Vec<Label> {
        self.0.labels.iter().map(Label::from).collect()
    }
    async fn administrateurs(&self) -> Vec<Profile> {
        vec![administrateur()]
    }
    /// Dossiers visible to the administration, ordered by `depose_at`, or by `updated_at`
    /// when `updatedSince` is given (then `createdSince` is ignored, as in DS).
    #[allow(clippy::too_many_arguments)]
    async fn dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        archived: Option<bool>,
        before: Option<String>,
        created_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
        max_revision: Option<ID>,
        min_revision: Option<ID>,
        #[graphql(
            default_with = "Some(Order::Asc)",
            deprecation = "Utilisez l’argument `last` à la place."
        )]
        order: Option<Order>,
        revision: Option<ID>,
        state: Option<DossierState>,
        updated_since: Option<DateTimeScalar>,
    ) -> Result<DossierConnection> {
        let f = DossierFilters {
            after,
            archived,
            before,
            created_since,
            first,
            last,
            max_revision,
            min_revision,
            order: order.unwrap_or_default(),
            revision,
            state,
            updated_since,
        };
        listing::dossiers(world(ctx)?, &self.0, None, f)
    }
    #[allow(clippy::too_many_arguments)]
    async fn deleted_dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        deleted_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
        #[graphql(
            default_with = "Some(Order::Asc)",
            deprecation = "Utilisez l’argument `last` à la place."
        )]
        order: Option<Order>,
    ) -> Result<DeletedDossierConnection> {
        let page = PageArgs::new(first, last, after, before)?.ordered(order.unwrap_or_default())?;
        listing::deleted(world(ctx)?, &self.0, None, deleted_since, page)
    }
    /// Dossiers hidden by the usager or the administration and not purged yet.
    #[allow(clippy::too_many_arguments)]
    async fn pending_deleted_dossiers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        deleted_since: Option<DateTimeScalar>,
        first: Option<i32>,
        last: Option<i32>,
        #[graphql(
            default_with = "Some(Order::Asc)",
            deprecation = "Utilisez l’argument `last` à la place."
        )]
        order: Option<Order>,
    ) -> Result<DeletedDossierConnection> {
        let page = PageArgs::new(first, last, after, before)?.ordered(order.unwrap_or_default())?;
        listing::pending_deleted(world(ctx)?, &self.0, None, deleted_since, page)
    }
}

/// `Revision`: the published one (whose champs dossiers are on) or the draft.
pub struct Revision {
    dem: Arc<DemarcheRecord>,
    draft: bool,
}

impl Revision {
    pub fn published(dem: &Arc<DemarcheRecord>) -> Self {
        Revision {
            dem: dem.clone(),
            draft: false,
        }
    }
    pub fn draft(dem: &Arc<DemarcheRecord>) -> Self {
        Revision {
            dem: dem.clone(),
            draft: true,
        }
    }
}

#[Object]
impl Revision {
    async fn id(&self) -> ID {
        ID(global_id(
            "ProcedureRevision",
            self.dem.revision_id + i64::from(self.draft),
        ))
    }
    async fn date_creation(&self) -> DateTimeScalar {
        let base = self.dem.created_at;
        DateTimeScalar(if self.draft {
            modified_at(&self.dem)
        } else {
            base
        })
    }
    async fn date_publication(&self) -> Option<DateTimeScalar> {
        (!self.draft)
            .then_some(self.dem.published_at)
            .flatten()
            .map(DateTimeScalar)
    }
    async fn champ_descriptors(&self) -> Vec<ChampDescriptor> {
        self.dem.champs.iter().map(descriptors::build).collect()
    }
    async fn annotation_descriptors(&self) -> Vec<ChampDescriptor> {
        self.dem
            .annotations
            .iter()
            .map(descriptors::build)
            .collect()
    }
}

/// `DemarcheDescriptor`: a démarche's metadata, without its dossiers.
pub struct DemarcheDescriptor(pub Arc<DemarcheRecord>);

impl DemarcheDescriptor {
    fn start_link(&self, ctx: &Context<'_>) -> Option<Url> {
        let base = world(ctx).ok()?.base_url();
        Some(Url(format!("{base}/commencer/{}", self.0.slug)))
    }
    fn notice_link(&self) -> Url {
        Url(format!(
            "https://doc.sandbox.gouv.fr/notices/{}.pdf",
            self.0.slug
        ))
    }
    fn site_link(&self) -> String {
        format!("https://www.sandbox.gouv.fr/demarches/{}", self.0.slug)
    }
    fn cadre_link(&self) -> String {
        "https://www.legifrance.gouv.fr/codes/id/LEGITEXT000006070633".into()
    }
}

const DPO: &str = "dpo@sandbox.gouv.fr";

#[Object]
impl DemarcheDescriptor {
    async fn id(&self) -> ID {
        ID(global_id("Procedure", self.0.number))
    }
    async fn number(&self) -> i32 {
        self.0.number as i32
    }
    async fn title(&self) -> String {
        self.0.title.clone()
    }
    async fn description(&self) -> String {
        self.0.description.clone()
    }
    async fn state(&self) -> DemarcheState {
        DemarcheState::parse(self.0.state)
    }
    async fn declarative(&self) -> Option<DossierDeclarativeState> {
        None
    }
    async fn date_creation(&self) -> DateTimeScalar {
        DateTimeScalar(self.0.created_at)
    }
    async fn date_publication(&self) -> Option<DateTimeScalar> {
        self.0.published_at.map(DateTimeScalar)
    }
    async fn date_derniere_modification(&self) -> DateTimeScalar {
        DateTimeScalar(modified_at(&self.0))
    }
    async fn date_depublication(&self) -> Option<DateTimeScalar> {
        None
    }
    async fn date_fermeture(&self) -> Option<DateTimeScalar> {
        None
    }
    /// In months.
    async fn duree_conservation_dossiers(&self) -> i32 {
        12
    }
    #[graphql(name = "demarcheURL")]
    async fn demarche_url_new(&self, ctx: &Context<'_>) -> Option<Url> {
        self.start_link(ctx)
    }
    #[graphql(
        name = "demarcheUrl",
        deprecation = "Utilisez le champ `demarcheURL` à la place."
    )]
    async fn demarche_url_old(&self, ctx: &Context<'_>) -> Option<Url> {
        self.start_link(ctx)
    }
    #[graphql(name = "siteWebURL")]
    async fn site_web_url_new(&self) -> Option<String> {
        Some(self.site_link())
    }
    #[graphql(
        name = "siteWebUrl",
        deprecation = "Utilisez le champ `siteWebURL` à la place."
    )]
    async fn site_web_url_old(&self) -> Option<String> {
        Some(self.site_link())
    }
    #[graphql(name = "dpoURL")]
    async fn dpo_url_new(&self) -> Option<String> {
        Some(DPO.into())
    }
    #[graphql(
        name = "dpoUrl",
        deprecation = "Utilisez le champ `dpoURL` à la place."
    )]
    async fn dpo_url_old(&self) -> Option<String> {
        Some(DPO.into())
    }
    #[graphql(name = "noticeURL")]
    async fn notice_url_new(&self) -> Option<Url> {
        Some(self.notice_link())
    }
    #[graphql(
        name = "noticeUrl",
        deprecation = "Utilisez le champ `noticeURL` à la place."
    )]
    async fn notice_url_old(&self) -> Option<Url> {
        Some(self.notice_link())
    }
    #[graphql(name = "cadreJuridiqueURL")]
    async fn cadre_juridique_url_new(&self) -> Option<String> {
        Some(self.cadre_link())
    }
    #[graphql(
        name = "cadreJuridiqueUrl",
        deprecation = "Utilisez le champ `cadreJuridiqueURL` à la place."
    )]
    async fn cadre_juridique_url_old(&self) -> Option<String> {
        Some(self.cadre_link())
    }
    async fn opendata(&self) -> bool {
        self.0.opendata
    }
    async fn tags(&self) -> Vec<String> {
        vec![self.0.slug.clone(), "sandbox".into()]
    }
    async fn zones(&self) -> Vec<String> {
        vec!["Ministère de l’Intérieur".into()]
    }
    async fn revision(&self) -> Revision {
        Revision::published(&self.0)
    }
    async fn service(&self) -> Option<Service> {
        self.0.service.clone().map(Service)
    }
    /// The sandbox's démarches have no logo, notice file or délibération.
    async fn logo(&self) -> Option<FileObj> {
        None
    }
    async fn notice(&self) -> Option<FileObj> {
        None
    }
    async fn deliberation(&self) -> Option<FileObj> {
        None
    }
}

/// `Service`.
pub struct Service(pub ServiceRecord);

#[Object]
impl Service {
    async fn id(&self) -> ID {
        ID(global_id("Service", self.0.id))
    }
    async fn nom(&self) -> String {
        self.0.nom.clone()
    }
    async fn organisme(&self) -> String {
        self.0.organisme.clone()
    }
    async fn type_organisme(&self) -> TypeOrganisme {
        TypeOrganisme::parse(self.0.type_organisme)
    }
    async fn siret(&self) -> Option<String> {
        self.0.siret.clone()
    }
}

/// `ChorusConfiguration`.
#[derive(SimpleObject)]
pub struct ChorusConfiguration {
    pub centre_de_cout: Option<String>,
    pub domaine_fonctionnel: Option<String>,
    pub referentiel_de_programmation: Option<String>,
}
