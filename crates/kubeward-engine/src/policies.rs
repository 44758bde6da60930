//! Users' own policies (Gatekeeper ConstraintTemplates and Constraints, compiled by
//! kubeward-policy) as controls of the engine: each constraint is a control with a stable ID
//! (`<constraint kind>/<constraint name>`, e.g. `K8sRequiredLabels/must-have-owner`), evaluated
//! over the same located objects in the same pass as the built-in controls, so that its
//! violations are ordinary findings (suppressions, `--fail-on`, baselines, every reporter).
//!
//! * Severity from the constraint's `enforcementAction`: `deny` (and `scoped`) high, `warn`
//!   medium, `dryrun` info (so the default `--fail-on low` fails on deny and warn, not on
//!   dry runs). The config file's `severity:` overrides it like any control's.
//! * Location: the field the policy's message names when it names one that exists in the
//!   object (`spec.template.spec.containers[0].image`), else the object's `metadata`.
//! * Constraints that need every object of the input (a template reading `data.inventory`, a
//!   `namespaceSelector`) are evaluated after the last object is read, over an inventory of
//!   the input's objects, as `gator` does; their findings point at the object's `metadata`.
//!   A namespaced object whose Namespace is not in the input gets, for a constraint with a
//!   `namespaceSelector`, the error Gatekeeper gives ("missing Namespace"): Gatekeeper fails
//!   closed on it, so does the scan (put the Namespace objects in the input).
//! * An evaluation error fails closed, as Gatekeeper does: it is a finding of the constraint.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use kubeward_controls::{Control, ControlMeta, Frameworks, Severity};
use kubeward_model::{FieldPath, ObjectId};
use kubeward_policy::{
    ConstraintInfo, EnforcementAction, EngineChoice, Inventory, PolicySet, PolicySetBuilder,
    Review, Stage, Violation,
};
use kubeward_yaml::{NodeRef, Pos};
use serde_json::Value;

use crate::{Finding, InputError};

/// A constraint as a control of the catalog (its check runs in the engine, not here).
struct PolicyControl(&'static ControlMeta);

impl Control for PolicyControl {
    fn meta(&self) -> &'static ControlMeta {
        self.0
    }
}

/// Interned strings and controls: a policy set is compiled once per run (and once per change
/// in `serve`), and findings name their control by `&'static` reference like built-in ones;
/// interning keeps a reload of the same policies from growing memory.
fn intern_str(s: &str) -> &'static str {
    static STRINGS: OnceLock<Mutex<std::collections::HashSet<&'static str>>> = OnceLock::new();
    let mut set = match STRINGS.get_or_init(Default::default).lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some(s) = set.get(s) {
        return s;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

fn intern_control(meta: ControlMeta) -> &'static PolicyControl {
    type Key = (&'static str, &'static str, &'static str, Severity);
    static CONTROLS: OnceLock<Mutex<HashMap<Key, &'static PolicyControl>>> = OnceLock::new();
    let mut map = match CONTROLS.get_or_init(Default::default).lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let key = (meta.id, meta.title, meta.doc, meta.severity);
    map.entry(key).or_insert_with(|| {
        let meta: &'static ControlMeta = Box::leak(Box::new(meta));
        Box::leak(Box::new(PolicyControl(meta)))
    })
}

/// Whether `key` has the shape of a policy's control ID (`Kind/name`), so that the config file
/// may name policies' controls before the policies are loaded.
pub fn policy_control_id(key: &str) -> Option<&'static str> {
    let (kind, name) = key.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/'))
    };
    (ok(kind) && ok(name)).then(|| intern_str(key))
}

/// The severity of a constraint's findings.
pub fn severity_of(action: EnforcementAction) -> Severity {
    match action {
        EnforcementAction::Deny | EnforcementAction::Scoped => Severity::High,
        EnforcementAction::Warn => Severity::Medium,
        EnforcementAction::Dryrun => Severity::Info,
    }
}

fn meta_of(c: &ConstraintInfo) -> ControlMeta {
    let id = intern_str(&format!("{}/{}", c.kind, c.name));
    let name = intern_str(&format!("{}-{}", c.kind.to_ascii_lowercase(), c.name));
    let (title, doc) = if c.vap {
        let binding = c.name.rsplit('/').next().unwrap_or("");
        (
            format!(
                "ValidatingAdmissionPolicy {} with binding {binding}",
                c.template
            ),
            format!(
                " ValidatingAdmissionPolicy `{}` bound by ValidatingAdmissionPolicyBinding \
                 `{binding}`, defined at {}.\n\n validationActions as `{}`; the finding's \
                 message is the policy's own.",
                c.template, c.source, c.action
            ),
        )
    } else {
        (
            format!(
                "Gatekeeper constraint {}/{} (ConstraintTemplate {})",
                c.kind, c.name, c.template
            ),
            format!(
                " Gatekeeper constraint `{}/{}` of ConstraintTemplate `{}`, defined at {}.\n\n \
                 enforcementAction `{}`; the finding's message is the policy's own.",
                c.kind, c.name, c.template, c.source, c.action
            ),
        )
    };
    let (title, doc) = (intern_str(&title), intern_str(&doc));
    ControlMeta {
        id,
        name,
        title,
        severity: severity_of(c.action),
        remediation: "Change the object so that it satisfies the policy, or change the policy (its file is named in the control's documentation).",
        frameworks: Frameworks::NONE,
        doc,
    }
}

/// Compiled policies with their controls.
pub struct Policies {
    set: PolicySet,
    /// The inventory of the policy files' other documents (params, Namespaces), with what a
    /// server synced from its cluster ([`Policies::set_synced`]).
    base: std::sync::RwLock<Arc<Inventory>>,
    /// The control of each constraint, by [`Violation::index`].
    controls: Vec<&'static PolicyControl>,
    all_objects: bool,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("constraints", &self.controls.len())
            .finish()
    }
}

/// The files of a `--policy` path: the file itself, or a directory's `.yaml`, `.yml` and
/// `.json` files (recursively, in name order).
fn policy_files(path: &Path, errors: &mut Vec<InputError>) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
    {
        match e {
            Ok(e) if e.file_type().is_file() => {
                let p = e.path();
                if matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("yaml" | "yml" | "json")
                ) {
                    out.push(p.to_path_buf());
                }
            }
            Ok(_) => {}
            Err(e) => {
                let file: Arc<str> =
                    Arc::from(e.path().unwrap_or(path).display().to_string().as_str());
                errors.push(InputError::file(
                    &file,
                    format!("cannot read the policy: {e}"),
                ));
            }
        }
    }
    out
}

fn input_error(e: &kubeward_policy::PolicyError) -> InputError {
    let file: Arc<str> = Arc::from(e.source.file.as_str());
    InputError::at(
        &file,
        Pos {
            line: e.source.line,
            column: e.source.column,
        },
        &e.message,
    )
}

impl Policies {
    /// Read and compile the policies of `paths` (files or directories). A policy that does
    /// not load is an input error at its file, line and column; the others are kept. Other
    /// documents in policy files are left out. `None` when no constraint was loaded.
    pub fn load(paths: &[PathBuf]) -> (Option<Arc<Policies>>, Vec<InputError>) {
        Self::load_with(paths, Vec::new())
    }

    /// As [`Policies::load`], with policy objects read from elsewhere (a live cluster's
    /// ConstraintTemplates, constraints, ValidatingAdmissionPolicies and bindings): each
    /// `(location, object)`, where the location names the object since there is no file
    /// (`cluster/<context>/ConstraintTemplate/<name>`); errors about it point there.
    pub fn load_with(
        paths: &[PathBuf],
        objects: Vec<(String, Value)>,
    ) -> (Option<Arc<Policies>>, Vec<InputError>) {
        let (set, mut errors, kept) = Self::load_impl(paths, objects, false);
        errors.extend(kept);
        (set, errors)
    }

    /// As [`Policies::load_with`] for an admission server: a ValidatingAdmissionPolicy whose
    /// expressions do not compile is kept, and its failurePolicy decides each request it
    /// matches (as the API server does). Returns the set, the errors of what was left out,
    /// and the errors of the policies kept in use anyway (those VAPs, and templates whose
    /// sync annotation cannot be read).
    pub fn load_for_admission(
        paths: &[PathBuf],
        objects: Vec<(String, Value)>,
    ) -> (Option<Arc<Policies>>, Vec<InputError>, Vec<InputError>) {
        Self::load_impl(paths, objects, true)
    }

    fn load_impl(
        paths: &[PathBuf],
        objects: Vec<(String, Value)>,
        keep_uncompiled: bool,
    ) -> (Option<Arc<Policies>>, Vec<InputError>, Vec<InputError>) {
        let mut errors = Vec::new();
        let mut builder =
            PolicySetBuilder::new(EngineChoice::Auto).keep_uncompiled(keep_uncompiled);
        for (location, value) in objects {
            let doc = kubeward_policy::Doc::new(value, kubeward_policy::Source::file(location));
            // Only policy kinds are listed: nothing else to keep.
            builder.add(doc);
        }
        for path in paths {
            for file in policy_files(path, &mut errors) {
                let (docs, errs) = kubeward_policy::load::read_documents_lenient(&file);
                errors.extend(errs.iter().map(input_error));
                for d in docs {
                    let value = d.value.clone();
                    if !builder.add(d) {
                        builder.add_object(value);
                    }
                }
            }
        }
        let (set, errs) = builder.build();
        let (kept, left_out): (Vec<_>, Vec<_>) = errs.iter().partition(|e| {
            use kubeward_policy::PolicyErrorKind::{CompileKept, SyncAnnotation};
            matches!(e.kind, CompileKept | SyncAnnotation)
        });
        errors.extend(left_out.into_iter().map(input_error));
        let kept = kept.into_iter().map(input_error).collect();
        (Self::new(set).map(Arc::new), errors, kept)
    }

    /// The engine's view of a compiled set (`None` when it has no constraint).
    pub fn new(set: PolicySet) -> Option<Policies> {
        if set.is_empty() {
            return None;
        }
        let controls = set
            .constraints()
            .iter()
            .map(|c| intern_control(meta_of(c)))
            .collect();
        Some(Policies {
            all_objects: set.needs_all_objects(),
            base: std::sync::RwLock::new(Arc::new(Inventory::new(set.objects()))),
            set,
            controls,
        })
    }

    /// The compiled set.
    pub fn set(&self) -> &PolicySet {
        &self.set
    }

    /// The inventory of the policy files' other documents (params, Namespaces) and of the
    /// objects synced from the cluster: what a request is evaluated with in `serve`.
    pub fn base_inventory(&self) -> Arc<Inventory> {
        match self.base.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replace the synced objects of the inventory (the policy files' own documents stay):
    /// the requests evaluated from now on see these.
    pub fn set_synced(&self, objects: &[serde_json::Value]) {
        let inventory = Arc::new(Inventory::new(
            objects.iter().chain(self.set.objects().iter()),
        ));
        match self.base.write() {
            Ok(mut g) => *g = inventory,
            Err(p) => *p.into_inner() = inventory,
        }
    }

    /// The constraints' controls.
    pub fn controls(&self) -> Vec<&'static dyn Control> {
        self.controls
            .iter()
            .map(|c| *c as &'static dyn Control)
            .collect()
    }

    /// The control of a constraint by ID or name.
    pub fn find(&self, key: &str) -> Option<&'static ControlMeta> {
        self.controls
            .iter()
            .map(|c| c.0)
            .find(|m| m.id == key || m.name == key)
    }

    /// The control of a violation.
    pub fn meta(&self, v: &Violation) -> Option<&'static ControlMeta> {
        self.controls.get(v.index).map(|c| c.0)
    }

    /// Whether some constraint is evaluated after the last object ([`Stage::AllObjects`]).
    pub fn needs_all_objects(&self) -> bool {
        self.all_objects
    }

    /// A finding of a violation on `object` (the object's tree, when it is still at hand,
    /// locates the field the message names).
    pub(crate) fn finding(
        &self,
        v: Violation,
        object: Arc<ObjectId>,
        file: &Arc<str>,
        root: Option<NodeRef<'_>>,
        metadata_pos: Pos,
    ) -> Option<Finding> {
        if v.ignored {
            // failurePolicy: Ignore: the admission controller would let the object in.
            return None;
        }
        let meta = self.meta(&v)?;
        let field_path = v.details.get("fieldPath").and_then(Value::as_str);
        let (pos, path) = root
            .and_then(|r| match field_path {
                Some(fp) => resolve_nearest(r, fp),
                None => locate_in_message(r, &v.message),
            })
            .unwrap_or((metadata_pos, FieldPath::from_keys(&["metadata"])));
        let message = if v.evaluation_error {
            format!(
                "the policy could not be evaluated (the admission controller would refuse the object): {}",
                v.message
            )
        } else {
            v.message
        };
        Some(Finding {
            control: meta,
            severity: meta.severity,
            object,
            file: file.clone(),
            pos,
            path,
            message,
            suppressed: None,
        })
    }
}

/// Where an object's `metadata` is (or the object itself).
pub(crate) fn metadata_pos(root: NodeRef<'_>) -> Pos {
    root.get("metadata").map_or(root.pos(), |m| m.pos())
}

/// Evaluate the constraints that need only the object.
pub(crate) fn review_object(policies: &Policies, json: &Value) -> Vec<Violation> {
    match Review::from_object(json) {
        Ok(r) => policies
            .set
            .review_stage(&r, &policies.base_inventory(), Stage::Object),
        // Cannot happen for an object the engine read (it has apiVersion, kind and name).
        Err(_) => Vec::new(),
    }
}

/// An object kept for the evaluation after the last object is read.
#[derive(Debug)]
pub struct HeldObject {
    /// The object as compact JSON: a parsed `serde_json::Value` costs about 25 times its JSON
    /// text (a B-tree node per map), and a large scan may hold tens of thousands of objects
    /// until its last one is read. Parsed again when reviewed or added to the inventory.
    pub(crate) json: Box<[u8]>,
    pub(crate) file: Arc<str>,
    pub(crate) object: Arc<ObjectId>,
    pub(crate) pos: Pos,
    pub(crate) ignores: Vec<(&'static str, String)>,
    pub(crate) platform: Option<&'static str>,
    /// A constraint of the last stage may apply to it.
    pub(crate) review: bool,
    /// `data.inventory` (or a Namespace, params or RBAC lookup) needs it
    /// ([`kubeward_policy::PolicySet::inventory_needs`]).
    pub(crate) inventory: bool,
}

impl HeldObject {
    fn value(&self) -> Option<Value> {
        // Written by serde_json from a Value in this process: cannot fail to parse back.
        serde_json::from_slice(&self.json).ok()
    }
}

/// Evaluate the constraints that need every object over the held objects; the findings with
/// the object each is on.
pub(crate) fn review_held<'h>(
    policies: &Policies,
    held: &'h [HeldObject],
) -> Vec<(&'h HeldObject, Violation)> {
    use rayon::prelude::*;
    if !held.iter().any(|h| h.review) {
        // Nothing to review (the objects were kept for an inventory no one reads).
        return Vec::new();
    }
    // Only what the inventory needs joins it (as Gatekeeper syncs only the kinds its
    // templates ask for): an object held only to be reviewed is not copied into it.
    let inventory = Inventory::from_json(
        held.iter()
            .filter(|h| h.inventory)
            .map(|h| h.json.clone())
            .chain(
                policies
                    .set
                    .objects()
                    .iter()
                    .filter_map(|o| serde_json::to_vec(o).ok().map(Vec::into_boxed_slice)),
            ),
    );
    // On every core, as the first pass: a referential template reads the whole inventory for
    // each object it reviews.
    let per_object: Vec<Vec<Violation>> = held
        .par_iter()
        .map(|h| match h.review.then(|| h.value()).flatten() {
            Some(v) => match Review::from_object(&v) {
                Ok(r) => policies.set.review_stage(&r, &inventory, Stage::AllObjects),
                Err(_) => Vec::new(),
            },
            None => Vec::new(),
        })
        .collect();
    held.iter()
        .zip(per_object)
        .flat_map(|(h, vs)| vs.into_iter().map(move |v| (h, v)))
        .collect()
}

/// The node at a field path of the object's tree (`spec.containers[0].image`,
/// `.metadata.labels['app.kubernetes.io/name']`), with the path as kubeward writes it; `None`
/// unless every step exists.
pub fn resolve_path<'a>(root: NodeRef<'a>, path: &str) -> Option<(NodeRef<'a>, FieldPath)> {
    let mut node = root;
    let mut fp = FieldPath::root();
    let mut rest = path.trim().trim_start_matches('.');
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = &r[..end];
            rest = r[end + 1..].trim_start_matches('.');
            if let Ok(i) = inner.parse::<usize>() {
                node = node.items().nth(i)?;
                fp = fp.index(i);
            } else {
                let key = inner.trim_matches(|c| c == '\'' || c == '"');
                node = node.get(key)?;
                fp = fp.key(key);
            }
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() {
                return None;
            }
            node = node.get(key)?;
            fp = fp.key(key);
            rest = rest[end..].strip_prefix('.').unwrap_or(&rest[end..]);
        }
    }
    Some((node, fp))
}

/// The node at a field path (a ValidatingAdmissionPolicy's `fieldPath`), or its nearest
/// existing parent.
fn resolve_nearest(root: NodeRef<'_>, path: &str) -> Option<(Pos, FieldPath)> {
    let mut p = path.trim();
    loop {
        if let Some((node, fp)) = resolve_path(root, p) {
            return Some((node.pos(), fp));
        }
        let cut = p.rfind(['.', '['])?;
        p = &p[..cut];
    }
}

/// The first field path of the object that the message names (a token starting with a
/// top-level key of the object, such as `spec.replicas` or `spec.containers[0].image`), if
/// every step of it exists.
fn locate_in_message(root: NodeRef<'_>, message: &str) -> Option<(Pos, FieldPath)> {
    let is_path_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '[' | ']' | '_' | '-' | '\'');
    for token in message.split(|c: char| !is_path_char(c)) {
        let token = token.trim_matches(|c| c == '.' || c == '\'' || c == '-');
        let Some((first, _)) = token.split_once(['.', '[']) else {
            continue;
        };
        if first == "metadata" && !token.contains('.') {
            continue;
        }
        if root.get(first).is_none() || !root.is_map() {
            continue;
        }
        if let Some((node, fp)) = resolve_path(root, token) {
            return Some((node.pos(), fp));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> kubeward_yaml::ParsedChunk {
        kubeward_yaml::parse_str(text, &kubeward_yaml::Limits::default())
    }

    #[test]
    fn field_paths_resolve_in_the_tree() {
        let p = tree("spec:\n  containers:\n  - name: a\n    image: nginx\nmetadata:\n  labels:\n    app.kubernetes.io/name: x\n");
        let root = p.documents[0].root();
        let (n, fp) = resolve_path(root, "spec.containers[0].image").unwrap();
        assert_eq!((n.pos().line, n.pos().column), (4, 5));
        assert_eq!(fp.as_str(), "spec.containers[0].image");
        let (n, fp) = resolve_path(root, ".metadata.labels['app.kubernetes.io/name']").unwrap();
        assert_eq!(n.pos().line, 7);
        assert_eq!(fp.as_str(), "metadata.labels['app.kubernetes.io/name']");
        assert!(resolve_path(root, "spec.containers[1]").is_none());
        assert!(resolve_path(root, "").is_none());
        let (_, fp) =
            locate_in_message(root, "image of spec.containers[0].image is not allowed").unwrap();
        assert_eq!(fp.as_str(), "spec.containers[0].image");
        assert!(locate_in_message(root, "you must provide labels").is_none());
    }

    #[test]
    fn policy_ids_in_config_have_the_kind_name_shape() {
        assert_eq!(
            policy_control_id("K8sRequiredLabels/must-have-owner"),
            Some("K8sRequiredLabels/must-have-owner")
        );
        assert_eq!(policy_control_id("KW101"), None);
        assert_eq!(policy_control_id("/x"), None);
        assert_eq!(policy_control_id("a b/c"), None);
    }
}
