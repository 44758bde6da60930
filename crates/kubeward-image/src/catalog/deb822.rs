//! deb822 paragraphs, read as a stream with the line of every field: dpkg's `status` and
//! `status.d/*`, DEP-5 `copyright` files, and apk's `installed` (same shape, `X:value` lines).
//!
//! Hand-written on purpose: the deb822 crates either drop positions (`rfc822-like` and
//! `deb822-fast` deserialize into maps or structs) or build a lossless syntax tree of the whole
//! file (`deb822-lossless`, on rowan) for what is one read-only pass over a multi-megabyte
//! `status`; the format is three rules (`Name: value` fields, continuation lines start with a
//! space or tab, a blank line ends a paragraph), and the line of each field is where a package
//! is located. Lines and paragraphs are bounded, so a hostile file cannot exhaust memory.

use std::io::{BufRead, Read};

/// The longest line read (1 MiB); a longer one stops the file with an error.
pub const MAX_LINE: usize = 1 << 20;
/// The largest paragraph read (8 MiB); a larger one stops the file with an error.
pub const MAX_PARAGRAPH: usize = 8 << 20;

/// One field: its name as written, its value (continuation lines joined with `\n`, each
/// trimmed) and the 1-based line of its first line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub line: u32,
}

/// One paragraph (stanza, record).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paragraph {
    pub fields: Vec<Field>,
    /// The first line that is neither a field nor a continuation (the paragraph's fields are
    /// still read; the caller decides whether to trust them).
    pub malformed: Option<u32>,
}

impl Paragraph {
    /// The field named exactly `name` (apk's one-letter fields are case-sensitive).
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field named `name`, ignoring ASCII case (deb822 field names are case-insensitive).
    pub fn field_ignore_case(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The value of the deb822 field `name` (case-insensitive), when present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.field_ignore_case(name)
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The 1-based line the paragraph starts at.
    pub fn line(&self) -> u32 {
        self.fields
            .first()
            .map(|f| f.line)
            .into_iter()
            .chain(self.malformed)
            .min()
            .unwrap_or(0)
    }
}

/// The paragraphs of `reader`, in order. An item is an error only when the file cannot be read
/// on (an I/O error, a line or paragraph over the bounds); iteration ends after it.
pub fn paragraphs<R: BufRead>(reader: R) -> Paragraphs<R> {
    Paragraphs {
        reader,
        line: 0,
        buf: Vec::new(),
        done: false,
    }
}

/// Iterator returned by [`paragraphs`].
pub struct Paragraphs<R> {
    reader: R,
    line: u32,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Paragraphs<R> {
    /// Reads the next line into `self.buf` without its line ending; `Ok(false)` at the end.
    fn next_line(&mut self) -> Result<bool, String> {
        self.buf.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| format!("cannot read after line {}: {}", self.line, e.kind()))?;
        if n == 0 {
            return Ok(false);
        }
        self.line = self.line.saturating_add(1);
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        } else if self.buf.len() > MAX_LINE {
            return Err(format!(
                "line {} is longer than {} KiB",
                self.line,
                MAX_LINE / 1024
            ));
        }
        Ok(true)
    }
}

impl<R: BufRead> Iterator for Paragraphs<R> {
    type Item = Result<Paragraph, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut para = Paragraph::default();
        let mut size = 0usize;
        loop {
            match self.next_line() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            let text = String::from_utf8_lossy(&self.buf);
            if text.trim().is_empty() {
                if para.fields.is_empty() && para.malformed.is_none() {
                    continue;
                }
                break;
            }
            size += text.len();
            if size > MAX_PARAGRAPH {
                self.done = true;
                return Some(Err(format!(
                    "line {}: record larger than {} MiB",
                    self.line,
                    MAX_PARAGRAPH >> 20
                )));
            }
            if text.starts_with([' ', '\t']) {
                match para.fields.last_mut() {
                    Some(last) => {
                        last.value.push('\n');
                        last.value.push_str(text.trim());
                    }
                    None => {
                        para.malformed.get_or_insert(self.line);
                    }
                }
                continue;
            }
            if text.starts_with('#') {
                // A comment (deb822 allows them outside dpkg's own databases).
                continue;
            }
            match text.split_once(':') {
                Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                    para.fields.push(Field {
                        name: name.to_string(),
                        value: value.trim().to_string(),
                        line: self.line,
                    });
                }
                _ => {
                    para.malformed.get_or_insert(self.line);
                }
            }
        }
        if para.fields.is_empty() && para.malformed.is_none() {
            None
        } else {
            Some(Ok(para))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Paragraph> {
        paragraphs(text.as_bytes()).map(|p| p.unwrap()).collect()
    }

    #[test]
    fn fields_continuations_and_lines() {
        let ps = parse("\n\nPackage: a\nDescription: x\n more\n\t.\n\nPackage: b\r\nVersion: 1\n");
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].get("package"), Some("a"));
        assert_eq!(ps[0].get("Description"), Some("x\nmore\n."));
        assert_eq!(ps[0].line(), 3);
        assert_eq!(ps[1].get("Package"), Some("b"));
        assert_eq!(ps[1].field("Version").unwrap().line, 9);
    }

    #[test]
    fn malformed_lines_are_marked_not_fatal() {
        let ps = parse(" orphan\nPackage: a\nno colon here\n");
        assert_eq!(ps[0].malformed, Some(1));
        assert_eq!(ps[0].get("Package"), Some("a"));
        assert_eq!(ps[0].line(), 1);
    }

    #[test]
    fn an_overlong_line_is_an_error_without_content() {
        let text = format!("Package: {}", "x".repeat(MAX_LINE + 10));
        let errs: Vec<_> = paragraphs(text.as_bytes()).collect();
        let e = errs[0].as_ref().unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        assert!(!e.contains("xxx"), "{e}");
    }
}
