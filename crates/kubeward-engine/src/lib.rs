//! kubeward-engine: one engine for every front door.
//!
//! Inputs ([`Source`]) are read in batches, cut into documents, parsed and evaluated in
//! parallel (rayon), and handed to a [`Sink`] in input order, a piece at a time, so memory stays
//! bounded by a batch whatever the size of the scan. Bad input never stops a run: it becomes an
//! [`InputError`] with file, line and column, and everything else is still scanned.

pub mod baseline;
pub mod config;
mod finding;
pub mod gather;
pub mod json_error;
pub mod origin;
pub mod policies;
pub mod snippet;
mod source;

pub use finding::*;
pub use source::*;

use std::ops::Range;
use std::sync::Arc;

use std::collections::{HashMap, HashSet};

use kubeward_controls::{
    applies, registry, Context, Control, Fact, Inventory, PssLevel, Settings, Severity, Target,
};
use kubeward_model::{objects_in, shape, Item, ObjectId};
use kubeward_yaml::{parse_chunk, split_documents, Chunk, Limits, Pos};
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

/// What decides whether a finding counts: severity overrides, exclusions, a baseline.
#[derive(Default)]
pub struct Policy {
    pub severity: HashMap<&'static str, Severity>,
    pub exclusions: Vec<config::Exclusion>,
    /// Fingerprints ([`Finding::fingerprint`]) of findings accepted in a previous report.
    pub baseline: HashSet<String>,
    pub baseline_name: String,
    /// Pass suppressed findings to the sink (they are always counted).
    pub show_suppressed: bool,
    /// Today, for exclusion expiry.
    pub today: (i32, u32, u32),
    /// Where the exclusions come from, to locate expiry warnings.
    pub config_file: String,
    /// Objects reported on another object of the scan, so not evaluated nor counted: the Pods,
    /// ReplicaSets and Jobs whose owner is in the scan (`kubeward cluster --from-dump`).
    pub covered: HashSet<ObjectId>,
    /// Collect every container's image into [`FileResult::images`] (`scan --images`).
    pub collect_images: bool,
    /// Judge platform objects' findings like the user's (`--include-platform`) instead of
    /// listing them apart ([`kubeward_model::platform`]).
    pub include_platform: bool,
    /// Gather facts from every object for whole-scan analyses ([`gather`]); each result
    /// carries its unit's collection in [`FileResult::gathered`].
    pub gather: Option<Arc<dyn gather::Gather>>,
    /// Keep each finding's source line in [`FileResult::snippets`] (text reports show them).
    pub snippets: bool,
    /// The `.Values` keys each Helm template reads, by the path `# Source:` comments name
    /// (`chart/templates/x.yaml`): set when the chart was read ([`origin::values_read`]).
    pub template_values: HashMap<String, Vec<String>>,
}

/// The annotation that suppresses findings on an object: `"KW101: reason; KW205: reason"`.
pub const IGNORE_ANNOTATION: &str = "kubeward.io/ignore";

/// The configured engine.
pub struct Engine {
    controls: Vec<&'static dyn Control>,
    /// Each per-object control's scored frameworks ([`Engine::framework_mask`]).
    masks: Vec<u8>,
    cross: Vec<&'static dyn Control>,
    settings: Settings,
    limits: Limits,
    policy: Policy,
    /// Users' policies, evaluated with the controls ([`policies`]).
    policies: Option<Arc<policies::Policies>>,
}

/// What the engine keeps across a scan's pass: the cross-object controls' facts and the
/// objects held for the policies that need every object.
#[derive(Default)]
struct Pass {
    inventory: Inventory,
    held: Vec<policies::HeldObject>,
}

/// Cross-object findings held before they are written (see [`Engine::cross_object`]).
const CROSS_BATCH: usize = 10_000;

/// How many documents one unit of parallel work holds; keeps a huge file from being one task.
const WINDOW: usize = 256;
/// How many windows of documents are evaluated while the previous ones are written.
const GROUP: usize = 8;
/// How many bytes of input are held at once: small files are read whole, up to this much at a
/// time, and larger sources a piece of about this size at a time.
const BATCH_BYTES: usize = 8 << 20;

/// Sources, handed out a batch at a time: several small files read in parallel, or the next
/// piece of a large one (or of stdin), so memory holds about [`BATCH_BYTES`] of input.
struct Feed<'s> {
    sources: &'s [Source],
    next: usize,
    stream: Option<Stream>,
    max_document: usize,
}

impl Feed<'_> {
    fn next_batch(&mut self) -> Option<Vec<Piece>> {
        if let Some(stream) = &mut self.stream {
            let piece = stream.next_piece(BATCH_BYTES);
            if stream.at_end() {
                self.stream = None;
            }
            return Some(vec![piece]);
        }
        let sources = &self.sources[self.next..];
        if sources.is_empty() {
            return None;
        }
        let mut n = 0;
        let mut bytes = 0;
        while n < sources.len() && bytes < BATCH_BYTES {
            match sources[n].small_size(BATCH_BYTES) {
                Some(size) => bytes += size,
                None => break,
            }
            n += 1;
        }
        if n == 0 {
            let mut stream = Stream::open(&sources[0], self.max_document);
            self.next += 1;
            let piece = stream.next_piece(BATCH_BYTES);
            if !stream.at_end() {
                self.stream = Some(stream);
            }
            return Some(vec![piece]);
        }
        self.next += n;
        let max = self.max_document;
        Some(
            sources[..n]
                .par_iter()
                .map(|s| read_whole(s, max))
                .collect(),
        )
    }
}

impl Engine {
    pub fn new(controls: Vec<&'static dyn Control>, settings: Settings, limits: Limits) -> Self {
        let (cross, controls): (Vec<&'static dyn Control>, Vec<_>) = controls
            .into_iter()
            // Audit detections run over audit events (`kubeward audit`), never over manifests.
            .filter(|c| {
                applies(c.meta(), &settings) && !c.is_audit_detection() && !c.is_image_check()
            })
            .partition(|c| c.is_cross_object());
        let policy = Policy {
            today: config::today(),
            ..Policy::default()
        };
        Engine {
            masks: controls
                .iter()
                .map(|c| Engine::framework_mask(*c))
                .collect(),
            controls,
            cross,
            settings,
            limits,
            policy,
            policies: None,
        }
    }

    /// Evaluate users' policies too: each constraint is a control ([`policies`]).
    pub fn with_policies(mut self, policies: Option<Arc<policies::Policies>>) -> Self {
        self.policies = policies;
        self
    }

    /// The users' policies the engine evaluates.
    pub fn policies(&self) -> Option<&Arc<policies::Policies>> {
        self.policies.as_ref()
    }

    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Every control that will run (after the PSS version gate), per-object then cross-object.
    pub fn controls(&self) -> Vec<&'static dyn Control> {
        let mut all: Vec<_> = self.controls.iter().chain(&self.cross).copied().collect();
        if let Some(p) = &self.policies {
            all.extend(p.controls());
        }
        all
    }

    /// Compliance per framework from a finished scan's counts.
    fn scores(&self, summary: &Summary) -> Vec<FrameworkScore> {
        SCORED
            .iter()
            .zip(summary.failing_objects)
            .filter_map(|((name, fw), failing)| {
                let controls: Vec<_> = self
                    .controls()
                    .into_iter()
                    .filter(|c| fw.includes(*c))
                    .collect();
                if controls.is_empty() {
                    return None;
                }
                let passed = controls
                    .iter()
                    .filter(|c| !summary.failing_controls.contains(c.meta().id))
                    .count();
                Some(FrameworkScore {
                    framework: name,
                    controls_evaluated: controls.len(),
                    controls_passed: passed,
                    resources_failing: failing,
                })
            })
            .collect()
    }

    /// The scored frameworks (bits in [`SCORED`] order) a control belongs to.
    fn framework_mask(c: &dyn Control) -> u8 {
        SCORED
            .iter()
            .enumerate()
            .filter(|(_, (_, fw))| fw.includes(c))
            .fold(0, |m, (i, _)| m | 1 << i)
    }

    /// Decide a finding's severity and whether something suppresses it.
    /// Apply the policy to a finding made outside the engine (an image's finding attached to a
    /// container by `scan --images`): severity override, the object's ignore annotations, the
    /// config file's exclusions, the baseline.
    pub fn judge(&self, f: &mut Finding, ignores: &[(&'static str, String)]) {
        self.judge_on(f, ignores, None);
    }

    /// [`Engine::judge`] for a finding on an object that may be a platform object (`platform`
    /// says why it is one): its findings go to the platform group, whatever else applies, so
    /// that group's count does not depend on the user's exclusions.
    pub fn judge_on(
        &self,
        f: &mut Finding,
        ignores: &[(&'static str, String)],
        platform: Option<&'static str>,
    ) {
        if let Some(s) = self.policy.severity.get(f.control.id) {
            f.severity = *s;
        }
        if let Some(reason) = platform.filter(|_| !self.policy.include_platform) {
            f.suppressed = Some(Suppression::new(
                SuppressedBy::Platform,
                format!("platform object: {reason}"),
            ));
        } else if let Some((_, reason)) = ignores.iter().find(|(id, _)| *id == f.control.id) {
            f.suppressed = Some(Suppression::new(SuppressedBy::Annotation, reason.clone()));
        } else if let Some(x) = self
            .policy
            .exclusions
            .iter()
            .find(|x| !x.expired(self.policy.today) && x.matches(f))
        {
            f.suppressed = Some(Suppression {
                by: SuppressedBy::Config,
                reason: x.reason.clone(),
                expires: x.expires,
            });
        } else if !self.policy.baseline.is_empty()
            && self.policy.baseline.contains(&f.fingerprint())
        {
            f.suppressed = Some(Suppression::new(
                SuppressedBy::Baseline,
                format!("in baseline {}", self.policy.baseline_name),
            ));
        }
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
        let mut summary = Summary::new(
            self.controls.len()
                + self.cross.len()
                + self.policies.as_ref().map_or(0, |p| p.controls().len()),
        );
        let mut inventory = Pass {
            inventory: Inventory::new(&self.settings.namespace),
            held: Vec::new(),
        };
        for x in &self.policy.exclusions {
            if x.expired(self.policy.today) {
                let (y, m, d) = x.expires.unwrap_or_default();
                let mut r = FileResult::new(Arc::from(self.policy.config_file.as_str()));
                r.warnings.push(Warning {
                    file: r.file.clone(),
                    pos: x.pos,
                    message: format!(
                        "exclusion ({}) expired on {y:04}-{m:02}-{d:02}: it no longer applies and its findings are reported again",
                        x.reason
                    ),
                });
                self.write_all(vec![r], &mut summary, &mut inventory, sink)?;
            }
        }
        let mut feed = Feed {
            sources,
            next: 0,
            stream: None,
            max_document: self.limits.max_document_bytes,
        };
        while let Some(pieces) = feed.next_batch() {
            let units: Vec<(usize, Range<usize>)> = pieces
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    let n = p.chunks.len();
                    (0..n.div_ceil(WINDOW).max(1))
                        .map(move |w| (i, w * WINDOW..((w + 1) * WINDOW).min(n)))
                })
                .collect();
            let evaluate = |group: &[(usize, Range<usize>)]| -> Vec<FileResult> {
                group
                    .par_iter()
                    .map(|(i, range)| {
                        let p = &pieces[*i];
                        let mut r =
                            self.evaluate_chunks(&p.name, &p.bytes, &p.chunks[range.clone()]);
                        r.first_piece = p.first && range.start == 0;
                        if range.start == 0 {
                            r.errors.splice(0..0, p.errors.iter().cloned());
                        }
                        r
                    })
                    .collect()
            };
            let mut pending: Vec<FileResult> = Vec::new();
            for group in groups(&units) {
                let (results, written) = std::thread::scope(|scope| {
                    let worker = scope.spawn(|| evaluate(group));
                    let written = self.write_all(
                        std::mem::take(&mut pending),
                        &mut summary,
                        &mut inventory,
                        sink,
                    );
                    (worker.join(), written)
                });
                written?;
                pending = results.map_err(|_| std::io::Error::other("a scan worker failed"))?;
            }
            self.write_all(pending, &mut summary, &mut inventory, sink)?;
        }
        self.cross_object(&inventory.inventory, &mut summary, sink)?;
        self.policies_over_all_objects(std::mem::take(&mut inventory.held), &mut summary, sink)?;
        summary.frameworks = self.scores(&summary);
        Ok(summary)
    }

    /// Run the cross-object controls over the inventory; results go out per file, in the
    /// order files were first seen.
    fn cross_object(
        &self,
        inventory: &Inventory,
        summary: &mut Summary,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        if self.cross.is_empty() {
            return Ok(());
        }
        let mut by_file: Vec<FileResult> = Vec::new();
        // Lookups by pointer, so the pass stays linear in findings and facts.
        let mut file_slot: HashMap<*const u8, usize> = HashMap::new();
        let fact_of: HashMap<*const ObjectId, &Fact> = inventory
            .facts
            .iter()
            .map(|x| (Arc::as_ptr(&x.at.object), x))
            .collect();
        // The scored frameworks each object fails through cross-object findings.
        let mut failed: HashMap<*const ObjectId, u8> = HashMap::new();
        let mut held = 0;
        let mut written: std::io::Result<()> = Ok(());
        for control in &self.cross {
            let mask = Engine::framework_mask(*control);
            // Each violation becomes a finding as the control reports it, and a huge scan's
            // cross-object findings (one per unselected workload) go out in batches, so memory
            // holds a batch, not a control's whole output; a file may then appear in more
            // than one batch.
            let mut take = |v: kubeward_controls::CrossViolation| {
                let mut f = Finding {
                    control: control.meta(),
                    severity: control.meta().severity,
                    object: v.at.object.clone(),
                    file: v.at.file.clone(),
                    pos: v.at.pos,
                    path: v.path,
                    message: v.message,
                    suppressed: None,
                };
                let fact = fact_of.get(&Arc::as_ptr(&f.object));
                let ignores = fact.map_or(&[][..], |x| x.ignores.as_slice());
                self.judge_on(&mut f, ignores, fact.and_then(|x| x.platform));
                if f.suppressed.is_none() {
                    *failed.entry(Arc::as_ptr(&f.object)).or_default() |= mask;
                }
                let file = f.file.clone();
                result_of(&mut by_file, &mut file_slot, &file)
                    .findings
                    .push(f);
                held += 1;
                if held >= CROSS_BATCH && written.is_ok() {
                    file_slot.clear();
                    written = self.write_all(
                        std::mem::take(&mut by_file),
                        summary,
                        &mut Pass::default(),
                        sink,
                    );
                    held = 0;
                }
            };
            control.check_inventory(inventory, &mut kubeward_controls::CrossOut::new(&mut take));
            std::mem::replace(&mut written, Ok(()))?;
        }
        // Count only the frameworks an object did not already fail in the per-object pass.
        for (object, mask) in failed {
            let before = fact_of.get(&object).map_or(0, |x| x.failed);
            let new = mask & !before;
            for (i, n) in summary.failing_objects.iter_mut().enumerate() {
                *n += usize::from(new >> i & 1);
            }
        }
        let mut ignored = Pass::default();
        self.write_all(by_file, summary, &mut ignored, sink)
    }

    /// Evaluate the policies that need every object of the input ([`policies`]) over the
    /// objects held during the pass; results go out per file, in the order files were seen.
    fn policies_over_all_objects(
        &self,
        held: Vec<policies::HeldObject>,
        summary: &mut Summary,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        let Some(p) = &self.policies else {
            return Ok(());
        };
        if held.is_empty() {
            return Ok(());
        }
        let mut by_file: Vec<FileResult> = Vec::new();
        let mut file_slot: HashMap<*const u8, usize> = HashMap::new();
        for (h, v) in policies::review_held(p, &held) {
            let Some(mut f) = p.finding(v, h.object.clone(), &h.file, None, h.pos) else {
                continue;
            };
            self.judge_on(&mut f, &h.ignores, h.platform);
            let file = f.file.clone();
            result_of(&mut by_file, &mut file_slot, &file)
                .findings
                .push(f);
        }
        self.write_all(by_file, summary, &mut Pass::default(), sink)
    }

    fn write_all(
        &self,
        results: Vec<FileResult>,
        summary: &mut Summary,
        inventory: &mut Pass,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        for mut r in results {
            summary.add(&r);
            inventory.inventory.facts.append(&mut r.facts);
            inventory.held.append(&mut r.held);
            if !self.policy.show_suppressed {
                // Platform findings are listed apart in every report, so they go out.
                r.findings
                    .retain(|f| f.suppressed.is_none() || f.is_platform());
            }
            sink.file(r)?;
        }
        Ok(())
    }

    /// Evaluate text that is already in memory (admission requests, tests).
    pub fn scan_text(&self, name: &str, text: &str) -> FileResult {
        let name: Arc<str> = Arc::from(name);
        let chunks = split_documents(text.as_bytes());
        let mut r = self.evaluate_chunks(&name, text.as_bytes(), &chunks);
        r.first_piece = true;
        r
    }

    fn evaluate_chunks(&self, file: &Arc<str>, text: &[u8], chunks: &[Chunk]) -> FileResult {
        let mut out = FileResult::new(file.clone());
        out.gathered = self.policy.gather.as_ref().map(|g| g.start());
        for &chunk in chunks {
            out.bytes += (chunk.end - chunk.start) as u64;
            // A bug in a control or in the model must cost this document, never the run:
            // what it added is taken back and it becomes an input error at its first line.
            let mark = (
                out.findings.len(),
                out.errors.len(),
                out.warnings.len(),
                out.facts.len(),
                out.documents,
                out.objects,
                out.held.len(),
            );
            let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.evaluate_chunk(file, text, chunk, &mut out)
            }));
            if self.policy.snippets && evaluated.is_ok() && out.findings.len() > mark.0 {
                snippet::collect(
                    text,
                    chunk.start,
                    chunk.first_line,
                    &out.findings[mark.0..],
                    &mut out.snippets,
                );
            }
            if evaluated.is_err() {
                out.findings.truncate(mark.0);
                out.errors.truncate(mark.1);
                out.warnings.truncate(mark.2);
                out.facts.truncate(mark.3);
                out.held.truncate(mark.6);
                (out.documents, out.objects) = (mark.4, mark.5);
                out.errors.push(InputError::at(
                    file,
                    Pos {
                        line: chunk.first_line,
                        column: 1,
                    },
                    "internal error while evaluating this document; it was skipped (please report it)",
                ));
            }
        }
        out
    }

    fn evaluate_chunk(&self, file: &Arc<str>, text: &[u8], chunk: Chunk, out: &mut FileResult) {
        let parsed = parse_chunk(text, chunk, &self.limits);
        let helm = origin::helm_source(&text[chunk.start..chunk.end]);
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
                    Item::Object(object) => self.evaluate_object(file, object, helm, out),
                    Item::NotAnObject { pos, reason } => out.warnings.push(Warning {
                        file: file.clone(),
                        pos,
                        message: format!("skipped: {reason}"),
                    }),
                    Item::Invalid(p) => out.errors.push(InputError::at(file, p.pos, &p.message)),
                }
            }
        }
        if let Some(p) = parsed.error {
            out.errors.push(InputError::at(file, p.pos, &p.message));
        }
    }

    fn evaluate_object(
        &self,
        file: &Arc<str>,
        object: kubeward_model::Object<'_>,
        helm: Option<&str>,
        out: &mut FileResult,
    ) {
        if !self.policy.covered.is_empty()
            && matches!(object.kind, "Pod" | "ReplicaSet" | "Job")
            && self.policy.covered.contains(&object.id())
        {
            return;
        }
        out.objects += 1;
        if let Some(g) = &mut out.gathered {
            g.add(&object, file);
        }
        // Most objects have no finding: build the owned identity only when one needs it.
        let mut id: Option<Arc<kubeward_model::ObjectId>> = None;
        let mut id_of = |object: &kubeward_model::Object<'_>| {
            id.get_or_insert_with(|| Arc::new(object.id())).clone()
        };
        let mismatches = shape::mismatches(&object);
        for p in mismatches
            .iter()
            .map(|m| m.problem.clone())
            .chain(kubeward_netpol::policy_problems(&object, file))
        {
            let mut e = InputError::at(file, p.pos, &p.message);
            e.object = Some(id_of(&object));
            out.errors.push(e);
        }
        let ignores = parse_ignores(&object, file, self.policies.as_deref(), &mut out.errors);
        let platform = kubeward_model::platform::platform_reason(&object);
        let target = Target {
            pod: object.pod(),
            object,
        };
        if self.policy.collect_images {
            let id = &mut || id_of(&target.object);
            collect_images(&target, file, (&ignores, platform), id, out);
        }
        let mut fact_at = None;
        if !self.cross.is_empty() {
            if let Some(mut fact) = Fact::of(&target, file, &self.settings.namespace, || {
                id_of(&target.object)
            }) {
                fact.ignores = ignores.clone();
                fact.platform = platform;
                fact_at = Some(out.facts.len());
                out.facts.push(fact);
            }
        }
        let mut cx = Context::new(&self.settings);
        let mut failed = 0u8;
        for (control, mask) in self.controls.iter().zip(&self.masks) {
            control.check(&target, &mut cx);
            let meta = control.meta();
            for v in cx.violations.drain(..) {
                // A field of the wrong type is an input error; what it means is unknown, so
                // no control judges it or anything under it (a `spec: []` Pod is not "a pod
                // without automountServiceAccountToken").
                if mismatches.iter().any(|m| v.path.is_within(&m.path)) {
                    continue;
                }
                let mut f = Finding {
                    control: meta,
                    severity: meta.severity,
                    object: id_of(&target.object),
                    file: file.clone(),
                    pos: v.pos,
                    path: v.path,
                    message: v.message,
                    suppressed: None,
                };
                self.judge_on(&mut f, &ignores, platform);
                if f.suppressed.is_none() {
                    failed |= mask;
                }
                out.findings.push(f);
            }
        }
        if let Some(p) = &self.policies {
            let json = target.object.root.to_json();
            let metadata = policies::metadata_pos(target.object.root);
            for v in policies::review_object(p, &json) {
                let object = id_of(&target.object);
                if let Some(mut f) = p.finding(v, object, file, Some(target.object.root), metadata)
                {
                    self.judge_on(&mut f, &ignores, platform);
                    out.findings.push(f);
                }
            }
            if p.needs_all_objects() {
                let review = p.set().all_objects_stage_may_apply(&json);
                let inventory = p.set().inventory_needs(&json);
                if review || inventory {
                    out.held.push(policies::HeldObject {
                        json: serde_json::to_vec(&json).unwrap_or_default().into(),
                        inventory,
                        file: file.clone(),
                        object: id_of(&target.object),
                        pos: metadata,
                        ignores: ignores.clone(),
                        platform,
                        review,
                    });
                }
            }
        }
        if let Some(id) = &id {
            if let Some(o) = origin::of(&target.object, helm, &self.policy.template_values) {
                out.origins.push((id.clone(), Arc::new(o)));
            }
        }
        for (i, n) in out.failing_objects.iter_mut().enumerate() {
            *n += u32::from(failed >> i & 1);
        }
        if let Some(fact) = fact_at.and_then(|i| out.facts.get_mut(i)) {
            fact.failed = failed;
        }
    }
}

/// `file`'s result in `by_file` (added when new), found by pointer so that grouping findings
/// by file stays linear.
fn result_of<'r>(
    by_file: &'r mut Vec<FileResult>,
    file_slot: &mut HashMap<*const u8, usize>,
    file: &Arc<str>,
) -> &'r mut FileResult {
    let slot = *file_slot
        .entry(Arc::as_ptr(file) as *const u8)
        .or_insert_with(|| {
            by_file.push(FileResult::new(file.clone()));
            by_file.len() - 1
        });
    &mut by_file[slot]
}

/// Every container's `image:` (a string, not blank) with where it is. For a Pod read from a
/// cluster, the image the container actually runs when its status says so: the `imageID`
/// digest reference (`repo@sha256:...`, without the runtime's `docker-pullable://` prefix),
/// since a tag may have moved since the pod pulled it.
fn collect_images(
    target: &Target<'_>,
    file: &Arc<str>,
    (ignores, platform): (&[(&'static str, String)], Option<&'static str>),
    id: &mut dyn FnMut() -> Arc<kubeward_model::ObjectId>,
    out: &mut FileResult,
) {
    let Some(pod) = &target.pod else {
        return;
    };
    for c in pod.containers() {
        let Some(node) = c.node.get("image") else {
            continue;
        };
        let Some(image) = node.as_str().map(str::trim).filter(|s| !s.is_empty()) else {
            continue;
        };
        let image = running_image(target, c.kind, c.name).unwrap_or(image);
        out.images.push(finding::ImageUse {
            image: image.to_string(),
            container: c.name.to_string(),
            object: id(),
            file: file.clone(),
            pos: node.pos(),
            path: c.path.key("image"),
            ignores: ignores.to_vec(),
            platform,
        });
    }
}

/// The digest reference a Pod's status gives for container `name` (`status.containerStatuses`,
/// `initContainerStatuses` or `ephemeralContainerStatuses`, as `kind` says), if it is one.
fn running_image<'t>(
    target: &Target<'t>,
    kind: kubeward_model::ContainerKind,
    name: &str,
) -> Option<&'t str> {
    use kubeward_model::ContainerKind;
    if target.object.kind != "Pod" {
        return None;
    }
    let field = match kind {
        ContainerKind::Container => "containerStatuses",
        ContainerKind::InitContainer => "initContainerStatuses",
        ContainerKind::EphemeralContainer => "ephemeralContainerStatuses",
    };
    let statuses = target.object.root.get("status")?.get(field)?;
    let status = statuses
        .items()
        .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(name))?;
    let id = status.get("imageID")?.as_str()?.trim();
    let id = id.strip_prefix("docker-pullable://").unwrap_or(id);
    let (repo, digest) = id.split_once("@sha256:")?;
    (!repo.is_empty()
        && !repo.contains("://")
        && digest.len() == 64
        && digest.bytes().all(|b| b.is_ascii_hexdigit()))
    .then_some(id)
}

/// Cut units into groups of at most [`GROUP`] full windows of documents: [`GROUP`] units of a
/// large file, or many units of small files (one object each from `kubeward cluster`, or a
/// repository of small manifests), so that a group hand-off is not paid per tiny file.
fn groups(units: &[(usize, Range<usize>)]) -> Vec<&[(usize, Range<usize>)]> {
    let mut out = Vec::new();
    let (mut start, mut documents) = (0, 0);
    for (i, (_, range)) in units.iter().enumerate() {
        // An empty unit (a file without documents) still counts, so groups stay bounded.
        documents += range.len().max(1);
        if documents >= GROUP * WINDOW || i + 1 == units.len() {
            out.push(&units[start..=i]);
            (start, documents) = (i + 1, 0);
        }
    }
    out
}

/// Parse `kubeward.io/ignore` on an object: `"KW101: reason; privileged-container: reason"`.
/// A missing reason or an unknown control is an input error at the annotation.
fn parse_ignores(
    object: &kubeward_model::Object<'_>,
    file: &Arc<str>,
    policies: Option<&policies::Policies>,
    errors: &mut Vec<InputError>,
) -> Vec<(&'static str, String)> {
    let Some(node) = object.annotations().and_then(|a| a.get(IGNORE_ANNOTATION)) else {
        return Vec::new();
    };
    let Some(text) = node.as_str() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (key, reason) = entry
            .split_once(':')
            .map_or((entry, ""), |(k, r)| (k.trim(), r.trim()));
        let found = registry::find(key)
            .map(|c| c.meta())
            .or_else(|| policies.and_then(|p| p.find(key)));
        match found {
            None => errors.push(InputError::at(
                file,
                node.pos(),
                &format!("{IGNORE_ANNOTATION}: unknown control {key:?}; `kubeward controls` lists them"),
            )),
            Some(_) if reason.is_empty() => errors.push(InputError::at(
                file,
                node.pos(),
                &format!("{IGNORE_ANNOTATION}: suppressing {key} needs a reason, as \"{key}: why it is acceptable\""),
            )),
            Some(c) => out.push((c.id, reason.to_string())),
        }
    }
    out
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
