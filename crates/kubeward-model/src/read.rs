//! Reading every object of a text outside the engine (`kubeward rbac`, `kubeward netpol`, the
//! risk graph's tests and fuzzing), with the engine's isolation: each document is parsed and
//! read on its own, so a broken one, or a bug while reading one, loses nothing else.

use kubeward_yaml::{parse_chunk, Chunk, Limits, Pos, Problem};

use crate::{objects_in, Item, Object};

/// What [`read_chunks`] feeds: the objects, and a way to forget what a failed document added.
pub trait Reader {
    /// How much has been read so far, to go back to.
    type Mark;
    fn mark(&self) -> Self::Mark;
    /// Forget everything read since `mark`.
    fn reset(&mut self, mark: Self::Mark);
    /// Read one object; its field problems go to `problems`, located.
    fn object(&mut self, o: &Object<'_>, problems: &mut Vec<Problem>);
}

/// Every object of `chunks` (cut from `text` by `kubeward_yaml::split_documents`) given to
/// `reader`, a document at a time; returns the problems (parse errors, List items that cannot
/// be objects, the reader's own), located. A document whose reading panics (a bug) is taken
/// back and becomes one problem at its first line.
pub fn read_chunks(
    reader: &mut impl Reader,
    text: &[u8],
    chunks: &[Chunk],
    limits: &Limits,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for &chunk in chunks {
        let (mark, m) = (reader.mark(), problems.len());
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let parsed = parse_chunk(text, chunk, limits);
            for doc in &parsed.documents {
                for item in objects_in(doc) {
                    match item {
                        Item::Object(o) => reader.object(&o, &mut problems),
                        Item::Invalid(p) => problems.push(p),
                        Item::NotAnObject { .. } => {}
                    }
                }
            }
            problems.extend(parsed.error);
        }));
        if read.is_err() {
            reader.reset(mark);
            problems.truncate(m);
            problems.push(Problem {
                pos: Pos {
                    line: chunk.first_line,
                    column: 1,
                },
                message:
                    "internal error while reading this document; it was skipped (please report it)"
                        .to_string(),
            });
        }
    }
    problems
}
