//! Reading a stream as lines in chunks, in constant memory.
//!
//! Bytes are read into one buffer; the complete lines at its front are handed out together
//! (so they can be parsed in parallel), and an incomplete last line waits for more input. A
//! line longer than the limit is skipped, and reported, without ever being held whole.

use std::io::{self, Read};

/// How much is read at a time.
pub const CHUNK: usize = 4 << 20;

pub struct LineReader {
    buf: Vec<u8>,
    /// Line number (1-based) of `buf[0]`.
    line: u64,
    /// Inside a line that was too long: drop bytes up to its end.
    skipping: bool,
    max_line: usize,
    /// A read error met after some bytes of a fill: those bytes are handed out first, and
    /// the error on the next fill.
    failed: Option<io::Error>,
}

/// What [`LineReader::fill`] found besides data.
#[derive(Debug, PartialEq, Eq)]
pub enum Fill {
    /// This many bytes were read (0: end of input, for now).
    Read(usize),
    /// Data was read, and the unfinished line starting at this line number is longer than
    /// the limit: it is being skipped (report it after taking the complete lines).
    TooLong(u64),
}

impl LineReader {
    pub fn new(max_line: usize) -> Self {
        LineReader {
            buf: Vec::new(),
            line: 1,
            skipping: false,
            max_line: max_line.max(1),
            failed: None,
        }
    }

    /// The line number of the next line handed out.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether bytes of an unfinished line are waiting.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Read once from `r` (up to [`CHUNK`] bytes). A read error (a truncated gzip member, an
    /// I/O error) after some bytes were read keeps those bytes: they are handed out like any
    /// others, and the error comes from the next call, so that every complete line before
    /// the failure is analysed.
    pub fn fill(&mut self, r: &mut dyn Read) -> io::Result<Fill> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let old = self.buf.len();
        // Exactly one chunk of room: Vec's doubling would keep twice that.
        self.buf.reserve_exact(CHUNK);
        // read_to_end through `take` fills spare capacity without zeroing it first; it reads
        // until CHUNK bytes or the end of the input as it is now. On an error, the bytes it
        // read before stay in `buf`.
        let n = match r.take(CHUNK as u64).read_to_end(&mut self.buf) {
            Ok(n) => n,
            Err(e) if self.buf.len() == old => return Err(e),
            Err(e) => {
                self.failed = Some(e);
                self.buf.len() - old
            }
        };
        if self.skipping {
            // Callers take the complete lines between fills, so `buf` holds only new bytes:
            // the rest of the long line, up to its newline.
            match memchr::memchr(b'\n', &self.buf) {
                Some(end) => {
                    self.buf.drain(..=end);
                    self.line += 1;
                    self.skipping = false;
                }
                None => {
                    self.buf.clear();
                    return Ok(Fill::Read(n));
                }
            }
        }
        // The unfinished last line, if already too long, is dropped and skipped to its end;
        // the complete lines before it stay.
        let tail = memchr::memrchr(b'\n', &self.buf).map_or(0, |i| i + 1);
        if self.buf.len() - tail > self.max_line {
            let at = self.line + memchr::memchr_iter(b'\n', &self.buf[..tail]).count() as u64;
            self.buf.truncate(tail);
            self.skipping = true;
            return Ok(Fill::TooLong(at));
        }
        Ok(Fill::Read(n))
    }

    /// The complete lines at the front: `(bytes, first line number)`; consume them with
    /// [`LineReader::consume`].
    pub fn complete(&self) -> (&[u8], u64) {
        let end = memchr::memrchr(b'\n', &self.buf).map_or(0, |i| i + 1);
        (&self.buf[..end], self.line)
    }

    /// Drop the first `bytes` bytes, which held `lines` lines.
    pub fn consume(&mut self, bytes: usize, lines: u64) {
        self.buf.drain(..bytes);
        self.line += lines;
    }

    /// At the end of the input: the unfinished last line, if any, taken out.
    pub fn take_rest(&mut self) -> Option<(Vec<u8>, u64)> {
        if self.skipping {
            self.skipping = false;
            self.line += 1;
            return None;
        }
        if self.buf.is_empty() {
            return None;
        }
        let line = self.line;
        self.line += 1;
        Some((std::mem::take(&mut self.buf), line))
    }
}

/// Split complete lines (each ending in `\n`) into `(start, end)` ranges without the newline.
pub fn line_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(bytes.len() / 512 + 1);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', bytes) {
        out.push((start, nl));
        start = nl + 1;
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per read, to cut lines anywhere.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(self.data.len()).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Every line with its number, and the too-long ones, as the reader hands them out.
    pub(crate) fn read_all(
        data: &[u8],
        step: usize,
        max: usize,
    ) -> (Vec<(u64, Vec<u8>)>, Vec<u64>) {
        let mut r = LineReader::new(max);
        let mut src = Trickle { data, step };
        let mut lines = Vec::new();
        let mut long = Vec::new();
        loop {
            let fill = r.fill(&mut src).unwrap();
            if let Fill::TooLong(at) = fill {
                long.push(at);
            }
            let (bytes, first) = r.complete();
            let ranges = line_ranges(bytes);
            for (i, (s, e)) in ranges.iter().enumerate() {
                lines.push((first + i as u64, bytes[*s..*e].to_vec()));
            }
            let (n, count) = (bytes.len(), ranges.len() as u64);
            r.consume(n, count);
            if fill == Fill::Read(0) {
                break;
            }
        }
        if let Some((rest, at)) = r.take_rest() {
            lines.push((at, rest));
        }
        (lines, long)
    }

    #[test]
    fn lines_and_numbers_survive_any_cut() {
        let data = b"a\nbb\n\nccc\nlast";
        for step in 1..data.len() + 1 {
            let (lines, long) = read_all(data, step, 100);
            assert!(long.is_empty());
            let got: Vec<(u64, &[u8])> = lines.iter().map(|(n, l)| (*n, &l[..])).collect();
            assert_eq!(
                got,
                vec![
                    (1, &b"a"[..]),
                    (2, b"bb"),
                    (3, b""),
                    (4, b"ccc"),
                    (5, b"last")
                ],
                "step {step}"
            );
        }
    }

    /// Hands out each part, then reports the end of the input once (as a followed file does
    /// before it grows), then the next part.
    struct Pauses(Vec<Vec<u8>>, bool);
    impl Read for Pauses {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.1, false) || self.0.is_empty() {
                return Ok(0);
            }
            let part = &mut self.0[0];
            let n = part.len().min(out.len());
            out[..n].copy_from_slice(&part[..n]);
            part.drain(..n);
            if part.is_empty() {
                self.0.remove(0);
                self.1 = true;
            }
            Ok(n)
        }
    }

    #[test]
    fn an_unfinished_line_over_the_limit_is_skipped_to_its_end() {
        let mut first = b"ok\n".to_vec();
        first.extend(std::iter::repeat_n(b'x', 30));
        let mut second = vec![b'x'; 20];
        second.extend(b"\nafter\n");
        let mut src = Pauses(vec![first, vec![b'x'; 5000], second], false);
        let mut r = LineReader::new(10);
        let mut seen = Vec::new();
        let mut long = Vec::new();
        for _ in 0..8 {
            let fill = r.fill(&mut src).unwrap();
            let (bytes, first) = r.complete();
            let ranges = line_ranges(bytes);
            for (i, (s, e)) in ranges.iter().enumerate() {
                seen.push((first + i as u64, bytes[*s..*e].to_vec()));
            }
            let (n, count) = (bytes.len(), ranges.len() as u64);
            r.consume(n, count);
            if let Fill::TooLong(at) = fill {
                long.push(at);
            }
        }
        assert_eq!(long, vec![2]);
        assert_eq!(seen, vec![(1, b"ok".to_vec()), (3, b"after".to_vec())]);
        assert!(r.take_rest().is_none());
    }
}
