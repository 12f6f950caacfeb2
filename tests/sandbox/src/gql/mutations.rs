//! Relay-classic mutations (`mutation($input: XInput!)`), payloads with `errors{message}` as
//! data, exactly DS's input and payload type names.

use async_graphql::{
    Context, ID, InputObject, MergedObject, Object, OneofObject, Result, SimpleObject,
};

use super::champs::{self, Champ, FragmentTypes};
use super::enums::CorrectionReason;
use super::objects::{Dossier, Label, Message};
use super::scalars::{DateScalar, DateTimeScalar};
use super::{caller, ds_error, world};
use crate::model::{DemarcheRecord, Kind, Value};
use crate::ops::{AnnotationValue, TopError, Transition};

/// `ValidationError`.
#[derive(SimpleObject, Clone)]
pub struct ValidationError {
    pub message: String,
}

pub(crate) fn errs(m: String) -> Option<Vec<ValidationError>> {
    Some(vec![ValidationError { message: m }])
}

pub(crate) fn top(e: TopError) -> async_graphql::Error {
    ds_error(e.message, e.code)
}

macro_rules! transition_mutation {
    ($input:ident, $payload:ident { $($field:ident : $ty:ty),* }) => {
        #[derive(InputObject)]
        pub struct $input {
            pub client_mutation_id: Option<String>,
            pub dossier_id: ID,
            pub instructeur_id: ID,
            $(pub $field: $ty,)*
        }
        #[derive(SimpleObject)]
        pub struct $payload {
            pub client_mutation_id: Option<String>,
            pub dossier: Option<Dossier>,
            pub errors: Option<Vec<ValidationError>>,
        }
        impl $payload {
            fn from(r: crate::ops::Outcome<(std::sync::Arc<crate::model::DossierRecord>, std::sync::Arc<DemarcheRecord>)>, cmid: Option<String>) -> Self {
                match r {
                    Ok((rec, dem)) => $payload { client_mutation_id: cmid, dossier: Some(Dossier { rec, dem }), errors: None },
                    Err(m) => $payload { client_mutation_id: cmid, dossier: None, errors: errs(m) },
                }
            }
        }
    };
}

transition_mutation!(DossierPasserEnInstructionInput, DossierPasserEnInstructionPayload { disable_notification: Option<bool> });
transition_mutation!(DossierRepasserEnConstructionInput, DossierRepasserEnConstructionPayload { disable_notification: Option<bool> });
transition_mutation!(DossierRepasserEnInstructionInput, DossierRepasserEnInstructionPayload { disable_notification: Option<bool> });
transition_mutation!(DossierAccepterInput, DossierAccepterPayload { disable_notification: Option<bool>, motivation: Option<String>, justificatif: Option<ID> });
transition_mutation!(DossierRefuserInput, DossierRefuserPayload { disable_notification: Option<bool>, motivation: String, justificatif: Option<ID> });
transition_mutation!(DossierClasserSansSuiteInput, DossierClasserSansSuitePayload { disable_notification: Option<bool>, motivation: String, justificatif: Option<ID> });
transition_mutation!(DossierArchiverInput, DossierArchiverPayload {});

#[derive(InputObject)]
pub struct DossierEnvoyerMessageInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub instructeur_id: ID,
    pub body: String,
    pub attachment: Option<ID>,
    pub correction: Option<CorrectionReason>,
}

#[derive(SimpleObject)]
pub struct DossierEnvoyerMessagePayload {
    pub client_mutation_id: Option<String>,
    pub message: Option<Message>,
    pub errors: Option<Vec<ValidationError>>,
}

/// `AnnotationValueInput` (@oneOf).
#[derive(OneofObject)]
pub enum AnnotationValueInput {
    Text(String),
    Textarea(String),
    Email(String),
    Checkbox(bool),
    YesNo(bool),
    Date(DateScalar),
    Datetime(DateTimeScalar),
    IntegerNumber(i32),
    DecimalNumber(f64),
    DropDownList(String),
    MultipleDropDownList(Vec<String>),
    Repetition(i32),
}

#[derive(InputObject)]
pub struct AnnotationInput {
    pub id: ID,
    pub value: AnnotationValueInput,
}

#[derive(InputObject)]
pub struct DossierModifierAnnotationsInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub instructeur_id: ID,
    pub annotations: Vec<AnnotationInput>,
}

#[derive(SimpleObject)]
pub struct DossierModifierAnnotationsPayload {
    pub client_mutation_id: Option<String>,
    pub annotations: Option<Vec<Champ>>,
    pub errors: Option<Vec<ValidationError>>,
}

macro_rules! label_mutation {
    ($input:ident, $payload:ident) => {
        #[derive(InputObject)]
        pub struct $input {
            pub client_mutation_id: Option<String>,
            pub dossier_id: ID,
            pub label_id: ID,
        }
        #[derive(SimpleObject)]
        pub struct $payload {
            pub client_mutation_id: Option<String>,
            pub dossier: Option<Dossier>,
            pub label: Option<Label>,
            pub errors: Option<Vec<ValidationError>>,
        }
    };
}

label_mutation!(DossierAjouterLabelInput, DossierAjouterLabelPayload);
label_mutation!(DossierSupprimerLabelInput, DossierSupprimerLabelPayload);

#[derive(InputObject)]
pub struct CreateDirectUploadInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub filename: String,
    pub byte_size: i32,
    pub checksum: String,
    pub content_type: String,
}

#[derive(SimpleObject)]
pub struct DirectUpload {
    pub url: String,
    /// JSON-encoded headers to send with the PUT.
    pub headers: String,
    pub blob_id: ID,
    pub signed_blob_id: ID,
}

#[derive(SimpleObject)]
pub struct CreateDirectUploadPayload {
    pub client_mutation_id: Option<String>,
    pub direct_upload: DirectUpload,
}

/// `Mutation`: DS's 29 mutations, in four groups.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    CoreMutations,
    super::mutations_dossier::DossierMutations,
    super::mutations_legacy::LegacyMutations,
    super::mutations_admin::AdminMutations,
);

/// State changes, messages, labels, annotations and uploads.
#[derive(Default)]
pub struct CoreMutations;

async fn run_transition(
    ctx: &Context<'_>,
    t: Transition,
    d: &ID,
    i: &ID,
    motivation: Option<String>,
    justificatif: Option<&ID>,
) -> Result<
    crate::ops::Outcome<(
        std::sync::Arc<crate::model::DossierRecord>,
        std::sync::Arc<DemarcheRecord>,
    )>,
> {
    let c = caller(ctx)?;
    world(ctx)?
        .transition(&c, t, d, i, motivation, justificatif.map(|j| j.as_str()))
        .map_err(top)
}

#[Object]
impl CoreMutations {
    async fn dossier_passer_en_instruction(
        &self,
        ctx: &Context<'_>,
        input: DossierPasserEnInstructionInput,
    ) -> Result<Option<DossierPasserEnInstructionPayload>> {
        let r = run_transition(
            ctx,
            Transition::PasserEnInstruction,
            &input.dossier_id,
            &input.instructeur_id,
            None,
            None,
        )
        .await?;
        Ok(Some(DossierPasserEnInstructionPayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_repasser_en_construction(
        &self,
        ctx: &Context<'_>,
        input: DossierRepasserEnConstructionInput,
    ) -> Result<Option<DossierRepasserEnConstructionPayload>> {
        let r = run_transition(
            ctx,
            Transition::RepasserEnConstruction,
            &input.dossier_id,
            &input.instructeur_id,
            None,
            None,
        )
        .await?;
        Ok(Some(DossierRepasserEnConstructionPayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_accepter(
        &self,
        ctx: &Context<'_>,
        input: DossierAccepterInput,
    ) -> Result<Option<DossierAccepterPayload>> {
        let r = run_transition(
            ctx,
            Transition::Accepter,
            &input.dossier_id,
            &input.instructeur_id,
            input.motivation,
            input.justificatif.as_ref(),
        )
        .await?;
        Ok(Some(DossierAccepterPayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_refuser(
        &self,
        ctx: &Context<'_>,
        input: DossierRefuserInput,
    ) -> Result<Option<DossierRefuserPayload>> {
        let r = run_transition(
            ctx,
            Transition::Refuser,
            &input.dossier_id,
            &input.instructeur_id,
            Some(input.motivation),
            input.justificatif.as_ref(),
        )
        .await?;
        Ok(Some(DossierRefuserPayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_classer_sans_suite(
        &self,
        ctx: &Context<'_>,
        input: DossierClasserSansSuiteInput,
    ) -> Result<Option<DossierClasserSansSuitePayload>> {
        let r = run_transition(
            ctx,
            Transition::ClasserSansSuite,
            &input.dossier_id,
            &input.instructeur_id,
            Some(input.motivation),
            input.justificatif.as_ref(),
        )
        .await?;
        Ok(Some(DossierClasserSansSuitePayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_repasser_en_instruction(
        &self,
        ctx: &Context<'_>,
        input: DossierRepasserEnInstructionInput,
    ) -> Result<Option<DossierRepasserEnInstructionPayload>> {
        let r = run_transition(
            ctx,
            Transition::RepasserEnInstruction,
            &input.dossier_id,
            &input.instructeur_id,
            None,
            None,
        )
        .await?;
        Ok(Some(DossierRepasserEnInstructionPayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_archiver(
        &self,
        ctx: &Context<'_>,
        input: DossierArchiverInput,
    ) -> Result<Option<DossierArchiverPayload>> {
        let r = run_transition(
            ctx,
            Transition::Archiver,
            &input.dossier_id,
            &input.instructeur_id,
            None,
            None,
        )
        .await?;
        Ok(Some(DossierArchiverPayload::from(
            r,
            input.client_mutation_id,
        )))
    }
    async fn dossier_envoyer_message(
        &self,
        ctx: &Context<'_>,
        input: DossierEnvoyerMessageInput,
    ) -> Result<Option<DossierEnvoyerMessagePayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .envoyer_message(
                &c,
                &input.dossier_id,
                &input.instructeur_id,
                input.body,
                input.attachment.as_ref().map(|a| a.as_str()),
                input.correction.map(Into::into),
            )
            .map_err(top)?;
        Ok(Some(match r {
            Ok(m) => DossierEnvoyerMessagePayload {
                client_mutation_id: input.client_mutation_id,
                message: Some(Message(m)),
                errors: None,
            },
            Err(m) => DossierEnvoyerMessagePayload {
                client_mutation_id: input.client_mutation_id,
                message: None,
                errors: errs(m),
            },
        }))
    }
    async fn dossier_modifier_annotations(
        &self,
        ctx: &Context<'_>,
        input: DossierModifierAnnotationsInput,
    ) -> Result<Option<DossierModifierAnnotationsPayload>> {
        let c = caller(ctx)?;
        let items: Vec<(String, AnnotationValue)> = input
            .annotations
            .into_iter()
            .map(|a| (a.id.0, convert(a.value)))
            .collect();
        let r = world(ctx)?
            .modifier_annotations(&c, &input.dossier_id, &input.instructeur_id, &items)
            .map_err(top)?;
        let cmid = input.client_mutation_id;
        Ok(Some(match r {
            Err(m) => DossierModifierAnnotationsPayload {
                client_mutation_id: cmid,
                annotations: None,
                errors: errs(m),
            },
            Ok(m) => {
                let empty = FragmentTypes::default();
                let frags = ctx.data::<FragmentTypes>().unwrap_or(&empty);
                let views = m
                    .changed
                    .iter()
                    .filter_map(|(sid, row)| {
                        view(&m.demarche, &m.dossier.annotations, *sid, *row, frags)
                    })
                    .collect();
                let errors = (!m.errors.is_empty()).then(|| {
                    m.errors
                        .into_iter()
                        .map(|message| ValidationError { message })
                        .collect()
                });
                DossierModifierAnnotationsPayload {
                    client_mutation_id: cmid,
                    annotations: Some(views),
                    errors,
                }
            }
        }))
    }
    async fn dossier_ajouter_label(
        &self,
        ctx: &Context<'_>,
        input: DossierAjouterLabelInput,
    ) -> Result<Option<DossierAjouterLabelPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .label(&c, true, &input.dossier_id, &input.label_id)
            .map_err(top)?;
        let cmid = input.client_mutation_id;
        Ok(Some(match r {
            Ok(((rec, dem), l)) => DossierAjouterLabelPayload {
                client_mutation_id: cmid,
                dossier: Some(Dossier { rec, dem }),
                label: Some(Label::from(&l)),
                errors: None,
            },
            Err(m) => DossierAjouterLabelPayload {
                client_mutation_id: cmid,
                dossier: None,
                label: None,
                errors: errs(m),
            },
        }))
    }
    async fn dossier_supprimer_label(
        &self,
        ctx: &Context<'_>,
        input: DossierSupprimerLabelInput,
    ) -> Result<Option<DossierSupprimerLabelPayload>> {
        let c = caller(ctx)?;
        let r = world(ctx)?
            .label(&c, false, &input.dossier_id, &input.label_id)
            .map_err(top)?;
        let cmid = input.client_mutation_id;
        Ok(Some(match r {
            Ok(((rec, dem), l)) => DossierSupprimerLabelPayload {
                client_mutation_id: cmid,
                dossier: Some(Dossier { rec, dem }),
                label: Some(Label::from(&l)),
                errors: None,
            },
            Err(m) => DossierSupprimerLabelPayload {
                client_mutation_id: cmid,
                dossier: None,
                label: None,
                errors: errs(m),
            },
        }))
    }
    /// File information required to prepare a direct upload.
    async fn create_direct_upload(
        &self,
        ctx: &Context<'_>,
        input: CreateDirectUploadInput,
    ) -> Result<Option<CreateDirectUploadPayload>> {
        let c = caller(ctx)?;
        let d = world(ctx)?
            .create_direct_upload(
                &c,
                &input.dossier_id,
                input.filename,
                input.byte_size,
                input.checksum,
                input.content_type,
            )
            .map_err(top)?;
        Ok(Some(CreateDirectUploadPayload {
            client_mutation_id: input.client_mutation_id,
            direct_upload: DirectUpload {
                url: d.url,
                headers: d.headers,
                blob_id: ID(d.blob_id),
                signed_blob_id: ID(d.signed_blob_id),
            },
        }))
    }
}

fn convert(v: AnnotationValueInput) -> AnnotationValue {
    use AnnotationValueInput as I;
    match v {
        I::Text(s) => AnnotationValue::Text(s),
        I::Textarea(s) => AnnotationValue::Textarea(s),
        I::Email(s) => AnnotationValue::Email(s),
        I::Checkbox(b) => AnnotationValue::Checkbox(b),
        I::YesNo(b) => AnnotationValue::YesNo(b),
        I::Date(d) => AnnotationValue::Date(d.0),
        I::Datetime(t) => AnnotationValue::Datetime(t.0),
        I::IntegerNumber(i) => AnnotationValue::IntegerNumber(i64::from(i)),
        I::DecimalNumber(f) => AnnotationValue::DecimalNumber(f),
        I::DropDownList(s) => AnnotationValue::DropDownList(s),
        I::MultipleDropDownList(l) => AnnotationValue::MultipleDropDownList(l),
        I::Repetition(n) => AnnotationValue::Repetition(n),
    }
}

/// The GraphQL view of a changed annotation (a top-level one or a cell of a row).
pub(crate) fn view(
    dem: &DemarcheRecord,
    recs: &[crate::model::ChampRecord],
    sid: u64,
    row: Option<u64>,
    frags: &FragmentTypes,
) -> Option<Champ> {
    match row {
        None => {
            let d = dem.annotations.iter().find(|d| d.stable_id == sid)?;
            let r = recs.iter().find(|r| r.stable_id == sid)?;
            Some(champs::build(d, r, None, frags))
        }
        Some(row_id) => dem.annotations.iter().find_map(|parent| {
            let Kind::Repetition { children } = &parent.kind else {
                return None;
            };
            let child = children.iter().find(|c| c.stable_id == sid)?;
            let Value::Rows(rows) = &recs.iter().find(|r| r.stable_id == parent.stable_id)?.value
            else {
                return None;
            };
            let cell = rows
                .iter()
                .find(|r| r.id == row_id)?
                .champs
                .iter()
                .find(|c| c.stable_id == sid)?;
            Some(champs::build(child, cell, Some(row_id), frags))
        }),
    }
}
