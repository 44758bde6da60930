//! Debian `copyright` files in the machine-readable format (DEP-5): the `License:` of every
//! `Files:` paragraph, as one SPDX expression.
//!
//! A file that does not declare the format in its first paragraph (`Format:`, or the draft's
//! `Format-Specification:`) is free text and says nothing here. DEP-5 licence expressions
//! (`GPL-2+ or Artistic`, `A or B, and C`, `GPL-2+ with OpenSSL exception`) are translated
//! to SPDX with [`license::debian_short_name`] for each name.

use std::io::BufRead;

use super::deb822::paragraphs;
use super::license::{self, all_of};

/// The SPDX expression of a DEP-5 file, `None` when it is not machine-readable or names no
/// licence. Read errors (an overlong line) end the file with what was read so far ignored.
pub fn licenses<R: BufRead>(reader: R) -> Result<Option<String>, String> {
    let mut paras = paragraphs(reader);
    let Some(header) = paras.next().transpose()? else {
        return Ok(None);
    };
    let format = header
        .get("Format")
        .or_else(|| header.get("Format-Specification"))
        .unwrap_or("");
    if !(format.contains("copyright-format") || format.contains("dep5")) {
        return Ok(None);
    }
    let mut exprs = Vec::new();
    for para in std::iter::once(Ok(header)).chain(paras) {
        let para = para?;
        if para.get("Files").is_none() {
            continue;
        }
        // The first line of `License:` is the expression; the rest is licence text.
        if let Some(first) = para.get("License").and_then(|v| v.lines().next()) {
            if let Some(e) = dep5_expression(first) {
                exprs.push(e);
            }
        }
    }
    Ok(all_of(&exprs))
}

/// A DEP-5 licence line as SPDX: `,` separates groups of lowest precedence (`A or B, and C`
/// is `(A OR B) AND C`), `or`/`and` join names, `with X exception` names an exception.
fn dep5_expression(line: &str) -> Option<String> {
    let mut out = String::new();
    for (i, group) in line.split(',').enumerate() {
        let mut words = group.split_whitespace().peekable();
        let mut op_before = None;
        if i > 0 {
            // A group after a comma starts with its operator.
            op_before = match words.peek().map(|w| w.to_ascii_lowercase()) {
                Some(w) if w == "and" || w == "or" => {
                    words.next();
                    Some(w.to_ascii_uppercase())
                }
                _ => Some("AND".to_string()),
            };
        }
        let group_expr = dep5_group(words)?;
        match op_before {
            None => out = group_expr,
            Some(op) => out = format!("{} {op} {}", paren(&out), paren(&group_expr)),
        }
    }
    license::spdx_expression(&out)
}

/// A compound expression in parentheses, a single name as it is.
fn paren(e: &str) -> String {
    if e.contains(' ') {
        format!("({e})")
    } else {
        e.to_string()
    }
}

/// `name [with exc exception] (or|and name ...)*` as SPDX.
fn dep5_group<'a>(words: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut ops: Vec<&str> = Vec::new();
    let mut exception: Option<Vec<&str>> = None;
    for w in words {
        let lower = w.to_ascii_lowercase();
        if lower == "or" || lower == "and" {
            close_exception(&mut terms, exception.take());
            ops.push(if lower == "or" { "OR" } else { "AND" });
        } else if lower == "with" {
            exception = Some(Vec::new());
        } else if let Some(exc) = exception.as_mut() {
            exc.push(w);
        } else {
            if terms.len() > ops.len() {
                // Two names without an operator: not a DEP-5 expression.
                return None;
            }
            terms.push(license::debian_short_name(w));
        }
    }
    close_exception(&mut terms, exception);
    if terms.is_empty() || terms.len() != ops.len() + 1 {
        return None;
    }
    let mut out = terms[0].clone();
    for (op, term) in ops.iter().zip(&terms[1..]) {
        out = format!("{out} {op} {term}");
    }
    Some(out)
}

/// Applies `with <words>` to the last term: an SPDX exception when `<Name>-exception` is one,
/// else the whole as a `LicenseRef` (the exception is part of the licence, never dropped).
fn close_exception(terms: &mut [String], exception: Option<Vec<&str>>) {
    let (Some(words), Some(last)) = (exception, terms.last_mut()) else {
        return;
    };
    let words: Vec<&str> = words
        .into_iter()
        .filter(|w| !w.eq_ignore_ascii_case("exception"))
        .collect();
    let candidate = format!("{}-exception", words.join("-"));
    *last = match spdx::exception_id(&candidate) {
        Some(id) if !last.starts_with("LicenseRef-") => format!("{last} WITH {}", id.name),
        _ => license::license_ref(&format!("{last}-with-{}", words.join("-"))),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(
            dep5_expression("GPL-2+").as_deref(),
            Some("GPL-2.0-or-later")
        );
        assert_eq!(
            dep5_expression("GPL-2+ or Artistic").as_deref(),
            Some("GPL-2.0-or-later OR Artistic-1.0-Perl")
        );
        assert_eq!(
            dep5_expression("GPL-2+ or Artistic-2.0, and BSD-3-clause").as_deref(),
            Some("(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause")
        );
        assert_eq!(
            dep5_expression("GPL-2+ with OpenSSL exception").as_deref(),
            Some("LicenseRef-GPL-2.0-or-later-with-OpenSSL")
        );
        assert_eq!(
            dep5_expression("Apache-2.0 with LLVM exception").as_deref(),
            Some("Apache-2.0 WITH LLVM-exception")
        );
        assert_eq!(dep5_expression("GPL-2+ BSD"), None);
    }

    #[test]
    fn machine_readable_file() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\nFiles: *\nCopyright: 2000 A\nLicense: GPL-2+\n text\n\nFiles: lib/*\nCopyright: 2001 B\nLicense: Expat\n\nLicense: GPL-2+\n The text.\n";
        assert_eq!(
            licenses(text.as_bytes()).unwrap().as_deref(),
            Some("GPL-2.0-or-later AND MIT")
        );
        assert_eq!(licenses("This is free text.\n".as_bytes()).unwrap(), None);
    }
}
