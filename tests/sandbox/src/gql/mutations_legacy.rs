//! The deprecated one-annotation mutations (`dossierModifierAnnotationText`, …,
//! `dossierModifierAnnotationAjouterLigne`), which DS still serves. They go through the
//! same world operation as `dossierModifierAnnotations`, with DS's per-mutation type filter.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::champs::{Champ, FragmentTypes, RepetitionChamp};
use super::mutations::{ValidationError, top, view};
use super::scalars::{DateScalar, DateTimeScalar};
use super::{caller, world};
use crate::model::Kind;
use crate::ops::AnnotationValue;

macro_rules! legacy_types {
    ($input:ident, $payload:ident, $value:ty) => {
        #[derive(InputObject)]
        pub struct $input {
            pub client_mutation_id: Option<String>,
            pub dossier_id: ID,
            pub instructeur_id: ID,
            pub annotation_id: ID,
            pub value: $value,
        }
        #[derive(SimpleObject)]
        pub struct $payload {
            pub client_mutation_id: Option<String>,
            pub annotation: Option<Champ>,
            pub errors: Option<Vec<ValidationError>>,
        }
    };
}

legacy_types!(
    DossierModifierAnnotationTextInput,
    DossierModifierAnnotationTextPayload,
    String
);
legacy_types!(
    DossierModifierAnnotationCheckboxInput,
    DossierModifierAnnotationCheckboxPayload,
    bool
);
legacy_types!(
    DossierModifierAnnotationDateInput,
    DossierModifierAnnotationDatePayload,
    DateScalar
);
legacy_types!(
    DossierModifierAnnotationDatetimeInput,
    DossierModifierAnnotationDatetimePayload,
    DateTimeScalar
);
legacy_types!(
    DossierModifierAnnotationIntegerNumberInput,
    DossierModifierAnnotationIntegerNumberPayload,
    i32
);
legacy_types!(
    DossierModifierAnnotationDecimalNumberInput,
    DossierModifierAnnotationDecimalNumberPayload,
    f64
);
legacy_types!(
    DossierModifierAnnotationDropDownListInput,
    DossierModifierAnnotationDropDownListPayload,
    String
);

#[derive(InputObject)]
pub struct DossierModifierAnnotationAjouterLigneInput {
    pub client_mutation_id: Option<String>,
    pub dossier_id: ID,
    pub instructeur_id: ID,
    pub annotation_id: ID,
}

#[derive(SimpleObject)]
pub struct DossierModifierAnnotationAjouterLignePayload {
    pub client_mutation_id: Option<String>,
    pub annotation: Option<RepetitionChamp>,
    pub errors: Option<Vec<ValidationError>>,
}

/// The common arguments of the deprecated mutations.
struct Target<'a> {
    op: &'a str,
    dossier: &'a ID,
    instructeur: &'a ID,
    annotation: &'a ID,
}

type Answer = (Option<Champ>, Option<Vec<ValidationError>>);

/// Applies one annotation value; the payload gets the changed champ or the messages.
async fn apply(
    ctx: &Context<'_>,
    t: Target<'_>,
    accept: fn(&Kind) -> bool,
    value: AnnotationValue,
) -> Result<Answer> {
    let c = caller(ctx)?;
    let mut payload = t.op.to_owned();
    payload[..1].make_ascii_uppercase();
    let payload = format!("{payload}Payload");
    let items = [(t.annotation.0.clone(), value)];
    let r = world(ctx)?
        .modifier_annotations_as(
            (t.op, &payload),
            Some(accept),
            &c,
            t.dossier,
            t.instructeur,
            &items,
        )
        .map_err(top)?;
    let m = match r {
        Err(m) => return Ok((None, Some(vec![ValidationError { message: m }]))),
        Ok(m) => m,
    };
    if !m.errors.is_empty() {
        let errors = m
            .errors
            .into_iter()
            .map(|message| ValidationError { message });
        return Ok((None, Some(errors.collect())));
    }
    let empty = FragmentTypes::default();
    let frags = ctx.data::<FragmentTypes>().unwrap_or(&empty);
    let champ = m
        .changed
        .first()
        .and_then(|(sid, row)| view(&m.demarche, &m.dossier.annotations, *sid, *row, frags));
    Ok((champ, None))
}

fn text(k: &Kind) -> bool {
    matches!(k, Kind::Text | Kind::Textarea)
}
fn checkbox(k: &Kind) -> bool {
    matches!(k, Kind::Checkbox | Kind::YesNo)
}
fn date(k: &Kind) -> bool {
    matches!(k, Kind::Date)
}
fn datetime(k: &Kind) -> bool {
    matches!(k, Kind::Datetime)
}
fn integer(k: &Kind) -> bool {
    matches!(k, Kind::IntegerNumber)
}
fn decimal(k: &Kind) -> bool {
    matches!(k, Kind::DecimalNumber)
}
fn drop_down(k: &Kind) -> bool {
    matches!(k, Kind::DropDownList { .. })
}
fn repetition(k: &Kind) -> bool {
    matches!(k, Kind::Repetition { .. })
}

/// Writes the `#[Object]` impl with one deprecated mutation per line, plus `AjouterLigne`
/// (the attribute macro must see plain methods, hence one macro around the whole impl).
macro_rules! legacy_impl {
    ($(($fn:ident, $op:literal, $input:ident, $payload:ident, $accept:ident, |$v:ident| $value:expr)),* $(,)?) => {
        #[Object]
        impl LegacyMutations {
            $(
            #[graphql(deprecation = "Utilisez la mutation `dossierModifierAnnotations` à la place.")]
            async fn $fn(&self, ctx: &Context<'_>, input: $input) -> Result<Option<$payload>> {
                let $v = input.value;
                let t = Target {
                    op: $op,
                    dossier: &input.dossier_id,
                    instructeur: &input.instructeur_id,
                    annotation: &input.annotation_id,
                };
                let (annotation, errors) = apply(ctx, t, $accept, $value).await?;
                Ok(Some($payload {
                    client_mutation_id: input.client_mutation_id,
                    annotation,
                    errors,
                }))
            }
            )*

            /// Adds one row to a repetition annotation.
            #[graphql(deprecation = "Utilisez la mutation `dossierModifierAnnotations` à la place.")]
            async fn dossier_modifier_annotation_ajouter_ligne(
                &self,
                ctx: &Context<'_>,
                input: DossierModifierAnnotationAjouterLigneInput,
            ) -> Result<Option<DossierModifierAnnotationAjouterLignePayload>> {
                let t = Target {
                    op: "dossierModifierAnnotationAjouterLigne",
                    dossier: &input.dossier_id,
                    instructeur: &input.instructeur_id,
                    annotation: &input.annotation_id,
                };
                let (champ, errors) = apply(ctx, t, repetition, AnnotationValue::Repetition(1)).await?;
                let annotation = match champ {
                    Some(Champ::RepetitionChamp(r)) => Some(r),
                    _ => None,
                };
                Ok(Some(DossierModifierAnnotationAjouterLignePayload {
                    client_mutation_id: input.client_mutation_id,
                    annotation,
                    errors,
                }))
            }
        }
    };
}

/// The deprecated annotation mutations.
#[derive(Default)]
pub struct LegacyMutations;

legacy_impl!(
    (
        dossier_modifier_annotation_text,
        "dossierModifierAnnotationText",
        DossierModifierAnnotationTextInput,
        DossierModifierAnnotationTextPayload,
        text,
        |v| AnnotationValue::Text(v)
    ),
    (
        dossier_modifier_annotation_checkbox,
        "dossierModifierAnnotationCheckbox",
        DossierModifierAnnotationCheckboxInput,
        DossierModifierAnnotationCheckboxPayload,
        checkbox,
        |v| AnnotationValue::Checkbox(v)
    ),
    (
        dossier_modifier_annotation_date,
        "dossierModifierAnnotationDate",
        DossierModifierAnnotationDateInput,
        DossierModifierAnnotationDatePayload,
        date,
        |v| AnnotationValue::Date(v.0)
    ),
    (
        dossier_modifier_annotation_datetime,
        "dossierModifierAnnotationDatetime",
        DossierModifierAnnotationDatetimeInput,
        DossierModifierAnnotationDatetimePayload,
        datetime,
        |v| AnnotationValue::Datetime(v.0)
    ),
    (
        dossier_modifier_annotation_integer_number,
        "dossierModifierAnnotationIntegerNumber",
        DossierModifierAnnotationIntegerNumberInput,
        DossierModifierAnnotationIntegerNumberPayload,
        integer,
        |v| AnnotationValue::IntegerNumber(i64::from(v))
    ),
    (
        dossier_modifier_annotation_decimal_number,
        "dossierModifierAnnotationDecimalNumber",
        DossierModifierAnnotationDecimalNumberInput,
        DossierModifierAnnotationDecimalNumberPayload,
        decimal,
        |v| AnnotationValue::DecimalNumber(v)
    ),
    (
        dossier_modifier_annotation_drop_down_list,
        "dossierModifierAnnotationDropDownList",
        DossierModifierAnnotationDropDownListInput,
        DossierModifierAnnotationDropDownListPayload,
        drop_down,
        |v| AnnotationValue::DropDownList(v)
    ),
);
