//! A guard on an uncompressed tar stream: the `tar` crate reads a GNU long name, long link or
//! PAX extended header whole into memory, whatever its stated size, so one entry of a hostile
//! layer (a gigabyte of `a`, which compresses to a megabyte) would make it allocate that much.
//! This reader follows the tar's headers as the bytes pass and fails the read once such an
//! entry states more than [`MAX_META`] bytes.
//!
//! It only ever refuses that: when it cannot follow the stream (a header whose checksum is
//! wrong, an old GNU sparse entry with extension headers) it stops looking, and the `tar`
//! crate judges the stream as before.

use std::io::{self, Read};

/// The most a long name, long link or PAX header may hold (real ones are a few hundred bytes).
pub const MAX_META: u64 = 1 << 20;

enum State {
    Header {
        buf: Box<[u8; 512]>,
        filled: usize,
    },
    /// The data of an entry (rounded up to the block), kept when it is a PAX header.
    Data {
        remaining: u64,
        pax: Option<Vec<u8>>,
        pax_len: u64,
    },
    Off,
}

pub struct TarGuard<R> {
    inner: R,
    state: State,
    /// The size a PAX header gave the next entry.
    next_size: Option<u64>,
}

impl<R: Read> TarGuard<R> {
    pub fn new(inner: R) -> Self {
        TarGuard {
            inner,
            state: State::Header {
                buf: Box::new([0; 512]),
                filled: 0,
            },
            next_size: None,
        }
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // base-256
        let mut v: u64 = (field[0] & 0x7f) as u64;
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(b as u64)?;
        }
        return Some(v);
    }
    let s = std::str::from_utf8(field).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn checksum_ok(h: &[u8; 512]) -> bool {
    let Some(want) = octal(&h[148..156]) else {
        return false;
    };
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                b' ' as u64
            } else {
                b as u64
            }
        })
        .sum();
    sum == want
}

/// The `size` record of a PAX header, if any.
fn pax_size(data: &[u8]) -> Option<u64> {
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return None;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(v) = record.strip_prefix(b"size=") {
            return std::str::from_utf8(v).ok()?.parse().ok();
        }
        rest = &rest[len..];
    }
    None
}

impl<R> TarGuard<R> {
    fn feed(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Off => return Ok(()),
                State::Header { buf, filled } => {
                    let k = (512 - *filled).min(bytes.len());
                    buf[*filled..*filled + k].copy_from_slice(&bytes[..k]);
                    *filled += k;
                    bytes = &bytes[k..];
                    if *filled < 512 {
                        continue;
                    }
                    *filled = 0;
                    if buf.iter().all(|&b| b == 0) {
                        continue; // an end-of-archive block
                    }
                    if !checksum_ok(buf) {
                        self.state = State::Off;
                        return Ok(());
                    }
                    let kind = buf[156];
                    let Some(stated) = octal(&buf[124..136]) else {
                        self.state = State::Off;
                        return Ok(());
                    };
                    if matches!(kind, b'L' | b'K' | b'x') && stated > MAX_META {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "a tar {} entry of {stated} bytes (more than {MAX_META})",
                                match kind {
                                    b'L' => "long name",
                                    b'K' => "long link",
                                    _ => "PAX header",
                                }
                            ),
                        ));
                    }
                    if kind == b'S' && buf[482] != 0 {
                        self.state = State::Off; // old GNU sparse with extension headers
                        return Ok(());
                    }
                    let size = if matches!(kind, b'L' | b'K' | b'x' | b'g') {
                        stated
                    } else {
                        self.next_size.take().unwrap_or(stated)
                    };
                    if kind != b'x' && kind != b'L' && kind != b'K' {
                        self.next_size = None;
                    }
                    let remaining = size.div_ceil(512).saturating_mul(512);
                    self.state = State::Data {
                        remaining,
                        pax: (kind == b'x').then(Vec::new),
                        pax_len: if kind == b'x' { size } else { 0 },
                    };
                    self.finish_data_if_empty();
                }
                State::Data {
                    remaining,
                    pax,
                    pax_len,
                } => {
                    let k = (*remaining).min(bytes.len() as u64) as usize;
                    if let Some(p) = pax {
                        let want = (*pax_len as usize).saturating_sub(p.len()).min(k);
                        p.extend_from_slice(&bytes[..want]);
                    }
                    *remaining -= k as u64;
                    bytes = &bytes[k..];
                    self.finish_data_if_empty();
                }
            }
        }
        Ok(())
    }

    fn finish_data_if_empty(&mut self) {
        if let State::Data {
            remaining: 0, pax, ..
        } = &mut self.state
        {
            if let Some(p) = pax.take() {
                if let Some(s) = pax_size(&p) {
                    self.next_size = Some(s);
                }
            }
            self.state = State::Header {
                buf: Box::new([0; 512]),
                filled: 0,
            };
        }
    }
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.feed(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(long: usize, pax_big: bool) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        // A long path (GNU long name entry) and a PAX header with a size record.
        let name = format!("{}/f", "d".repeat(long));
        b.append_data(&mut h, &name, &b"abc"[..]).unwrap();
        if pax_big {
            let mut p = tar::Header::new_ustar();
            p.set_entry_type(tar::EntryType::XHeader);
            p.set_size(MAX_META + 1);
            p.set_cksum();
            b.append(&p, io::repeat(b'a').take(MAX_META + 1)).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        b.append_data(&mut h, "after", &b"hello"[..]).unwrap();
        b.into_inner().unwrap()
    }

    fn names(data: Vec<u8>) -> io::Result<Vec<String>> {
        let mut ar = tar::Archive::new(TarGuard::new(&data[..]));
        let mut out = Vec::new();
        for e in ar.entries()? {
            let mut e = e?;
            let mut s = Vec::new();
            e.read_to_end(&mut s)?;
            out.push(format!(
                "{}={}",
                e.path()?.display().to_string().len(),
                String::from_utf8_lossy(&s)
            ));
        }
        Ok(out)
    }

    #[test]
    fn follows_real_tars_and_refuses_huge_meta() {
        assert_eq!(names(tar_with(300, false)).unwrap(), ["302=abc", "5=hello"]);
        assert!(names(tar_with(300, true))
            .unwrap_err()
            .to_string()
            .contains("PAX header"));
        // The tar crate's own PAX writer (sizes over 8 GiB aside, a path record).
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("path", &b"pax/named/file"[..]), ("size", &b"4"[..])])
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(4);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &b"data"[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        b.append_data(&mut h, "next", &b"ok"[..]).unwrap();
        assert_eq!(names(b.into_inner().unwrap()).unwrap(), ["14=data", "4=ok"]);
    }
}
