//! A minimal, valid one-page PDF (catalog, page tree, Helvetica, one content stream, exact xref
//! offsets), generated here so the payment certificate is a real PDF without a PDF dependency.

/// Makes PDF-safe ASCII: accents lose their diacritic, other non-ASCII become `?`, and the
/// string delimiters are escaped.
fn pdf_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'É' | 'È' | 'Ê' => 'E',
            'À' | 'Â' => 'A',
            'Ç' => 'C',
            '€' => 'E',
            '\u{a0}' | '\u{202f}' => ' ',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        };
        if matches!(c, '(' | ')' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A PDF page showing `lines` top-down; the first one as a title. Same input, same bytes.
pub fn document(lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 16 Tf\n56 780 Td\n");
    for (i, l) in lines.iter().enumerate() {
        if i == 1 {
            content.push_str("/F1 11 Tf\n");
        }
        content.push_str(&format!("({}) Tj\n0 -22 Td\n", pdf_text(l)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        table.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.extend_from_slice(table.as_bytes());
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xref_points_at_objects() {
        let pdf = document(&["Attestation (test)".into(), "Montant : 12,00 €".into()]);
        let text = String::from_utf8_lossy(&pdf).into_owned();
        assert!(text.starts_with("%PDF-1.4") && text.ends_with("%%EOF\n"));
        let start: usize = text
            .lines()
            .rev()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        assert!(pdf[start..].starts_with(b"xref"));
        let first = text.lines().find(|l| l.ends_with(" n ")).unwrap_or("");
        let off: usize = first[..10].parse().unwrap_or(0);
        assert!(pdf[off..].starts_with(b"1 0 obj"));
    }
}
