//! Rust binaries built with `cargo auditable`: the dependency tree embedded in a `.dep-v0`
//! section as zlib-compressed JSON (`{"packages":[{"name","version","source","kind",
//! "dependencies","root"}]}`), decoded and validated with rust-secure-code's `auditable-serde`.
//!
//! Why not `auditable-info`: it needs the whole binary in memory to find the section through
//! the section table, which ELF keeps at the end of the file; here the binary is a forward-only
//! stream. So the stream is read once, in chunks, and the section is recognised by its content
//! instead: a zlib header (`0x78`, checksum valid, no preset dictionary) whose first inflated
//! bytes are the format's opening `{"packages":` (or `{"format":`). Candidates cost a 16-byte
//! trial inflate each; the one that matches is inflated from the stream, bounded to 8 MiB of
//! JSON. Only ELF, Mach-O and PE files are read; anything else costs one small read.
//!
//! Packages: every package of the tree (runtime and build dependencies, the root crate too),
//! purl `pkg:cargo/<name>@<version>`. Ecosystem `crates.io` for crates from crates.io; crates
//! from a path, git or another registry have an empty ecosystem: no OSV ecosystem names them,
//! and matching them against crates.io advisories by name would be wrong.

use super::exec::{self, Forward};
use crate::{Evidence, FileRef, Location, Package};
use auditable_serde::{Source, VersionInfo};
use flate2::{Decompress, FlushDecompress};
use std::io::{self, Read};

/// Binaries larger than this are not read.
pub const MAX_SIZE: u64 = 1 << 30;
/// The bound on the inflated JSON (`auditable-info`'s default limit is the same).
pub const MAX_JSON: u64 = 8 << 20;

const CHUNK: usize = 256 * 1024;
/// Bytes kept after a candidate when it is tried, so that a zlib header near the end of a chunk
/// is tried with its deflate block header whole (a dynamic Huffman header is under 300 bytes).
const LOOKAHEAD: usize = 4096;
const OPENINGS: [&[u8]; 2] = [b"{\"packages\":", b"{\"format\":"];

/// The cargo-auditable cataloger.
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCataloger;

impl crate::Cataloger for RustCataloger {
    fn name(&self) -> &'static str {
        "rust"
    }

    fn wants(&self, file: &FileRef<'_>) -> bool {
        file.mode & 0o111 != 0 && file.size >= 64 && file.size <= MAX_SIZE
    }

    fn read(&self, file: &FileRef<'_>, content: &mut dyn Read) -> Result<Vec<Evidence>, String> {
        let json = find_json(content)
            .map_err(|e| format!("reading cargo-auditable dependency data: {e}"))?;
        let Some(json) = json else {
            return Ok(Vec::new());
        };
        let info: VersionInfo = serde_json::from_slice(&json).map_err(|e| {
            // serde_json's messages can quote the input: say only where it failed.
            format!(
                "cargo-auditable dependency data is not valid ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
        Ok(packages(&info, file)
            .into_iter()
            .map(Evidence::Package)
            .collect())
    }
}

/// The inflated JSON of the first cargo-auditable stream in the binary, if any.
fn find_json(content: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
    let prefix = exec::read_prefix(content)?;
    if exec::kind(&prefix).is_none() {
        return Ok(None);
    }
    let mut file = Forward::new(&prefix, content);
    let mut trial = Decompress::new(true);
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + LOOKAHEAD);
    let mut eof = false;
    loop {
        let have = buf.len();
        buf.resize(CHUNK + LOOKAHEAD, 0);
        let n = exec::read_full(&mut file, &mut buf[have..])?;
        buf.truncate(have + n);
        eof |= buf.len() < CHUNK + LOOKAHEAD;
        // Candidates are tried only where LOOKAHEAD bytes follow, except at the end.
        let limit = if eof {
            buf.len()
        } else {
            buf.len() - LOOKAHEAD
        };
        for i in memchr::memchr_iter(0x78, &buf[..limit]) {
            let Some(&flg) = buf.get(i + 1) else { break };
            if zlib_header(0x78, flg) && opens_auditable_json(&mut trial, &buf[i..]) {
                return inflate((&buf[i..]).chain(&mut file)).map(Some);
            }
        }
        if eof {
            return Ok(None);
        }
        buf.drain(..limit);
    }
}

/// RFC 1950: deflate with a window of at most 32 KiB, the header checksum, no preset dictionary.
fn zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8
        && cmf >> 4 <= 7
        && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
        && flg & 0x20 == 0
}

/// Whether the zlib stream at the start of `input` inflates to the format's opening bytes.
fn opens_auditable_json(trial: &mut Decompress, input: &[u8]) -> bool {
    trial.reset(true);
    let mut out = [0u8; 16];
    if trial
        .decompress(input, &mut out, FlushDecompress::None)
        .is_err()
    {
        return false;
    }
    let n = (trial.total_out() as usize).min(out.len());
    OPENINGS.iter().any(|o| out[..n].starts_with(o))
}

/// Inflate the whole stream, bounded.
fn inflate(stream: impl Read) -> io::Result<Vec<u8>> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(stream)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                io::Error::new(e.kind(), "the file ends inside it (truncated)")
            }
            _ => io::Error::new(e.kind(), "its zlib stream is corrupt"),
        })?;
    if json.len() as u64 > MAX_JSON {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it inflates to more than {MAX_JSON} bytes"),
        ));
    }
    Ok(json)
}

/// The packages of a dependency tree.
pub fn packages(info: &VersionInfo, file: &FileRef<'_>) -> Vec<Package> {
    info.packages
        .iter()
        .map(|p| {
            let version = p.version.to_string();
            Package {
                ecosystem: match p.source {
                    Source::CratesIo => "crates.io".to_string(),
                    _ => String::new(),
                },
                purl: super::purl::purl("cargo", None, &p.name, &version, &[]),
                name: p.name.clone(),
                version,
                source_name: None,
                source_version: None,
                license: None,
                found_by: "rust".to_string(),
                location: Location {
                    layer: file.layer.map(str::to_string),
                    path: file.path.to_string(),
                    line: None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(7));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// An ELF header, then `body`.
    fn elf(body: &[u8]) -> Vec<u8> {
        let mut f = b"\x7fELF\x02\x01\x01".to_vec();
        f.resize(64, 0);
        f[16] = 2; // ET_EXEC
        f[18] = 62; // x86-64
        f[20] = 1; // EV_CURRENT
        f[52] = 64; // e_ehsize
        f.extend(body);
        f
    }

    #[test]
    fn headers() {
        assert!(zlib_header(0x78, 0x9c));
        assert!(zlib_header(0x78, 0xda));
        assert!(!zlib_header(0x78, 0x9d));
        assert!(!zlib_header(0x78, 0xbb)); // preset dictionary
    }

    #[test]
    fn finds_the_stream_across_chunks_and_bounds_it() {
        let json = br#"{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"}]}"#;
        for pad in [0, 10, CHUNK - 5, CHUNK + LOOKAHEAD - 3, 3 * CHUNK] {
            let mut body = vec![0x78u8; pad]; // many false candidates
            body.extend(zlib(json));
            body.extend([0u8; 100]);
            let found = find_json(&mut &elf(&body)[..]).unwrap();
            assert_eq!(found.as_deref(), Some(&json[..]), "pad {pad}");
        }
        let bomb = [
            b"{\"packages\":[".to_vec(),
            vec![b' '; (MAX_JSON + 10) as usize],
        ]
        .concat();
        assert!(find_json(&mut &elf(&zlib(&bomb))[..]).is_err());
        let full = zlib(json);
        let cut = elf(&full[..full.len() - 8]);
        let err = find_json(&mut &cut[..]).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        assert_eq!(find_json(&mut &elf(&[1, 2, 3])[..]).unwrap(), None);
        assert_eq!(
            find_json(&mut &zlib(json)[..]).unwrap(),
            None,
            "not a binary"
        );
    }
}
