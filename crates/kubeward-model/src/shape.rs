//! The types Kubernetes requires of the fields kubeward reads.
//!
//! The API server refuses `containers: "x"` or `runAsUser: "0"`; a scanner that silently read
//! them as "absent" would pass a manifest that can never be applied, or miss what was meant.
//! This is a partial schema on purpose: only fields some control reads, so that unknown and
//! newer fields never cause errors. Null is accepted everywhere (it means "absent").

use kubeward_yaml::{NodeRef, Problem, ValueType};

use crate::{FieldPath, Object};

#[derive(Debug)]
pub enum Shape {
    Bool,
    Int,
    Str,
    IntOrStr,
    Map(&'static [(&'static str, Shape)]),
    MapOf(&'static Shape),
    List(&'static Shape),
    Any,
}

use Shape::*;

const SECCOMP: Shape = Map(&[("type", Str), ("localhostProfile", Str)]);
const APPARMOR: Shape = Map(&[("type", Str), ("localhostProfile", Str)]);
const SELINUX: Shape = Map(&[("user", Str), ("role", Str), ("type", Str), ("level", Str)]);
const WINDOWS: Shape = Map(&[
    ("hostProcess", Bool),
    ("runAsUserName", Str),
    ("gmsaCredentialSpecName", Str),
    ("gmsaCredentialSpec", Str),
]);
const HANDLER: Shape = Map(&[
    (
        "httpGet",
        Map(&[
            ("host", Str),
            ("port", IntOrStr),
            ("path", Str),
            ("scheme", Str),
        ]),
    ),
    ("tcpSocket", Map(&[("host", Str), ("port", IntOrStr)])),
    ("exec", Map(&[("command", List(&Str))])),
    ("grpc", Map(&[("port", Int), ("service", Str)])),
]);
const PROBE: Shape = HANDLER;

const CONTAINER: Shape = Map(&[
    ("name", Str),
    ("image", Str),
    ("imagePullPolicy", Str),
    ("restartPolicy", Str),
    (
        "securityContext",
        Map(&[
            ("privileged", Bool),
            ("allowPrivilegeEscalation", Bool),
            ("readOnlyRootFilesystem", Bool),
            ("runAsNonRoot", Bool),
            ("runAsUser", Int),
            ("runAsGroup", Int),
            ("procMount", Str),
            (
                "capabilities",
                Map(&[("add", List(&Str)), ("drop", List(&Str))]),
            ),
            ("seccompProfile", SECCOMP),
            ("seLinuxOptions", SELINUX),
            ("appArmorProfile", APPARMOR),
            ("windowsOptions", WINDOWS),
        ]),
    ),
    (
        "ports",
        List(&Map(&[
            ("containerPort", Int),
            ("hostPort", Int),
            ("hostIP", Str),
            ("protocol", Str),
            ("name", Str),
        ])),
    ),
    (
        "env",
        List(&Map(&[
            ("name", Str),
            ("value", Str),
            ("valueFrom", Map(&[])),
        ])),
    ),
    ("envFrom", List(&Map(&[]))),
    (
        "resources",
        Map(&[("limits", MapOf(&IntOrStr)), ("requests", MapOf(&IntOrStr))]),
    ),
    (
        "volumeMounts",
        List(&Map(&[
            ("name", Str),
            ("mountPath", Str),
            ("readOnly", Bool),
        ])),
    ),
    ("livenessProbe", PROBE),
    ("readinessProbe", PROBE),
    ("startupProbe", PROBE),
    (
        "lifecycle",
        Map(&[("postStart", HANDLER), ("preStop", HANDLER)]),
    ),
]);

/// The fields of a PodSpec that controls read.
pub const POD_SPEC: Shape = Map(&[
    ("hostNetwork", Bool),
    ("hostPID", Bool),
    ("hostIPC", Bool),
    ("hostUsers", Bool),
    ("shareProcessNamespace", Bool),
    ("automountServiceAccountToken", Bool),
    ("serviceAccountName", Str),
    ("serviceAccount", Str),
    ("runtimeClassName", Str),
    ("os", Map(&[("name", Str)])),
    (
        "securityContext",
        Map(&[
            ("runAsNonRoot", Bool),
            ("runAsUser", Int),
            ("runAsGroup", Int),
            ("fsGroup", Int),
            ("supplementalGroups", List(&Int)),
            ("seccompProfile", SECCOMP),
            ("seLinuxOptions", SELINUX),
            ("appArmorProfile", APPARMOR),
            ("windowsOptions", WINDOWS),
            ("sysctls", List(&Map(&[("name", Str), ("value", Str)]))),
        ]),
    ),
    ("containers", List(&CONTAINER)),
    ("initContainers", List(&CONTAINER)),
    ("ephemeralContainers", List(&CONTAINER)),
    (
        "volumes",
        List(&Map(&[
            ("name", Str),
            ("hostPath", Map(&[("path", Str), ("type", Str)])),
        ])),
    ),
]);

const METADATA: Shape = Map(&[
    ("name", Str),
    ("generateName", Str),
    ("namespace", Str),
    ("labels", MapOf(&Str)),
    ("annotations", MapOf(&Str)),
]);

fn matches(node: &NodeRef<'_>, shape: &Shape) -> bool {
    type_matches(node.value_type(), shape)
}

fn type_matches(t: ValueType, shape: &Shape) -> bool {
    t == ValueType::Null
        || match shape {
            Bool => t == ValueType::Bool,
            Int => t == ValueType::Int,
            Str => t == ValueType::String,
            IntOrStr => matches!(t, ValueType::Int | ValueType::String | ValueType::Float),
            Map(_) | MapOf(_) => t == ValueType::Mapping,
            List(_) => t == ValueType::Sequence,
            Any => true,
        }
}

fn expected(shape: &Shape) -> &'static str {
    match shape {
        Bool => "a boolean",
        Int => "an integer",
        Str => "a string",
        IntOrStr => "an integer or a string",
        Map(_) | MapOf(_) => "a mapping",
        List(_) => "a list",
        Any => "anything",
    }
}

/// A field of the wrong type: where it is, its field path and what is wrong.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub problem: Problem,
    /// The field that has the wrong type. Controls do not judge it nor anything under it
    /// (the engine drops their findings there): what it means is unknown.
    pub path: FieldPath,
}

/// Check `node` against `shape`, pushing one problem per wrong field.
pub fn check(node: NodeRef<'_>, shape: &Shape, path: &FieldPath, out: &mut Vec<Mismatch>) {
    let mut trail = Trail {
        base: path,
        steps: Vec::new(),
    };
    check_at(node, shape, &mut trail, out);
}

/// One step below the path a check started from.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where the check is, kept as steps and turned into a [`FieldPath`] only for a problem:
/// almost every field is well typed, and building its path was most of this check's time.
struct Trail<'p, 'a> {
    base: &'p FieldPath,
    steps: Vec<Step<'a>>,
}

impl Trail<'_, '_> {
    fn path(&self) -> FieldPath {
        self.steps
            .iter()
            .fold(self.base.clone(), |p, step| match step {
                Step::Key(k) => p.key(k),
                Step::Index(i) => p.index(*i),
            })
    }
}

fn check_at<'a>(
    node: NodeRef<'a>,
    shape: &Shape,
    trail: &mut Trail<'_, 'a>,
    out: &mut Vec<Mismatch>,
) {
    if !matches(&node, shape) {
        // The message names the field and the types, never the value: a wrong-typed value may
        // be a credential (an env value, a PIN), and no output of kubeward may quote one.
        let found = node.value_type();
        let hint = if matches!(shape, Str)
            && matches!(
                found,
                ValueType::Bool | ValueType::Int | ValueType::Float | ValueType::Null
            ) {
            " (quote it to make it a string)"
        } else if found == ValueType::String
            && !matches!(node.unquoted_type(), ValueType::String | ValueType::Null)
            && type_matches(node.unquoted_type(), shape)
        {
            " (remove the quotes)"
        } else {
            ""
        };
        let path = trail.path();
        out.push(Mismatch {
            problem: Problem {
                pos: node.pos(),
                message: format!(
                    "{path}: expected {}, found {}{hint}",
                    expected(shape),
                    found.describe()
                ),
            },
            path,
        });
        return;
    }
    let mut descend = |step: Step<'a>, value: NodeRef<'a>, s: &Shape, trail: &mut Trail<'_, 'a>| {
        trail.steps.push(step);
        check_at(value, s, trail, out);
        trail.steps.pop();
    };
    match shape {
        Map(fields) => {
            for (key, value) in node.entries() {
                if let Some((_, s)) = fields.iter().find(|(k, _)| *k == key) {
                    descend(Step::Key(key), value, s, trail);
                }
            }
        }
        MapOf(s) => {
            for (key, value) in node.entries() {
                descend(Step::Key(key), value, s, trail);
            }
        }
        List(s) => {
            for (i, item) in node.items().enumerate() {
                descend(Step::Index(i), item, s, trail);
            }
        }
        _ => {}
    }
}

/// Type problems in the parts of `obj` that controls read: metadata, and the pod spec of
/// pod-bearing kinds (with every parent on the way to it).
pub fn validate(obj: &Object<'_>) -> Vec<Problem> {
    mismatches(obj).into_iter().map(|m| m.problem).collect()
}

/// [`validate`]'s problems with the path of each wrong field.
pub fn mismatches(obj: &Object<'_>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(meta) = obj.metadata() {
        check(meta, &METADATA, &FieldPath::from("metadata"), &mut out);
    }
    if let Some(pod) = obj.pod() {
        // Every step to the pod spec must be a mapping.
        let keys: Vec<&str> = pod.spec_path.as_str().split('.').collect();
        let mut cur = obj.root;
        let mut path = FieldPath::root();
        for key in &keys {
            let Some(next) = cur.get(key) else { break };
            path = path.key(key);
            if !next.is_map() {
                check(next, &Map(&[]), &path, &mut out);
                break;
            }
            cur = next;
        }
        if let Some(spec) = pod.spec {
            check(spec, &POD_SPEC, &pod.spec_path, &mut out);
        }
        if let Some(meta) = pod.meta {
            if pod.meta_path.as_str() != "metadata" {
                check(meta, &METADATA, &pod.meta_path, &mut out);
            }
        }
    }
    out
}
