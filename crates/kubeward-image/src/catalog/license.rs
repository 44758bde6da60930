//! Licence statements to SPDX expressions: validation with the `spdx` crate, Debian's DEP-5
//! short names and Python's trove classifiers mapped to SPDX ids where they differ.
//!
//! Only what maps exactly is kept. The `spdx` crate's "imprecise names" are not used: they map
//! `BSD` to BSD-2-Clause and `GNU GPL v2` to GPL-3.0-only, which would be wrong statements.

use spdx::{Expression, ParseMode};

/// Longer text is licence prose (a whole licence in a `License:` header), not an expression.
const MAX_EXPRESSION: usize = 512;

/// SPDX as written in the wild: deprecated ids (`GPL-2.0`) and `GPL-2.0+` are still valid SPDX
/// statements; unknown ids, lowercase operators and `/` are not accepted.
const MODE: ParseMode = ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

/// `text` as an SPDX expression (whitespace collapsed) when it is one, else `None`.
pub(crate) fn spdx_expression(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() || text.len() > MAX_EXPRESSION {
        return None;
    }
    Expression::parse_mode(&text, MODE).ok()?;
    Some(text)
}

/// Several expressions that all apply (every `Files:` paragraph of a `copyright` file): each
/// kept once, compound ones in parentheses, joined with `AND`; validated as a whole.
pub(crate) fn all_of(exprs: &[String]) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    for e in exprs {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    let joined = match seen.as_slice() {
        [] => return None,
        [one] => (*one).to_string(),
        many => many
            .iter()
            .map(|e| {
                if e.contains(' ') {
                    format!("({e})")
                } else {
                    (*e).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    };
    spdx_expression(&joined)
}

/// One Debian licence short name (DEP-5 § License specification) as an SPDX id. Names with no
/// SPDX id become `LicenseRef-<name>` (SPDX's form for licences outside its list).
pub(crate) fn debian_short_name(name: &str) -> String {
    let (base, plus) = match name.strip_suffix('+') {
        Some(b) => (b, true),
        None => (name, false),
    };
    // GNU licences: GPL-2 / GPL-2.0 / GPL-2+ → GPL-2.0-only / GPL-2.0-or-later.
    for family in ["AGPL", "LGPL", "GPL", "GFDL"] {
        if let Some(version) = base
            .strip_prefix(family)
            .and_then(|v| v.strip_prefix('-'))
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        {
            let version = if version.contains('.') {
                version.to_string()
            } else {
                format!("{version}.0")
            };
            let id = format!(
                "{family}-{version}-{}",
                if plus { "or-later" } else { "only" }
            );
            if spdx::license_id(&id).is_some() {
                return id;
            }
        }
    }
    let mapped = match base.to_ascii_lowercase().as_str() {
        "expat" => Some("MIT"),
        "bsd-2-clause" => Some("BSD-2-Clause"),
        "bsd-3-clause" => Some("BSD-3-Clause"),
        "bsd-4-clause" => Some("BSD-4-Clause"),
        "artistic" | "artistic-1" | "artistic-1.0" => Some("Artistic-1.0-Perl"),
        "artistic-2" => Some("Artistic-2.0"),
        "apache-2" => Some("Apache-2.0"),
        "psf-2" => Some("PSF-2.0"),
        "zlib" => Some("Zlib"),
        "isc" => Some("ISC"),
        "cc0" => Some("CC0-1.0"),
        _ => None,
    };
    let id = mapped.map(str::to_string).or_else(|| {
        spdx::identifiers::LICENSES
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(base))
            .map(|l| l.name.to_string())
    });
    match id {
        Some(id) if plus => format!("{id}+"),
        Some(id) => id,
        None => license_ref(name),
    }
}

/// `LicenseRef-<name>`, with what SPDX does not allow in an id replaced by `-`, bounded.
pub(crate) fn license_ref(name: &str) -> String {
    let id: String = name
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("LicenseRef-{id}")
}

/// A `License :: ...` trove classifier as an SPDX id, when it names one licence exactly.
/// `BSD License` and other family names are not mapped (they do not say which licence).
pub(crate) fn classifier(text: &str) -> Option<&'static str> {
    let name = text
        .strip_prefix("License :: OSI Approved :: ")
        .or_else(|| text.strip_prefix("License :: "))?
        .trim();
    Some(match name {
        "MIT License" => "MIT",
        "MIT No Attribution License (MIT-0)" => "MIT-0",
        "Apache Software License" => "Apache-2.0",
        "ISC License (ISCL)" => "ISC",
        "Python Software Foundation License" => "PSF-2.0",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "Mozilla Public License 1.1 (MPL 1.1)" => "MPL-1.1",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU General Public License v2 or later (GPLv2+)" => "GPL-2.0-or-later",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v3 or later (GPLv3+)" => "GPL-3.0-or-later",
        "GNU Lesser General Public License v2 (LGPLv2)" => "LGPL-2.0-only",
        "GNU Lesser General Public License v2 or later (LGPLv2+)" => "LGPL-2.0-or-later",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "GNU Lesser General Public License v3 or later (LGPLv3+)" => "LGPL-3.0-or-later",
        "GNU Affero General Public License v3" => "AGPL-3.0-only",
        "GNU Affero General Public License v3 or later (AGPLv3+)" => "AGPL-3.0-or-later",
        "The Unlicense (Unlicense)" => "Unlicense",
        "zlib/libpng License" => "Zlib",
        "Boost Software License 1.0 (BSL-1.0)" => "BSL-1.0",
        "Eclipse Public License 2.0 (EPL-2.0)" => "EPL-2.0",
        "European Union Public Licence 1.2 (EUPL 1.2)" => "EUPL-1.2",
        "Historical Permission Notice and Disclaimer (HPND)" => "HPND",
        "Universal Permissive License (UPL)" => "UPL-1.0",
        "Academic Free License (AFL)" | "BSD License" | "Public Domain" => return None,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(spdx_expression(" MIT "), Some("MIT".into()));
        assert_eq!(
            spdx_expression("( Apache-2.0 OR MIT ) AND MPL-2.0").as_deref(),
            Some("( Apache-2.0 OR MIT ) AND MPL-2.0")
        );
        assert_eq!(spdx_expression("GPL-2.0+").as_deref(), Some("GPL-2.0+"));
        assert_eq!(spdx_expression("BSD"), None);
        assert_eq!(spdx_expression("MIT BSD GPL2+"), None);
        assert_eq!(spdx_expression(&"MIT AND ".repeat(100)), None);
    }

    #[test]
    fn debian_names() {
        assert_eq!(debian_short_name("GPL-2+"), "GPL-2.0-or-later");
        assert_eq!(debian_short_name("GPL-2"), "GPL-2.0-only");
        assert_eq!(debian_short_name("LGPL-2.1+"), "LGPL-2.1-or-later");
        assert_eq!(debian_short_name("Expat"), "MIT");
        assert_eq!(debian_short_name("BSD-3-clause"), "BSD-3-Clause");
        assert_eq!(debian_short_name("Apache-2.0"), "Apache-2.0");
        assert_eq!(debian_short_name("MPL-1.1+"), "MPL-1.1+");
        assert_eq!(
            debian_short_name("public-domain"),
            "LicenseRef-public-domain"
        );
        assert_eq!(debian_short_name("a b/c"), "LicenseRef-a-b-c");
    }

    #[test]
    fn all_of_joins_once() {
        let e = [
            "GPL-2.0-or-later".to_string(),
            "MIT OR Apache-2.0".into(),
            "GPL-2.0-or-later".into(),
        ];
        assert_eq!(
            all_of(&e).as_deref(),
            Some("GPL-2.0-or-later AND (MIT OR Apache-2.0)")
        );
    }
}
