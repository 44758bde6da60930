//! Executables (ELF, Mach-O, PE) recognised from their first bytes, and a forward-only reader
//! that can skip to a file offset.
//!
//! The Go and Rust catalogers are called for every executable file of an image, shell scripts
//! included; [`read_prefix`] + [`kind`] reject a non-binary after one small read. Every header
//! these formats need to say where their data lives (ELF program headers, Mach-O load commands,
//! the PE section table) sits at the start of the file, so [`data_ranges`] reads them from the
//! prefix with the `object` crate's low-level API (no whole-file parse) and the caller then
//! streams forward to the ranges it wants.

use object::read::elf::{FileHeader, ProgramHeader};
use object::read::macho::{MachHeader, Section as _, Segment as _};
use object::read::pe::ImageNtHeaders;
use object::{elf, macho, pe, FileKind};
use std::io::{self, Read};

/// How much of the start of a binary is read to parse its headers. Program headers, load
/// commands and section tables of real binaries fit in a few KiB.
pub(crate) const PREFIX: u64 = 64 * 1024;

/// The executable formats the binary catalogers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Elf32,
    Elf64,
    MachO32,
    MachO64,
    Pe32,
    Pe64,
}

/// The format of a binary from its first bytes, or `None` (a script, a fat Mach-O, a COFF
/// object, anything else).
pub(crate) fn kind(prefix: &[u8]) -> Option<Kind> {
    Some(match FileKind::parse(prefix).ok()? {
        FileKind::Elf32 => Kind::Elf32,
        FileKind::Elf64 => Kind::Elf64,
        FileKind::MachO32 => Kind::MachO32,
        FileKind::MachO64 => Kind::MachO64,
        FileKind::Pe32 => Kind::Pe32,
        FileKind::Pe64 => Kind::Pe64,
        _ => return None,
    })
}

/// A range of the file and the virtual address it is loaded at (alignment is in memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    pub offset: u64,
    pub size: u64,
    pub addr: u64,
}

/// The file ranges of a binary's writable, initialised data, sorted by offset: ELF `PT_LOAD`
/// segments that are writable and not executable; Mach-O sections named `section` (Go's
/// `__go_buildinfo`) or else writable segments; PE sections of initialised, writable data.
/// `None` when the headers do not parse from `prefix`.
pub(crate) fn data_ranges(prefix: &[u8], macho_section: &[u8]) -> Option<Vec<Range>> {
    let mut ranges = match kind(prefix)? {
        Kind::Elf32 => elf_ranges::<elf::FileHeader32<object::Endianness>>(prefix)?,
        Kind::Elf64 => elf_ranges::<elf::FileHeader64<object::Endianness>>(prefix)?,
        Kind::MachO32 => {
            macho_ranges::<macho::MachHeader32<object::Endianness>>(prefix, macho_section)?
        }
        Kind::MachO64 => {
            macho_ranges::<macho::MachHeader64<object::Endianness>>(prefix, macho_section)?
        }
        Kind::Pe32 => pe_ranges::<pe::ImageNtHeaders32>(prefix)?,
        Kind::Pe64 => pe_ranges::<pe::ImageNtHeaders64>(prefix)?,
    };
    ranges.retain(|r| r.size > 0);
    ranges.sort_by_key(|r| r.offset);
    Some(ranges)
}

fn elf_ranges<H: FileHeader<Endian = object::Endianness>>(data: &[u8]) -> Option<Vec<Range>> {
    let header = H::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let mut out = Vec::new();
    for p in header.program_headers(endian, data).ok()? {
        let flags = p.p_flags(endian);
        if p.p_type(endian) == elf::PT_LOAD && flags & (elf::PF_W | elf::PF_X) == elf::PF_W {
            out.push(Range {
                offset: p.p_offset(endian).into(),
                size: p.p_filesz(endian).into(),
                addr: p.p_vaddr(endian).into(),
            });
        }
    }
    Some(out)
}

fn macho_ranges<H: MachHeader<Endian = object::Endianness>>(
    data: &[u8],
    wanted: &[u8],
) -> Option<Vec<Range>> {
    let header = H::parse(data, 0).ok()?;
    let endian = header.endian().ok()?;
    let mut commands = header.load_commands(endian, data, 0).ok()?;
    let (mut named, mut writable) = (Vec::new(), Vec::new());
    while let Ok(Some(command)) = commands.next() {
        let Ok(Some((segment, section_data))) = H::Segment::from_command(command) else {
            continue;
        };
        if segment.initprot(endian) & macho::VM_PROT_WRITE != 0 {
            let (offset, size) = segment.file_range(endian);
            let addr = segment.vmaddr(endian).into();
            writable.push(Range { offset, size, addr });
        }
        for section in segment.sections(endian, section_data).ok()? {
            if section.name() == wanted {
                if let Some((offset, size)) = section.file_range(endian) {
                    let addr = section.addr(endian).into();
                    named.push(Range { offset, size, addr });
                }
            }
        }
    }
    Some(if named.is_empty() { writable } else { named })
}

fn pe_ranges<Pe: ImageNtHeaders>(data: &[u8]) -> Option<Vec<Range>> {
    let dos = pe::ImageDosHeader::parse(data).ok()?;
    let mut offset = dos.nt_headers_offset().into();
    let (nt, _) = Pe::parse(data, &mut offset).ok()?;
    let sections = nt.sections(data, offset).ok()?;
    let wanted = pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_WRITE;
    Some(
        sections
            .iter()
            .filter(|s| s.characteristics.get(object::LittleEndian) & wanted == wanted)
            .map(|s| Range {
                offset: s.pointer_to_raw_data.get(object::LittleEndian).into(),
                size: s.size_of_raw_data.get(object::LittleEndian).into(),
                addr: s.virtual_address.get(object::LittleEndian).into(),
            })
            .collect(),
    )
}

/// Read up to [`PREFIX`] bytes (fewer at the end of the file).
pub(crate) fn read_prefix(content: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(4096);
    content.take(PREFIX).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// Fill `buf` as far as the stream goes; the count read (less than `buf.len()` only at the end).
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The rest of a file after its prefix, read forward: it knows its offset in the file and can
/// skip (read and drop) to a later one.
pub(crate) struct Forward<'a> {
    prefix: &'a [u8],
    rest: &'a mut dyn Read,
    pos: u64,
}

impl<'a> Forward<'a> {
    pub(crate) fn new(prefix: &'a [u8], rest: &'a mut dyn Read) -> Self {
        Forward {
            prefix,
            rest,
            pos: 0,
        }
    }

    /// The offset of the next byte read.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Skip to `offset`; false if it is behind (a forward reader cannot go back) or past the end.
    pub(crate) fn skip_to(&mut self, offset: u64) -> io::Result<bool> {
        if offset < self.pos {
            return Ok(false);
        }
        let want = offset - self.pos;
        let skipped = io::copy(&mut self.by_ref().take(want), &mut io::sink())?;
        Ok(skipped == want)
    }
}

impl Read for Forward<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let at = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let n = if at < self.prefix.len() {
            let n = (self.prefix.len() - at).min(buf.len());
            buf[..n].copy_from_slice(&self.prefix[at..at + n]);
            n
        } else {
            self.rest.read(buf)?
        };
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_reads_prefix_then_rest_and_skips() {
        let prefix = b"0123";
        let mut rest: &[u8] = b"456789";
        let mut f = Forward::new(prefix, &mut rest);
        assert!(f.skip_to(2).unwrap());
        let mut b = [0u8; 4];
        f.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"2345");
        assert_eq!(f.pos(), 6);
        assert!(!f.skip_to(3).unwrap(), "cannot go back");
        assert!(!f.skip_to(100).unwrap(), "past the end");
    }

    #[test]
    fn scripts_and_garbage_are_not_binaries() {
        assert_eq!(kind(b"#!/bin/sh\necho hi\n"), None);
        assert_eq!(kind(&[0u8; 100]), None);
        assert_eq!(kind(b"\x7fELF"), None);
        assert_eq!(data_ranges(b"\x7fELF\x02\x01\x01", b""), None);
    }
}
