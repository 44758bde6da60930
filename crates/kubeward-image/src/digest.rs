//! Content digests (`sha256:<64 hex>`): parsing (a digest named by an image is untrusted input
//! and becomes a file name) and a reader that verifies what it streams.

use sha2::{Digest as _, Sha256};
use std::io::{self, Read};

/// A validated `sha256:` digest. Only sha256 is accepted: it is what every image tool writes,
/// and a digest we cannot verify is refused rather than trusted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    pub fn parse(s: &str) -> Result<Digest, String> {
        let Some((alg, hex)) = s.split_once(':') else {
            return Err(format!("malformed digest {:?}", short(s)));
        };
        if alg != "sha256" {
            return Err(format!("unsupported digest algorithm {:?}", short(alg)));
        }
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!("malformed digest {:?}", short(s)));
        }
        Ok(Digest(s.to_owned()))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex digits (safe as a file name).
    pub fn hex(&self) -> &str {
        &self.0[7..]
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// At most 80 characters of an untrusted string, for messages.
pub(crate) fn short(s: &str) -> String {
    if s.len() <= 80 {
        s.to_owned()
    } else {
        let mut end = 80;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}

/// Streams `inner`, hashing it; at the end of the stream checks the digest (and the size, when
/// known) and fails the read that would have returned end-of-file when they differ. More bytes
/// than the expected size fail at once, so a blob that does not end is not read forever.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Sha256,
    expected: Digest,
    expected_size: Option<u64>,
    read: u64,
    what: &'static str,
    done: bool,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, expected: Digest, expected_size: Option<u64>, what: &'static str) -> Self {
        VerifyingReader {
            inner,
            hasher: Sha256::new(),
            expected,
            expected_size,
            read: 0,
            what,
            done: false,
        }
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.hasher.update(&buf[..n]);
            self.read += n as u64;
            if let Some(size) = self.expected_size {
                if self.read > size {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is longer than its stated size {size}", self.what),
                    ));
                }
            }
            return Ok(n);
        }
        if let Some(size) = self.expected_size {
            if self.read != size {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{} is truncated: {} of {size} bytes", self.what, self.read),
                ));
            }
        }
        let got = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
        if got != self.expected.as_str() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} digest mismatch: expected {}, got {got}",
                    self.what, self.expected
                ),
            ));
        }
        self.done = true;
        Ok(0)
    }
}

/// Reads all of `r`, at most `limit` bytes (more is an error).
pub(crate) fn read_bounded(r: &mut dyn Read, limit: u64, what: &str) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} is larger than {limit} bytes"),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_refuses_traversal_and_other_algorithms() {
        assert!(Digest::parse("sha256:../../etc/passwd").is_err());
        assert!(Digest::parse("sha512:00").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }

    #[test]
    fn verifying_reader() {
        let d = Digest::of(b"hello");
        let mut ok = VerifyingReader::new(&b"hello"[..], d.clone(), Some(5), "blob");
        let mut v = Vec::new();
        ok.read_to_end(&mut v).unwrap();
        let mut bad = VerifyingReader::new(&b"hellp"[..], d.clone(), None, "blob");
        assert!(bad
            .read_to_end(&mut Vec::new())
            .unwrap_err()
            .to_string()
            .contains("digest mismatch"));
        let mut long = VerifyingReader::new(&b"hello!"[..], d.clone(), Some(5), "blob");
        assert!(long.read_to_end(&mut Vec::new()).is_err());
        let mut trunc = VerifyingReader::new(&b"hell"[..], d, Some(5), "blob");
        assert!(trunc
            .read_to_end(&mut Vec::new())
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }
}
