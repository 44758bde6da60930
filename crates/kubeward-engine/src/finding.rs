//! What a scan produces: findings, input errors, warnings, and a summary.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubeward_controls::{ControlMeta, Severity};
use kubeward_model::{FieldPath, ObjectId};
use kubeward_yaml::Pos;

/// One violation of one control by one object, located at the offending field.
#[derive(Clone, Debug)]
pub struct Finding {
    pub control: &'static ControlMeta,
    /// The control's severity, or the config file's override of it.
    pub severity: Severity,
    pub object: Arc<ObjectId>,
    pub file: Arc<str>,
    pub pos: Pos,
    pub path: FieldPath,
    pub message: String,
    /// Set when an annotation, the config file or a baseline suppresses the finding: it is
    /// counted, shown on request, and never fails the run.
    pub suppressed: Option<Suppression>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// What identifies a finding across runs (for baselines): control, object, field path.
    /// Whether the finding is on a platform object (the "platform" group of every report).
    pub fn is_platform(&self) -> bool {
        self.suppressed
            .as_ref()
            .is_some_and(|s| s.by == SuppressedBy::Platform)
    }

    pub fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.control.id,
            self.object.kind,
            self.object.namespace.as_deref().unwrap_or(""),
            self.object.name,
            self.path
        )
    }
}

/// Why a finding is suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub by: SuppressedBy,
    pub reason: String,
    /// When the config exclusion that suppresses it expires (year, month, day).
    pub expires: Option<(i32, u32, u32)>,
}

impl Suppression {
    /// A suppression that does not expire.
    pub fn new(by: SuppressedBy, reason: String) -> Self {
        Suppression {
            by,
            reason,
            expires: None,
        }
    }

    /// The expiry as `YYYY-MM-DD`.
    pub fn expires_iso(&self) -> Option<String> {
        self.expires
            .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressedBy {
    /// `kubeward.io/ignore` on the object.
    Annotation,
    /// An exclusion in the config file.
    Config,
    /// Present in the `--baseline` report.
    Baseline,
    /// On an object Kubernetes creates itself ([`kubeward_model::platform`]): listed apart, in
    /// the "platform" group, unless `--include-platform`.
    Platform,
}

impl SuppressedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressedBy::Annotation => "annotation",
            SuppressedBy::Config => "config",
            SuppressedBy::Baseline => "baseline",
            SuppressedBy::Platform => "platform",
        }
    }
}

/// Input that could not be (fully) read: a parse error, a wrong type, an unreadable file.
#[derive(Clone, Debug)]
pub struct InputError {
    pub file: Arc<str>,
    /// `None` when the file itself could not be read.
    pub pos: Option<Pos>,
    pub message: String,
    pub object: Option<Arc<ObjectId>>,
}

impl InputError {
    pub fn at(file: &Arc<str>, pos: Pos, message: &str) -> Self {
        InputError {
            file: file.clone(),
            pos: Some(pos),
            message: message.to_string(),
            object: None,
        }
    }

    pub fn file(file: &Arc<str>, message: String) -> Self {
        InputError {
            file: file.clone(),
            pos: None,
            message,
            object: None,
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.file, p.line, p.column, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Worth telling, not an error: a YAML document that is not a Kubernetes object (skipped), a
/// duplicate key (the last value is used, as Kubernetes' YAML decoder does).
#[derive(Clone, Debug)]
pub struct Warning {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

/// The results of one file, or of one piece of a large file.
#[derive(Debug)]
pub struct FileResult {
    pub file: Arc<str>,
    pub first_piece: bool,
    pub bytes: u64,
    pub documents: usize,
    pub objects: usize,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub warnings: Vec<Warning>,
    /// Inventory facts for the cross-object controls (taken by the engine, never reported).
    pub facts: Vec<kubeward_controls::inventory::Fact>,
    /// Objects of this result that fail at least one control of each scored framework (in
    /// [`SCORED`] order), counted by the engine as it evaluates them.
    pub failing_objects: [u32; SCORED.len()],
    /// The containers' images, when the policy asks for them ([`crate::Policy::collect_images`]).
    pub images: Vec<ImageUse>,
    /// This unit's collection, when the policy gathers ([`crate::Policy::gather`]).
    pub gathered: Option<Box<dyn crate::gather::Gathered>>,
    /// Objects held for the users' policies that need every object (taken by the engine).
    pub held: Vec<crate::policies::HeldObject>,
    /// The findings' source lines by line number, when the policy asks for them
    /// ([`crate::Policy::snippets`]); redacted where a credential could show
    /// ([`crate::snippet`]).
    pub snippets: std::collections::BTreeMap<u32, Box<str>>,
    /// The Helm template or Kustomize file each object of this result was rendered from,
    /// when its document says ([`crate::origin`]).
    pub origins: Vec<(Arc<ObjectId>, Arc<crate::origin::Origin>)>,
}

impl FileResult {
    /// The origin of a finding's object, if this result knows it.
    pub fn origin_of(&self, f: &Finding) -> Option<&Arc<crate::origin::Origin>> {
        self.origins
            .iter()
            .find(|(o, _)| Arc::ptr_eq(o, &f.object))
            .map(|(_, x)| x)
    }
}

/// One container's image, for `scan --images`: the reference as written, and where (the
/// `image:` field of the container, its object, and the object's ignore annotations, so that
/// the image's findings attached there are judged like the object's own).
#[derive(Clone, Debug)]
pub struct ImageUse {
    pub image: String,
    pub container: String,
    pub object: Arc<ObjectId>,
    pub file: Arc<str>,
    pub pos: Pos,
    /// `spec.template.spec.containers[0].image`.
    pub path: FieldPath,
    pub ignores: Vec<(&'static str, String)>,
    /// Why the object is a platform object, if it is one.
    pub platform: Option<&'static str>,
}

/// The frameworks a scan scores, in the order of [`Summary::frameworks`].
pub const SCORED: [(&str, crate::Framework); 5] = [
    ("pss-baseline", crate::Framework::PssBaseline),
    ("pss-restricted", crate::Framework::PssRestricted),
    ("nsa", crate::Framework::Nsa),
    ("cis", crate::Framework::Cis),
    ("mitre", crate::Framework::Mitre),
];

impl FileResult {
    pub fn new(file: Arc<str>) -> Self {
        FileResult {
            file,
            first_piece: false,
            bytes: 0,
            documents: 0,
            objects: 0,
            findings: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            facts: Vec::new(),
            failing_objects: [0; SCORED.len()],
            images: Vec::new(),
            gathered: None,
            held: Vec::new(),
            snippets: Default::default(),
            origins: Vec::new(),
        }
    }
}

/// Counts over a whole scan.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
    pub objects: usize,
    pub errors: usize,
    pub warnings: usize,
    pub controls_run: usize,
    /// Findings per severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Findings per control ID.
    pub by_control: BTreeMap<&'static str, usize>,
    /// Suppressed findings (not in the counts above).
    pub suppressed: usize,
    /// Findings on platform objects (not in the counts above, nor in `suppressed`).
    pub platform: usize,
    /// Compliance per framework, filled by the engine.
    pub frameworks: Vec<FrameworkScore>,
    /// Controls with at least one (unsuppressed) finding, for scores.
    pub(crate) failing_controls: std::collections::HashSet<&'static str>,
    /// Objects failing at least one control of each scored framework ([`SCORED`] order). An
    /// object counts once however many findings it has: the engine counts it as it evaluates
    /// it, then counts only the frameworks its cross-object findings add. A count per
    /// framework, not a set of objects, so a scan of a million objects keeps a few bytes.
    pub(crate) failing_objects: [usize; SCORED.len()],
}

/// A framework's score: controls passed / evaluated, and the resources failing.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameworkScore {
    pub framework: &'static str,
    pub controls_evaluated: usize,
    pub controls_passed: usize,
    pub resources_failing: usize,
}

impl FrameworkScore {
    /// Percentage of controls passed (100 when none was evaluated).
    pub fn score(&self) -> f64 {
        if self.controls_evaluated == 0 {
            100.0
        } else {
            (self.controls_passed as f64 * 1000.0 / self.controls_evaluated as f64).round() / 10.0
        }
    }
}

impl Summary {
    pub fn new(controls_run: usize) -> Self {
        Summary {
            controls_run,
            ..Default::default()
        }
    }

    pub fn add(&mut self, r: &FileResult) {
        if r.first_piece {
            self.files += 1;
        }
        self.bytes += r.bytes;
        self.documents += r.documents;
        self.objects += r.objects;
        self.errors += r.errors.len();
        self.warnings += r.warnings.len();
        for f in &r.findings {
            if let Some(s) = &f.suppressed {
                if s.by == SuppressedBy::Platform {
                    self.platform += 1;
                } else {
                    self.suppressed += 1;
                }
                continue;
            }
            *self.by_severity.entry(f.severity()).or_default() += 1;
            *self.by_control.entry(f.control.id).or_default() += 1;
            self.failing_controls.insert(f.control.id);
        }
        for (total, n) in self.failing_objects.iter_mut().zip(r.failing_objects) {
            *total += n as usize;
        }
    }

    pub fn findings(&self) -> usize {
        self.by_severity.values().sum()
    }

    /// Findings at or above `threshold`.
    pub fn findings_at_least(&self, threshold: Severity) -> usize {
        self.by_severity.range(threshold..).map(|(_, n)| n).sum()
    }

    /// The exit code the conventions ask for: 2 for any input error, 1 for findings at or
    /// above the threshold, 0 otherwise.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if self.errors > 0 {
            2
        } else if self.findings_at_least(fail_on) > 0 {
            1
        } else {
            0
        }
    }
}
