//! The rpm header format (the `blob` of each row of rpm's `Packages` table): a count of index
//! entries and the data size (big-endian `u32`s), the index (16 bytes an entry: tag, type,
//! offset, count), then the data store. Only the tags a package needs are read.
//!
//! Hand-written: the Rust rpm crates (`rpm`) read whole `.rpm` files (lead, signature,
//! payload), not a bare header from a database. Every offset is checked against the data
//! store, counts and sizes are bounded as rpm's own `hdrchk` bounds them, and a string must end
//! inside the store: a corrupt or hostile header is an error, never a panic or a huge
//! allocation.

/// rpm's limits for a header (lib/header.c: `HEADER_TAGS_MAX`, `HEADER_DATA_MAX`).
const MAX_TAGS: usize = 0xffff;
const MAX_DATA: usize = 0x0fff_ffff;

const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_LICENSE: i32 = 1014;
const TAG_ARCH: i32 = 1022;
const TAG_SOURCERPM: i32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// What a package needs from its header. Strings are empty when the tag is absent (`ARCH`,
/// `SOURCERPM` and `LICENSE` may be).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: String,
    pub source_rpm: String,
    pub license: String,
}

/// Parses a header blob (without the 8-byte header magic, as rpm stores it in its database).
pub fn parse(blob: &[u8]) -> Result<RpmHeader, String> {
    let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
    let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
    if il == 0 || il > MAX_TAGS {
        return Err(format!(
            "header has {il} index entries (1 to {MAX_TAGS} allowed)"
        ));
    }
    if dl > MAX_DATA {
        return Err(format!("header data of {dl} bytes is over rpm's limit"));
    }
    let data_start = 8 + il * 16;
    let data = blob
        .get(data_start..data_start + dl)
        .ok_or("header truncated: its index or data goes past the record")?;
    let mut h = RpmHeader::default();
    for i in 0..il {
        let e = &blob[8 + i * 16..8 + (i + 1) * 16];
        let tag = be32(e, 0).unwrap_or(0) as i32;
        let ty = be32(e, 4).unwrap_or(0);
        let offset = be32(e, 8).unwrap_or(0) as usize;
        let count = be32(e, 12).unwrap_or(0);
        let slot = match tag {
            TAG_NAME => &mut h.name,
            TAG_VERSION => &mut h.version,
            TAG_RELEASE => &mut h.release,
            TAG_ARCH => &mut h.arch,
            TAG_SOURCERPM => &mut h.source_rpm,
            TAG_LICENSE => &mut h.license,
            TAG_EPOCH => {
                if ty != TYPE_INT32 || count == 0 {
                    return Err(format!("tag {tag} is not an INT32"));
                }
                h.epoch = Some(be32(data, offset).ok_or_else(|| past_data(tag))?);
                continue;
            }
            _ => continue,
        };
        if !matches!(ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) || count == 0 {
            return Err(format!("tag {tag} is not a string"));
        }
        *slot = string_at(data, offset).ok_or_else(|| past_data(tag))?;
    }
    if h.name.is_empty() || h.version.is_empty() || h.release.is_empty() {
        return Err("header without NAME, VERSION or RELEASE".to_string());
    }
    Ok(h)
}

fn past_data(tag: i32) -> String {
    format!("tag {tag} points past the header data")
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// The NUL-terminated string at `offset` (the first of an array or of the i18n table).
fn string_at(data: &[u8], offset: usize) -> Option<String> {
    let rest = data.get(offset..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Builds a header blob from `(tag, type, value)` entries (strings and INT32s), for tests of
/// this parser and of the rpm cataloger.
#[doc(hidden)]
pub fn build(entries: &[(i32, u32, &[u8])]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, ty, value) in entries {
        if *ty == TYPE_INT32 {
            while data.len() % 4 != 0 {
                data.push(0);
            }
        }
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&ty.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(value);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    blob.extend_from_slice(&index);
    blob.extend_from_slice(&data);
    blob
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        build(&[
            (TAG_NAME, TYPE_STRING, b"bash\0"),
            (TAG_VERSION, TYPE_STRING, b"5.1.8\0"),
            (TAG_RELEASE, TYPE_STRING, b"6.el9\0"),
            (TAG_EPOCH, TYPE_INT32, &2u32.to_be_bytes()),
            (TAG_LICENSE, TYPE_STRING, b"GPL-3.0-or-later\0"),
            (TAG_ARCH, TYPE_STRING, b"x86_64\0"),
            (TAG_SOURCERPM, TYPE_STRING, b"bash-5.1.8-6.el9.src.rpm\0"),
        ])
    }

    #[test]
    fn reads_the_tags() {
        let h = parse(&sample()).unwrap();
        assert_eq!(h.name, "bash");
        assert_eq!(h.epoch, Some(2));
        assert_eq!(h.source_rpm, "bash-5.1.8-6.el9.src.rpm");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let blob = sample();
        for n in 0..blob.len() {
            assert!(parse(&blob[..n]).is_err(), "prefix of {n} bytes");
        }
        let mut huge = blob.clone();
        huge[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&huge).is_err());
        let mut bad_offset = blob;
        bad_offset[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&bad_offset).is_err());
    }
}
