//! HTML building blocks shared by the apps, so every form has the same conventions robots rely
//! on: an `id` on every control equal to its `name`, labels tied with `for=`, `data-testid` on
//! buttons, one `<p id="<field>-error">` per invalid field and an `#erreurs` summary. Also the
//! server-side validators, whose French messages are what a user would read.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page.
pub fn page(app: &str, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{t} — {a}</title>\
         <style>.erreur{{color:#b00}} .champ{{margin:.5em 0}} label{{display:block}}</style></head>\
         <body><header><p id=\"app\">{a}</p></header><main id=\"main\"><h1 id=\"titre\">{t}</h1>\n{body}\n</main></body></html>\n",
        a = esc(app),
        t = esc(title),
    )
}

/// A page with a status code.
pub fn respond(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

/// Validation errors, by field id, in the order found.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push((field.into(), msg.into()));
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The `#erreurs` summary, empty when there is nothing to say.
    pub fn summary(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let items: String = self
            .0
            .iter()
            .map(|(f, m)| format!("<li><a href=\"#{}\">{}</a></li>", esc(f), esc(m)))
            .collect();
        format!(
            "<div id=\"erreurs\" class=\"erreur\" role=\"alert\"><p>Le formulaire contient des erreurs :</p><ul>{items}</ul></div>"
        )
    }
    fn line(&self, field: &str) -> String {
        match self.get(field) {
            Some(m) => format!(
                "<p id=\"{}-error\" class=\"erreur\">{}</p>",
                esc(field),
                esc(m)
            ),
            None => String::new(),
        }
    }
}

/// Submitted values, to re-render a form as it was typed.
pub type Values = HashMap<String, String>;

pub fn val<'a>(v: &'a Values, k: &str) -> &'a str {
    v.get(k).map(|s| s.trim()).unwrap_or("")
}

/// `<input>` with its label and error line. `kind` is the HTML input type.
pub fn input(id: &str, label: &str, kind: &str, v: &Values, e: &Errors) -> String {
    format!(
        "<div class=\"champ\"><label for=\"{id}\">{l}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{val}\">{err}</div>",
        id = esc(id),
        l = esc(label),
        val = if kind == "password" {
            String::new()
        } else {
            esc(val(v, id))
        },
        err = e.line(id),
    )
}

pub fn textarea(id: &str, label: &str, v: &Values, e: &Errors) -> String {
    format!(
        "<div class=\"champ\"><label for=\"{id}\">{l}</label><textarea id=\"{id}\" name=\"{id}\">{val}</textarea>{err}</div>",
        id = esc(id),
        l = esc(label),
        val = esc(val(v, id)),
        err = e.line(id),
    )
}

/// `<select>` whose options are `(value, label)`; the first option is an empty "choose" entry.
pub fn select(id: &str, label: &str, options: &[(&str, &str)], v: &Values, e: &Errors) -> String {
    let current = val(v, id);
    let opts: String = options
        .iter()
        .map(|(value, text)| {
            let sel = if *value == current { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{sel}>{}</option>",
                esc(value),
                esc(text)
            )
        })
        .collect();
    format!(
        "<div class=\"champ\"><label for=\"{id}\">{l}</label><select id=\"{id}\" name=\"{id}\"><option value=\"\">— Choisir —</option>{opts}</select>{err}</div>",
        id = esc(id),
        l = esc(label),
        err = e.line(id),
    )
}

pub fn file(id: &str, label: &str, multiple: bool, e: &Errors) -> String {
    format!(
        "<div class=\"champ\"><label for=\"{id}\">{l}</label><input id=\"{id}\" name=\"{id}\" type=\"file\"{m}>{err}</div>",
        id = esc(id),
        l = esc(label),
        m = if multiple { " multiple" } else { "" },
        err = e.line(id),
    )
}

pub fn hidden(id: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" id=\"{id}\" name=\"{id}\" value=\"{v}\">",
        id = esc(id),
        v = esc(value)
    )
}

/// A submit button; its `id` and `data-testid` are the same stable name.
pub fn button(testid: &str, label: &str) -> String {
    format!(
        "<button type=\"submit\" id=\"{t}\" data-testid=\"{t}\">{l}</button>",
        t = esc(testid),
        l = esc(label)
    )
}

/// Content present in the HTML but hidden until a script reveals it after `ms`, like a page
/// finishing its own loading: a robot has to wait for it to become visible.
pub fn delayed(id: &str, ms: u64, inner: &str) -> String {
    let id = esc(id);
    format!(
        "<div id=\"{id}\" hidden data-delay-ms=\"{ms}\">{inner}</div>\
         <script>setTimeout(function(){{document.getElementById(\"{id}\").hidden=false;}},{ms});</script>"
    )
}

// ---- validators: each returns the user-facing message on failure ----

/// Non-empty after trimming, at most 500 characters.
pub fn required(v: &Values, id: &str, e: &mut Errors) -> Option<String> {
    let s = val(v, id);
    if s.is_empty() {
        e.add(id, "Ce champ est obligatoire.");
        None
    } else if s.chars().count() > 500 {
        e.add(id, "Ce champ ne doit pas dépasser 500 caractères.");
        None
    } else {
        Some(s.to_owned())
    }
}

/// Exactly `n` digits (spaces typed between groups are dropped).
pub fn digits(v: &Values, id: &str, n: usize, what: &str, e: &mut Errors) -> Option<String> {
    let s: String = val(v, id).chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        e.add(id, "Ce champ est obligatoire.");
        None
    } else if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        e.add(id, format!("{what} doit comporter {n} chiffres."));
        None
    } else {
        Some(s)
    }
}

/// One of the allowed option values.
pub fn one_of(v: &Values, id: &str, allowed: &[&str], e: &mut Errors) -> Option<String> {
    let s = val(v, id);
    if s.is_empty() {
        e.add(id, "Veuillez choisir une valeur.");
        None
    } else if !allowed.contains(&s) {
        e.add(id, "Valeur non autorisée.");
        None
    } else {
        Some(s.to_owned())
    }
}

/// A date `AAAA-MM-JJ` (what `<input type="date">` sends) or `JJ/MM/AAAA` (typed by hand).
pub fn date(v: &Values, id: &str, e: &mut Errors) -> Option<NaiveDate> {
    let s = val(v, id);
    if s.is_empty() {
        e.add(id, "Ce champ est obligatoire.");
        return None;
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"));
    match d {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(id, "Date invalide (format attendu : JJ/MM/AAAA).");
            None
        }
    }
}

/// A positive amount in euros, at most 2 decimals, `1234.5`, `1 234,50` or `1234,50 €`;
/// returned in cents so records compare exactly.
pub fn montant(v: &Values, id: &str, e: &mut Errors) -> Option<i64> {
    let s = val(v, id);
    if s.is_empty() {
        e.add(id, "Ce champ est obligatoire.");
        return None;
    }
    match parse_cents(s) {
        Some(c) if c > 0 => Some(c),
        _ => {
            e.add(
                id,
                "Montant invalide : un nombre positif en euros, deux décimales au plus.",
            );
            None
        }
    }
}

fn parse_cents(s: &str) -> Option<i64> {
    let t: String = s
        .trim_end_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    if int.is_empty() || int.len() > 12 || frac.len() > 2 {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let i: i64 = int.parse().ok()?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    i.checked_mul(100)?.checked_add(f)
}

/// `1234567` cents → `12 345,67 €`.
pub fn euros(cents: i64) -> String {
    let int = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02} €", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_cents("1 234,5"), Some(123_450));
        assert_eq!(parse_cents("12.34 €"), Some(1234));
        assert_eq!(parse_cents("1.234"), None);
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(parse_cents("99999999999999999"), None);
        assert_eq!(euros(123_456_789), "1 234 567,89 €");
    }
}
