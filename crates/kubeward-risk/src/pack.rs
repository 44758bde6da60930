//! Facts kept packed: each fact encoded into one byte buffer per unit of work, decoded when the
//! graph is built.
//!
//! A scan keeps the facts of every workload until the graph is built, and as Rust values they
//! were most of what the risks add to a scan's memory (100,000 objects: ~1.5 KB and ~20
//! allocations per workload, ~100 MB resident). Packed, a workload takes about 300 bytes in
//! one growing buffer: strings inline, numbers as LEB128 varints, and every [`Location`]'s file
//! and field path as an index into its segment's table (a workload cites ~15 locations, most
//! of them the same few paths).
//!
//! Written by hand rather than with serde and a binary format: the locations are interned
//! into a table the encoder carries, which serde's context-free derives cannot express, and
//! the codec is small. Only this module writes the bytes it reads, so decoding a record can
//! fail only through a bug here; it then yields `None`, never a panic (the record is skipped).

use crate::Map as HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use kubeward_model::{FieldPath, Labels};

use crate::facts::Location;

/// A segment starts over past this many bytes, so that record ends fit in a `u32`.
const SEGMENT_BYTES: usize = 1 << 31;

/// The files and field paths a segment's locations name, each once.
#[derive(Debug, Default)]
struct Table {
    files: Vec<Arc<str>>,
    paths: Vec<FieldPath>,
    path_ids: HashMap<FieldPath, u32>,
}

impl Table {
    fn file_id(&mut self, file: &Arc<str>) -> u32 {
        // A unit of work reads one file, or a few: the last ones are checked first.
        if let Some(i) = self
            .files
            .iter()
            .rposition(|f| Arc::ptr_eq(f, file) || f == file)
        {
            return i as u32;
        }
        self.files.push(file.clone());
        (self.files.len() - 1) as u32
    }

    fn path_id(&mut self, path: &FieldPath) -> u32 {
        if let Some(&i) = self.path_ids.get(path) {
            return i;
        }
        let i = self.paths.len() as u32;
        self.paths.push(path.clone());
        self.path_ids.insert(path.clone(), i);
        i
    }
}

/// Encodes into a segment.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    table: &'a mut Table,
}

impl Writer<'_> {
    pub fn u64(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    pub fn i64(&mut self, v: i64) {
        // Zigzag: small negative numbers stay small.
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn bool(&mut self, v: bool) {
        self.out.push(u8::from(v));
    }

    /// One of a few values as its index in `all` (the first one for a value not there).
    pub fn variant<T: PartialEq>(&mut self, v: &T, all: &[T]) {
        self.u64(all.iter().position(|x| x == v).unwrap_or(0) as u64);
    }

    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    pub fn location(&mut self, at: &Location) {
        let file = self.table.file_id(&at.file);
        let path = self.table.path_id(&at.path);
        self.u64(u64::from(file));
        self.u64(u64::from(at.line));
        self.u64(u64::from(at.column));
        self.u64(u64::from(path));
    }

    pub fn file(&mut self, file: &Arc<str>) {
        let id = self.table.file_id(file);
        self.u64(u64::from(id));
    }

    pub fn path(&mut self, path: &FieldPath) {
        let id = self.table.path_id(path);
        self.u64(u64::from(id));
    }

    pub fn put<T: Pack>(&mut self, v: &T) {
        v.pack(self);
    }
}

/// Decodes a record of a segment.
pub struct Reader<'a> {
    bytes: &'a [u8],
    table: &'a Table,
}

impl Reader<'_> {
    pub fn u64(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.bytes.split_first()?;
            self.bytes = rest;
            v |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    pub fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    pub fn i64(&mut self) -> Option<i64> {
        let z = self.u64()?;
        Some(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    pub fn bool(&mut self) -> Option<bool> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b != 0)
    }

    /// A value written by [`Writer::variant`] with the same `all`.
    pub fn variant<T: Copy>(&mut self, all: &[T]) -> Option<T> {
        all.get(usize::try_from(self.u64()?).ok()?).copied()
    }

    pub fn str(&mut self) -> Option<&str> {
        let n = usize::try_from(self.u64()?).ok()?;
        if n > self.bytes.len() {
            return None;
        }
        let (s, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        std::str::from_utf8(s).ok()
    }

    pub fn boxed(&mut self) -> Option<Box<str>> {
        self.str().map(Box::from)
    }

    pub fn location(&mut self) -> Option<Location> {
        let file = self.table.files.get(self.u32()? as usize)?.clone();
        let line = self.u32()?;
        let column = self.u32()?;
        let path = self.table.paths.get(self.u32()? as usize)?.clone();
        Some(Location {
            file,
            line,
            column,
            path,
        })
    }

    pub fn file(&mut self) -> Option<Arc<str>> {
        self.table.files.get(self.u32()? as usize).cloned()
    }

    pub fn path(&mut self) -> Option<FieldPath> {
        self.table.paths.get(self.u32()? as usize).cloned()
    }

    pub fn get<T: Pack>(&mut self) -> Option<T> {
        T::unpack(self)
    }
}

/// A value that packs into a segment and back.
pub trait Pack: Sized {
    fn pack(&self, w: &mut Writer<'_>);
    fn unpack(r: &mut Reader<'_>) -> Option<Self>;
}

impl Pack for Box<str> {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(self);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        r.boxed()
    }
}

impl Pack for String {
    fn pack(&self, w: &mut Writer<'_>) {
        w.str(self);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        r.str().map(str::to_string)
    }
}

impl Pack for FieldPath {
    fn pack(&self, w: &mut Writer<'_>) {
        w.path(self);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        r.path()
    }
}

impl<T: Pack> Pack for Vec<T> {
    fn pack(&self, w: &mut Writer<'_>) {
        w.u64(self.len() as u64);
        for v in self {
            v.pack(w);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        let n = usize::try_from(r.u64()?).ok()?;
        // Every item takes at least a byte: a bad count cannot reserve more than the record.
        let mut v = Vec::with_capacity(n.min(r.bytes.len()));
        for _ in 0..n {
            v.push(T::unpack(r)?);
        }
        Some(v)
    }
}

impl<A: Pack, B: Pack, C: Pack> Pack for (A, B, C) {
    fn pack(&self, w: &mut Writer<'_>) {
        self.0.pack(w);
        self.1.pack(w);
        self.2.pack(w);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some((A::unpack(r)?, B::unpack(r)?, C::unpack(r)?))
    }
}

impl Pack for i64 {
    fn pack(&self, w: &mut Writer<'_>) {
        w.i64(*self);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        r.i64()
    }
}

impl Pack for bool {
    fn pack(&self, w: &mut Writer<'_>) {
        w.bool(*self);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        r.bool()
    }
}

impl Pack for Location {
    fn pack(&self, w: &mut Writer<'_>) {
        w.location(self);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        r.location()
    }
}

impl<T: Pack> Pack for Option<T> {
    fn pack(&self, w: &mut Writer<'_>) {
        match self {
            None => w.bool(false),
            Some(v) => {
                w.bool(true);
                v.pack(w);
            }
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(if r.bool()? { Some(T::unpack(r)?) } else { None })
    }
}

impl<A: Pack, B: Pack> Pack for (A, B) {
    fn pack(&self, w: &mut Writer<'_>) {
        self.0.pack(w);
        self.1.pack(w);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some((A::unpack(r)?, B::unpack(r)?))
    }
}

impl<T: Pack> Pack for Box<[T]> {
    fn pack(&self, w: &mut Writer<'_>) {
        w.u64(self.len() as u64);
        for v in self.iter() {
            v.pack(w);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Vec::unpack(r).map(Vec::into_boxed_slice)
    }
}

impl Pack for Labels {
    fn pack(&self, w: &mut Writer<'_>) {
        w.u64(self.len() as u64);
        for (k, v) in self.iter() {
            w.str(k);
            w.str(v);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        let n = usize::try_from(r.u64()?).ok()?;
        let mut pairs = Vec::with_capacity(n.min(r.bytes.len()));
        for _ in 0..n {
            pairs.push((r.boxed()?, r.boxed()?));
        }
        Some(pairs.into_iter().collect())
    }
}

/// One buffer of records, with the table their locations index.
#[derive(Debug, Default)]
struct Segment {
    bytes: Vec<u8>,
    /// Where each record ends in `bytes`.
    ends: Vec<u32>,
    table: Table,
    /// Appended from another list: complete, trimmed to size and without the index that
    /// only writing needs; records pushed later go to a new segment.
    sealed: bool,
}

impl Segment {
    /// Give back what only writing needed: the spare capacity of the buffers (a quarter of
    /// them on average, as they grow by doubling) and the index of the path table.
    fn seal(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.table.files.shrink_to_fit();
        self.table.paths.shrink_to_fit();
        self.table.path_ids = HashMap::default();
        self.sealed = true;
    }
}

impl Segment {
    fn record(&self, i: usize) -> Option<&[u8]> {
        let start = match i {
            0 => 0,
            _ => *self.ends.get(i - 1)? as usize,
        };
        let end = *self.ends.get(i)? as usize;
        self.bytes.get(start..end)
    }
}

/// A list of `T` kept packed: [`Packed::push`] encodes, [`Packed::iter`] and [`Packed::get`]
/// decode. Appending another list ([`Packed::append`]) moves its segments over as they are.
#[derive(Debug)]
pub struct Packed<T> {
    segments: Vec<Segment>,
    len: usize,
    _of: PhantomData<fn() -> T>,
}

impl<T> Default for Packed<T> {
    fn default() -> Self {
        Packed {
            segments: Vec::new(),
            len: 0,
            _of: PhantomData,
        }
    }
}

impl<T: Pack> Packed<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: &T) {
        if self
            .segments
            .last()
            .is_none_or(|s| s.sealed || s.bytes.len() >= SEGMENT_BYTES)
        {
            self.segments.push(Segment::default());
        }
        let Some(s) = self.segments.last_mut() else {
            return;
        };
        let start = s.bytes.len();
        v.pack(&mut Writer {
            out: &mut s.bytes,
            table: &mut s.table,
        });
        match u32::try_from(s.bytes.len()) {
            Ok(end) => {
                s.ends.push(end);
                self.len += 1;
            }
            // A record of over 2 GiB: past what any input's limits let through; not kept.
            Err(_) => s.bytes.truncate(start),
        }
    }

    /// Move `other`'s records after these (its segments as they are, sealed: see
    /// [`Segment::seal`]).
    pub fn append(&mut self, other: Packed<T>) {
        self.len += other.len;
        self.segments.extend(
            other
                .segments
                .into_iter()
                .filter(|s| !s.ends.is_empty())
                .map(|mut s| {
                    s.seal();
                    s
                }),
        );
    }

    /// Keep the first `n` records.
    pub fn truncate(&mut self, n: usize) {
        let mut kept = 0;
        let mut keep_segments = 0;
        for s in &mut self.segments {
            if kept >= n {
                break;
            }
            let take = (n - kept).min(s.ends.len());
            s.ends.truncate(take);
            let end = s.ends.last().map_or(0, |&e| e as usize);
            s.bytes.truncate(end);
            kept += take;
            keep_segments += 1;
        }
        self.segments.truncate(keep_segments);
        self.len = kept;
    }

    /// The records, decoded one at a time.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.segments.iter().flat_map(|s| {
            (0..s.ends.len()).filter_map(move |i| {
                T::unpack(&mut Reader {
                    bytes: s.record(i)?,
                    table: &s.table,
                })
            })
        })
    }

    /// Record `i`, decoded.
    pub fn get(&self, mut i: usize) -> Option<T> {
        for s in &self.segments {
            if i < s.ends.len() {
                return T::unpack(&mut Reader {
                    bytes: s.record(i)?,
                    table: &s.table,
                });
            }
            i -= s.ends.len();
        }
        None
    }

    /// The records in order, each decoded as it is taken and its bytes freed segment by
    /// segment.
    pub fn into_iter_decoded(self) -> impl Iterator<Item = T> {
        self.segments.into_iter().flat_map(|s| {
            let items: Vec<T> = (0..s.ends.len())
                .filter_map(|i| {
                    T::unpack(&mut Reader {
                        bytes: s.record(i)?,
                        table: &s.table,
                    })
                })
                .collect();
            items
        })
    }

    /// Bytes held (buffers only), for the benchmarks.
    pub fn packed_bytes(&self) -> usize {
        self.segments.iter().map(|s| s.bytes.capacity()).sum()
    }
}

impl<T: Pack> FromIterator<T> for Packed<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut p = Packed::default();
        for v in items {
            p.push(&v);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn loc(file: &str, line: u32, column: u32, path: &str) -> Location {
        Location {
            file: Arc::from(file),
            line,
            column,
            path: FieldPath::from_keys(&path.split('.').collect::<Vec<_>>()),
        }
    }

    type Rec = (
        Box<str>,
        (i64, (Option<Location>, (Labels, Box<[(bool, Box<str>)]>))),
    );

    fn rec() -> impl Strategy<Value = Rec> {
        (
            ".*",
            any::<i64>(),
            proptest::option::of((
                0u32..3,
                any::<u32>(),
                any::<u32>(),
                "[a-z]{1,3}(\\.[a-z]{1,3}){0,3}",
            )),
            proptest::collection::vec(("[a-z/.]{0,8}", ".{0,8}"), 0..4),
            proptest::collection::vec((any::<bool>(), ".{0,6}"), 0..4),
        )
            .prop_map(|(s, n, l, labels, list)| {
                let at = l.map(|(f, line, col, p)| loc(&format!("f{f}.yaml"), line, col, &p));
                let labels: Labels = labels.into_iter().collect();
                let list: Box<[(bool, Box<str>)]> =
                    list.into_iter().map(|(b, s)| (b, s.into())).collect();
                (s.into(), (n, (at, (labels, list))))
            })
    }

    proptest! {
        /// What goes in comes out, in order, whatever the values and however the list was
        /// split into segments (appends) and cut back (truncates).
        #[test]
        fn round_trip(recs in proptest::collection::vec(rec(), 0..40), split in 0usize..40, cut in 0usize..50) {
            let split = split.min(recs.len());
            let mut a: Packed<Rec> = recs[..split].iter().cloned().collect();
            let b: Packed<Rec> = recs[split..].iter().cloned().collect();
            a.append(b);
            prop_assert_eq!(a.len(), recs.len());
            let back: Vec<Rec> = a.iter().collect();
            prop_assert_eq!(&back, &recs);
            for (i, r) in recs.iter().enumerate() {
                prop_assert_eq!(a.get(i), Some(r.clone()));
            }
            prop_assert!(a.get(recs.len()).is_none());
            a.truncate(cut);
            let n = cut.min(recs.len());
            prop_assert_eq!(a.len(), n);
            let back: Vec<Rec> = a.into_iter_decoded().collect();
            prop_assert_eq!(&back[..], &recs[..n]);
        }
    }

    #[test]
    fn a_damaged_record_is_skipped_not_a_panic() {
        let mut p: Packed<Box<[Box<str>]>> = Packed::default();
        p.push(&vec![Box::from("a"), Box::from("b")].into_boxed_slice());
        p.push(&vec![Box::from("c")].into_boxed_slice());
        // Claim a million strings in the first record.
        p.segments[0].bytes[0] = 0xff;
        let back: Vec<_> = p.iter().collect();
        assert_eq!(back, vec![vec![Box::from("c")].into_boxed_slice()]);
        assert!(p.get(0).is_none());
    }
}
