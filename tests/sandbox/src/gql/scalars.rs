//! DS's custom scalars with DS's names and wire formats: `ISO8601DateTime` (Paris offset,
//! seconds), `ISO8601Date`, `BigInt` (a string on the wire, as graphql-ruby sends it) and `URL`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, Utc};

use crate::util;

/// `ISO8601DateTime`.
#[derive(Debug, Clone, Copy)]
pub struct DateTimeScalar(pub DateTime<Utc>);

#[Scalar(
    name = "ISO8601DateTime",
    specified_by_url = "https://tools.ietf.org/html/rfc3339"
)]
impl ScalarType for DateTimeScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => util::parse_datetime(s).map(DateTimeScalar).ok_or_else(|| {
                InputValueError::custom(format!("{s:?} is not a valid ISO8601DateTime"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(util::format_datetime(self.0))
    }
}

/// `ISO8601Date`.
#[derive(Debug, Clone, Copy)]
pub struct DateScalar(pub NaiveDate);

#[Scalar(
    name = "ISO8601Date",
    specified_by_url = "https://tools.ietf.org/html/rfc3339"
)]
impl ScalarType for DateScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map(DateScalar)
                .map_err(|_| InputValueError::custom(format!("{s:?} is not a valid ISO8601Date"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// `BigInt`: "it's encoded as a string" says DS's schema; input accepts a string or an int.
#[derive(Debug, Clone, Copy)]
pub struct BigInt(pub i64);

#[Scalar(name = "BigInt")]
impl ScalarType for BigInt {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .trim()
                .parse()
                .map(BigInt)
                .map_err(|_| InputValueError::custom("not a BigInt")),
            Value::Number(n) => n
                .as_i64()
                .map(BigInt)
                .ok_or_else(|| InputValueError::custom("not a BigInt")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// `URL`: "A valid URL, transported as a string".
#[derive(Debug, Clone)]
pub struct Url(pub String);

#[Scalar(name = "URL")]
impl ScalarType for Url {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Url(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}
