//! kubeward-engine: one engine for every front door.
//!
//! Inputs ([`Source`]) are read in batches, cut into documents, parsed and evaluated in
//! parallel (rayon), and handed to a [`Sink`] in input order, a piece at a time, so memory stays
//! bounded by a batch whatever the size of the scan. Bad input never stops a run: it becomes an
//! [`InputError`] with file, line and column, and everything else is still scanned.

mod finding;
mod source;

pub use finding::*;
pub use source::*;

use std::ops::Range;
use std::sync::Arc;

use kubeward_controls::{applies, Context, Control, PssLevel, Settings, Target};
use kubeward_model::{objects_in, shape, Item};
use kubeward_yaml::{parse_chunk, split_documents, Chunk, Limits};
use rayon::prelude::*;

/// Which controls to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    All,
    PssBaseline,
    PssRestricted,
    Nsa,
    Cis,
    Mitre,
}

impl std::str::FromStr for Framework {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Framework::All),
            "pss-baseline" => Ok(Framework::PssBaseline),
            "pss-restricted" => Ok(Framework::PssRestricted),
            "nsa" => Ok(Framework::Nsa),
            "cis" => Ok(Framework::Cis),
            "mitre" => Ok(Framework::Mitre),
            _ => Err(format!(
                "unknown framework {s:?} (expected all, pss-baseline, pss-restricted, nsa, cis or mitre)"
            )),
        }
    }
}

impl Framework {
    pub fn includes(self, c: &dyn Control) -> bool {
        let f = c.meta().frameworks;
        match self {
            Framework::All => true,
            Framework::PssBaseline => f.pss.is_some_and(|p| p.level == PssLevel::Baseline),
            Framework::PssRestricted => f.pss.is_some(),
            Framework::Nsa => !f.nsa.is_empty(),
            Framework::Cis => !f.cis.is_empty(),
            Framework::Mitre => !f.mitre.is_empty(),
        }
    }
}

/// The configured engine.
pub struct Engine {
    controls: Vec<&'static dyn Control>,
    settings: Settings,
    limits: Limits,
}

/// How many documents one unit of parallel work holds; keeps a huge file from being one task.
const WINDOW: usize = 256;
/// How many units are evaluated while the previous ones are written.
const GROUP: usize = 16;
/// How many bytes of input are held at once (a single larger file is read whole).
const BATCH_BYTES: u64 = 32 << 20;

impl Engine {
    pub fn new(controls: Vec<&'static dyn Control>, settings: Settings, limits: Limits) -> Self {
        let controls = controls
            .into_iter()
            .filter(|c| applies(c.meta(), &settings))
            .collect();
        Engine {
            controls,
            settings,
            limits,
        }
    }

    /// The controls that will run (after the PSS version gate).
    pub fn controls(&self) -> &[&'static dyn Control] {
        &self.controls
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Scan every source, handing results to `sink` in input order.
    ///
    /// Sources are read a batch at a time (about [`BATCH_BYTES`]); a batch is cut into units of
    /// [`WINDOW`] documents, evaluated [`GROUP`] units at a time on the rayon pool while this
    /// thread writes the previous group's results, so output never stalls the workers and
    /// memory holds at most two groups of results.
    pub fn scan(&self, sources: &[Source], sink: &mut dyn Sink) -> std::io::Result<Summary> {
        let mut summary = Summary::new(self.controls.len());
        let mut start = 0;
        while start < sources.len() {
            let mut end = start;
            let mut bytes = 0u64;
            while end < sources.len() && (end == start || bytes < BATCH_BYTES) {
                bytes += sources[end].size_hint();
                end += 1;
            }
            let loaded: Vec<Loaded> = sources[start..end].par_iter().map(Loaded::read).collect();
            let units: Vec<(usize, Range<usize>)> = loaded
                .iter()
                .enumerate()
                .flat_map(|(i, l)| {
                    let n = l.chunks.len();
                    (0..n.div_ceil(WINDOW).max(1))
                        .map(move |w| (i, w * WINDOW..((w + 1) * WINDOW).min(n)))
                })
                .collect();
            let evaluate = |group: &[(usize, Range<usize>)]| -> Vec<FileResult> {
                group
                    .par_iter()
                    .map(|(i, range)| {
                        let l = &loaded[*i];
                        let mut r =
                            self.evaluate_chunks(&l.name, &l.text, &l.chunks[range.clone()]);
                        r.first_piece = range.start == 0;
                        if r.first_piece {
                            r.errors.splice(0..0, l.error.iter().cloned());
                        }
                        r
                    })
                    .collect()
            };
            let mut pending: Vec<FileResult> = Vec::new();
            for group in units.chunks(GROUP) {
                let (results, written) = std::thread::scope(|scope| {
                    let worker = scope.spawn(|| evaluate(group));
                    let written = write_all(std::mem::take(&mut pending), &mut summary, sink);
                    (worker.join(), written)
                });
                written?;
                pending = results.map_err(|_| std::io::Error::other("a scan worker failed"))?;
            }
            write_all(pending, &mut summary, sink)?;
            start = end;
        }
        Ok(summary)
    }

    /// Evaluate text that is already in memory (admission requests, tests).
    pub fn scan_text(&self, name: &str, text: &str) -> FileResult {
        let name: Arc<str> = Arc::from(name);
        let chunks = split_documents(text);
        let mut r = self.evaluate_chunks(&name, text, &chunks);
        r.first_piece = true;
        r
    }

    fn evaluate_chunks(&self, file: &Arc<str>, text: &str, chunks: &[Chunk]) -> FileResult {
        let mut out = FileResult::new(file.clone());
        for &chunk in chunks {
            out.bytes += (chunk.end - chunk.start) as u64;
            let parsed = parse_chunk(text, chunk, &self.limits);
            for doc in &parsed.documents {
                out.documents += 1;
                for p in &doc.warnings {
                    out.warnings.push(Warning {
                        file: file.clone(),
                        pos: p.pos,
                        message: p.message.clone(),
                    });
                }
                for item in objects_in(doc) {
                    match item {
                        Item::Object(object) => self.evaluate_object(file, object, &mut out),
                        Item::NotAnObject { pos, reason } => out.warnings.push(Warning {
                            file: file.clone(),
                            pos,
                            message: format!("skipped: {reason}"),
                        }),
                        Item::Invalid(p) => {
                            out.errors.push(InputError::at(file, p.pos, &p.message))
                        }
                    }
                }
            }
            if let Some(p) = parsed.error {
                out.errors.push(InputError::at(file, p.pos, &p.message));
            }
        }
        out
    }

    fn evaluate_object(
        &self,
        file: &Arc<str>,
        object: kubeward_model::Object<'_>,
        out: &mut FileResult,
    ) {
        out.objects += 1;
        let id = Arc::new(object.id());
        for p in shape::validate(&object) {
            let mut e = InputError::at(file, p.pos, &p.message);
            e.object = Some(id.clone());
            out.errors.push(e);
        }
        let target = Target {
            pod: object.pod(),
            object,
        };
        let mut cx = Context::new(&self.settings);
        for control in &self.controls {
            control.check(&target, &mut cx);
            let meta = control.meta();
            for v in cx.violations.drain(..) {
                out.findings.push(Finding {
                    control: meta,
                    object: id.clone(),
                    file: file.clone(),
                    pos: v.pos,
                    path: v.path,
                    message: v.message,
                });
            }
        }
    }
}

fn write_all(
    results: Vec<FileResult>,
    summary: &mut Summary,
    sink: &mut dyn Sink,
) -> std::io::Result<()> {
    for r in results {
        summary.add(&r);
        sink.file(r)?;
    }
    Ok(())
}

/// Receives results in input order. A large file may arrive in several pieces; the first has
/// `first_piece` set.
pub trait Sink {
    fn file(&mut self, result: FileResult) -> std::io::Result<()>;
}

/// A sink that keeps everything (tests, small inputs, the webhook).
#[derive(Default)]
pub struct Collect {
    pub results: Vec<FileResult>,
}

impl Sink for Collect {
    fn file(&mut self, result: FileResult) -> std::io::Result<()> {
        self.results.push(result);
        Ok(())
    }
}

impl Collect {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.results.iter().flat_map(|r| r.findings.iter())
    }
    pub fn errors(&self) -> impl Iterator<Item = &InputError> {
        self.results.iter().flat_map(|r| r.errors.iter())
    }
}

#[cfg(test)]
mod tests;
