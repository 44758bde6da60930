//! Bounded reads: a cataloger never holds more of a file than its format can need.

use std::io::Read;

/// Reads all of `content`, at most `max` bytes. A longer file is an error that names the bound
/// (never the content): a hostile or corrupt file must not exhaust memory.
pub(crate) fn read_bounded(content: &mut dyn Read, max: u64) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    content
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {}", e.kind()))?;
    if buf.len() as u64 > max {
        return Err(format!("larger than {} KiB: not read", max / 1024));
    }
    Ok(buf)
}

/// Formats a 1-based line for messages about one record of a file.
pub(crate) fn at_line(line: u32, message: &str) -> String {
    format!("line {line}: {message}")
}
