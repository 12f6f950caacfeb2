//! `Champ.columns`: a champ's typed sub-values, as DS's `Column` interface and its nine
//! concrete types. Column ids are `Column-type_de_champ/<stable_id>` (plus a JSON path for
//! the parts of an address), as DS encodes them.

use std::sync::Arc;

use async_graphql::{Context, ID, Interface, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::objects::FileObj;
use super::scalars::{BigInt, DateScalar, DateTimeScalar};
use super::world;
use crate::model::{Descriptor, FileRecord, Kind, Value};
use crate::util::global_id;

/// What every column has.
#[derive(Debug, Clone)]
pub struct Head {
    id: String,
    label: String,
}

macro_rules! column_type {
    ($name:ident, $ty:ty, $out:ty, |$v:ident| $conv:expr, |$s:ident| $show:expr) => {
        #[derive(Clone)]
        pub struct $name {
            head: Head,
            value: Option<$ty>,
        }
        #[Object]
        impl $name {
            async fn id(&self) -> ID {
                ID(self.head.id.clone())
            }
            async fn label(&self) -> String {
                self.head.label.clone()
            }
            async fn string_value(&self) -> Option<String> {
                self.value.as_ref().map(|$s| $show)
            }
            async fn value(&self) -> Option<$out> {
                self.value.clone().map(|$v| $conv)
            }
        }
    };
}

column_type!(TextColumn, String, String, |v| v, |s| s.clone());
column_type!(EnumColumn, String, String, |v| v, |s| s.clone());
column_type!(BooleanColumn, bool, bool, |v| v, |b| b.to_string());
column_type!(IntegerColumn, i64, BigInt, |v| BigInt(v), |i| i.to_string());
column_type!(DecimalColumn, f64, f64, |v| v, |f| f.to_string());
column_type!(DateColumn, NaiveDate, DateScalar, |v| DateScalar(v), |d| d
    .format("%Y-%m-%d")
    .to_string());
column_type!(
    DateTimeColumn,
    DateTime<Utc>,
    DateTimeScalar,
    |v| DateTimeScalar(v),
    |t| crate::util::format_datetime(*t)
);
column_type!(EnumsColumn, Vec<String>, Vec<String>, |v| v, |l| l
    .join(", "));

/// `AttachmentsColumn`: its text form lists the files' (signed) URLs, as DS's does.
#[derive(Clone)]
pub struct AttachmentsColumn {
    head: Head,
    files: Vec<Arc<FileRecord>>,
}

#[Object]
impl AttachmentsColumn {
    async fn id(&self) -> ID {
        ID(self.head.id.clone())
    }
    async fn label(&self) -> String {
        self.head.label.clone()
    }
    async fn string_value(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let w = world(ctx)?;
        let urls: Vec<String> = self.files.iter().map(|f| w.file_url(f)).collect();
        Ok((!urls.is_empty()).then(|| urls.join(", ")))
    }
    async fn value(&self) -> Option<Vec<FileObj>> {
        (!self.files.is_empty()).then(|| self.files.iter().cloned().map(FileObj::new).collect())
    }
}

/// `interface Column`.
#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "label", ty = "String"),
    field(name = "string_value", ty = "Option<String>")
)]
pub enum Column {
    AttachmentsColumn(AttachmentsColumn),
    BooleanColumn(BooleanColumn),
    DateColumn(DateColumn),
    DateTimeColumn(DateTimeColumn),
    DecimalColumn(DecimalColumn),
    EnumColumn(EnumColumn),
    EnumsColumn(EnumsColumn),
    IntegerColumn(IntegerColumn),
    TextColumn(TextColumn),
}

fn head(desc: &Descriptor, suffix: &str, label: String) -> Head {
    Head {
        id: global_id(
            "Column",
            format!("type_de_champ/{}{suffix}", desc.stable_id),
        ),
        label,
    }
}

fn text_of(v: &Value, shown: &Option<String>) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        Value::Empty | Value::Rows(_) => None,
        _ => shown.clone(),
    }
}

/// The columns of one champ; `shown` is its `stringValue`. Repetitions, titres d’identité
/// and champs without a value of their own (header, explication) have none.
pub fn build(desc: &Descriptor, v: &Value, shown: &Option<String>) -> Vec<Column> {
    let h = head(desc, "", desc.label.clone());
    let main = match (&desc.kind, v) {
        (Kind::Repetition { .. } | Kind::TitreIdentite, _) => return Vec::new(),
        (Kind::HeaderSection { .. } | Kind::Explication, _) => return Vec::new(),
        (Kind::Checkbox | Kind::YesNo, _) => Column::BooleanColumn(BooleanColumn {
            head: h,
            value: match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
        }),
        (Kind::IntegerNumber | Kind::Number, Value::Int(i)) => {
            Column::IntegerColumn(IntegerColumn {
                head: h,
                value: Some(*i),
            })
        }
        (Kind::DecimalNumber, Value::Decimal(f)) => Column::DecimalColumn(DecimalColumn {
            head: h,
            value: Some(*f),
        }),
        (Kind::Date, Value::Date(d)) => Column::DateColumn(DateColumn {
            head: h,
            value: Some(*d),
        }),
        (Kind::Datetime, Value::DateTime(t)) => Column::DateTimeColumn(DateTimeColumn {
            head: h,
            value: Some(*t),
        }),
        (Kind::MultipleDropDownList { .. }, Value::Multi(l)) => Column::EnumsColumn(EnumsColumn {
            head: h,
            value: Some(l.clone()),
        }),
        (Kind::DropDownList { .. } | Kind::Civilite, _) => Column::EnumColumn(EnumColumn {
            head: h,
            value: text_of(v, shown),
        }),
        (Kind::Departement | Kind::Region, Value::Code { code, .. }) => {
            Column::EnumColumn(EnumColumn {
                head: h,
                value: Some(code.clone()),
            })
        }
        (Kind::Departement | Kind::Region, _) => Column::EnumColumn(EnumColumn {
            head: h,
            value: None,
        }),
        (Kind::PieceJustificative, _) => Column::AttachmentsColumn(AttachmentsColumn {
            head: h,
            files: match v {
                Value::Files(f) => f.clone(),
                _ => Vec::new(),
            },
        }),
        (
            Kind::IntegerNumber
            | Kind::Number
            | Kind::DecimalNumber
            | Kind::Date
            | Kind::Datetime
            | Kind::MultipleDropDownList { .. },
            _,
        ) => Column::TextColumn(TextColumn {
            head: h,
            value: None,
        }),
        _ => Column::TextColumn(TextColumn {
            head: h,
            value: text_of(v, shown),
        }),
    };
    let mut out = vec![main];
    if let (Kind::Address, Value::Address(a)) = (&desc.kind, v) {
        let parts = [
            (
                "$.postal_code",
                "Code postal (5 chiffres)",
                &a.postal_code,
                false,
            ),
            ("$.city_name", "Commune", &a.city_name, false),
            ("$.department_code", "Département", &a.department_code, true),
            ("$.region_name", "Région", &a.region_name, true),
        ];
        for (path, label, value, is_enum) in parts {
            let h = head(
                desc,
                &format!("-{path}"),
                format!("{} – {label}", desc.label),
            );
            let value = Some(value.clone());
            out.push(if is_enum {
                Column::EnumColumn(EnumColumn { head: h, value })
            } else {
                Column::TextColumn(TextColumn { head: h, value })
            });
        }
    }
    out
}
