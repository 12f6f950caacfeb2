//! DS's value validations of annotations (`validate(:champs_private_value)`), run by
//! `dossierModifierAnnotations` and the deprecated one-annotation mutations after the type
//! check. Messages are DS's, bare (`format: "%{message}"` for champ values): a drop-down
//! value outside its options, an e-mail address DS's strict check refuses, a decimal Ruby
//! prints with more than 3 digits after the point (or in exponent form), and numbers outside
//! the range or sign the administrateur set. DS validates no cell of a repeated block
//! (`can_validate?` excludes rows), so neither does this.
//!
//! Seeded number rules (DS's `positive_number`/`range_number` options, which the API does
//! not expose): 103's "Ligne du rapport d’activité" is positive; 107's "Montant retenu (€)"
//! lies between 0 and 1 000 000.

use crate::model::{Descriptor, Kind, Value};

pub const NOT_IN_OPTIONS: &str = "doit être dans les options proposées";
pub const INVALID_EMAIL: &str =
    "est invalide. Saisissez une adresse électronique valide. Exemple : adresse@mail.com";
pub const NOT_A_FLOAT: &str = "doit comprendre entre 1 et 3 chiffres après le point";
pub const NOT_POSITIVE: &str = "doit être un nombre positif";

/// An administrateur's number options for one annotation.
#[derive(Debug, Clone, Copy)]
struct NumberRule {
    positive: bool,
    min: Option<f64>,
    max: Option<f64>,
}

/// The seeded number rules, by stable id.
fn number_rule(stable_id: u64) -> Option<NumberRule> {
    match stable_id {
        103_503 => Some(NumberRule {
            positive: true,
            min: None,
            max: None,
        }),
        107_502 => Some(NumberRule {
            positive: true,
            min: Some(0.0),
            max: Some(1_000_000.0),
        }),
        _ => None,
    }
}

/// DS's errors for `value` given to the top-level annotation `desc` (empty: valid).
pub fn check(desc: &Descriptor, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    match (&desc.kind, value) {
        (Kind::DropDownList { options, other }, Value::Text(s))
            if !s.trim().is_empty() && !*other && !options.contains(s) =>
        {
            errors.push(NOT_IN_OPTIONS.to_owned());
        }
        (Kind::MultipleDropDownList { options }, Value::Multi(list))
            if list
                .iter()
                .any(|v| !v.trim().is_empty() && !options.contains(v)) =>
        {
            errors.push(NOT_IN_OPTIONS.to_owned());
        }
        (Kind::Email, Value::Text(s)) if !s.trim().is_empty() && !strict_email(s.trim()) => {
            errors.push(INVALID_EMAIL.to_owned());
        }
        (Kind::IntegerNumber, Value::Int(i)) => {
            number_errors(desc.stable_id, *i as f64, true, &mut errors);
        }
        (Kind::DecimalNumber, Value::Decimal(f)) => {
            number_errors(desc.stable_id, *f, false, &mut errors);
            if !decimal_format_ok(&ruby_float_to_s(*f)) {
                errors.push(NOT_A_FLOAT.to_owned());
            }
        }
        _ => {}
    }
    errors
}

/// DS's `NumberLimitValidator`: sign first, then the range (both bounds, else one).
fn number_errors(stable_id: u64, v: f64, integer: bool, errors: &mut Vec<String>) {
    let Some(rule) = number_rule(stable_id) else {
        return;
    };
    let show = |x: f64| {
        if integer {
            format!("{}", x as i64)
        } else {
            ruby_float_to_s(x)
        }
    };
    if rule.positive && v < 0.0 {
        errors.push(NOT_POSITIVE.to_owned());
    }
    match (rule.min, rule.max) {
        (Some(lo), Some(hi)) if v < lo || v > hi => errors.push(format!(
            "doit être un nombre compris entre {} et {}",
            show(lo),
            show(hi)
        )),
        (Some(lo), None) if v < lo => errors.push(format!(
            "doit être un nombre supérieur ou égal à {}",
            show(lo)
        )),
        (None, Some(hi)) if v > hi => errors.push(format!(
            "doit être un nombre inférieur ou égal à {}",
            show(hi)
        )),
        _ => {}
    }
}

/// DS's decimal format, `\A-?[0-9]+([\.,][0-9]{1,3})?\z`.
fn decimal_format_ok(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once(['.', ',']) {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(|f| digits(f) && f.len() <= 3)
}

/// Ruby's `Float#to_s` (DS stores `value.to_s`): the shortest round-trip digits, fixed
/// notation with at least one fraction digit while the decimal exponent is in `-3..=16`,
/// else `d.ddde±XX`.
pub fn ruby_float_to_s(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    if !(-3..=16).contains(&decpt) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}.{rest}e{esign}{:02}", exp.abs());
    }
    if decpt <= 0 {
        let zeros = "0".repeat(decpt.unsigned_abs() as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let d = decpt as usize;
    if digits.len() <= d {
        format!("{sign}{digits}{}.0", "0".repeat(d - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..d], &digits[d..])
    }
}

/// DS's `StrictEmailValidator` (Truemail's pattern): 6 to 255 characters, a local part
/// starting with a letter or digit, a domain of letter/digit labels joined by `.` or `-`,
/// ending in a top-level domain of 2 to 63 letters.
pub fn strict_email(s: &str) -> bool {
    let len = s.chars().count();
    if !(6..=255).contains(&len) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    local_ok(local) && domain_ok(domain)
}

fn local_ok(local: &str) -> bool {
    let mut chars = local.chars();
    let first_ok = chars.next().is_some_and(char::is_alphanumeric);
    first_ok && chars.all(|c| c.is_alphanumeric() || "_.+!~,'&%#*^`{}|-/?=$".contains(c))
}

fn domain_ok(domain: &str) -> bool {
    let Some((base, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    let tld_len = tld.chars().count();
    if !(2..=63).contains(&tld_len) || !tld.chars().all(char::is_alphabetic) {
        return false;
    }
    let starts_alnum = base.chars().next().is_some_and(char::is_alphanumeric);
    starts_alnum
        && base.split('.').all(|label| {
            label.chars().last().is_some_and(char::is_alphanumeric)
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}
