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
    pub object: Arc<ObjectId>,
    pub file: Arc<str>,
    pub pos: Pos,
    pub path: FieldPath,
    pub message: String,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.control.severity
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
}

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
            *self.by_severity.entry(f.severity()).or_default() += 1;
            *self.by_control.entry(f.control.id).or_default() += 1;
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
