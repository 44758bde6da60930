//! The detections: what each audit control (KW1001-KW1013) looks for in one event.
//!
//! Everything here is per event and stateless, so it runs on the rayon workers; the one
//! detection that needs time windows (KW1009, bursts of 401/403) is in [`crate::burst`] and
//! runs in input order on the reading thread.

use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use kubeward_controls::audit::{
    admission_webhook_changed::AdmissionWebhookChanged, anonymous_request::AnonymousRequest,
    csr_approved::CsrApproved, events_deleted::EventsDeleted, exec_into_pod::ExecIntoPod,
    impersonation::Impersonation, node_proxy::NodeProxy, port_forward::PortForward,
    privileged_workload::PrivilegedWorkload, rbac_privilege_grant::RbacPrivilegeGrant,
    secret_read::SecretRead, service_account_token::ServiceAccountToken,
};
use kubeward_controls::{registry, Control, ControlMeta, Settings, Severity};
use kubeward_engine::Engine;
use kubeward_model::ObjectId;
use kubeward_yaml::Limits;
use serde_json::value::RawValue;

use crate::event::{Event, UserInfo};

/// One detection in one event, before the event reference is attached.
#[derive(Debug)]
pub struct Hit {
    pub control: &'static ControlMeta,
    pub severity: Severity,
    /// Field path inside the event (`objectRef.subresource`, `requestObject.spec.hostPID`).
    pub path: String,
    /// Byte offset of that field's value in the line (0-based), when known.
    pub offset: Option<usize>,
    pub message: String,
}

/// What the detections need to know about the run.
pub struct Detector {
    trusted: GlobSet,
    workloads: Engine,
    rbac: Engine,
    enabled: Vec<&'static str>,
}

/// Pod controls applied to workload request bodies (KW1005).
const WORKLOAD_CONTROLS: [&str; 3] = ["KW101", "KW102", "KW103"];

/// Kinds that carry a pod template, by resource name (and the API group they live in).
const POD_BEARING: [(&str, &str); 9] = [
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("", "podtemplates"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// RBAC controls applied to RBAC request bodies (KW1006): wildcard rules (KW601, KW602),
/// bindings to cluster-admin, anonymous, all authenticated users or system:masters (KW604,
/// KW605, KW606, KW619), and the escalate, bind and impersonate verbs (KW611-KW613).
const RBAC_CONTROLS: [&str; 9] = [
    "KW601", "KW602", "KW604", "KW605", "KW606", "KW611", "KW612", "KW613", "KW619",
];

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Non-resource paths the default `system:public-info-viewer` binding opens to everyone.
fn public_info_path(uri: &str) -> bool {
    let path = uri.split('?').next().unwrap_or(uri);
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || path == "/version"
        || path == "/version/"
}

/// Kubernetes' own components: their reads of secrets, token requests and the like are
/// how the cluster works.
pub fn is_system_component(user: &UserInfo<'_>) -> bool {
    let name = user.name();
    matches!(
        name,
        "system:apiserver"
            | "system:kube-controller-manager"
            | "system:kube-scheduler"
            | "system:kube-proxy"
    ) || name.starts_with("system:node:")
        || name.starts_with("system:serviceaccount:kube-system:")
        || user.in_group("system:nodes")
}

impl Detector {
    /// `trusted`: globs of user names treated like system components. `enabled`: the audit
    /// control IDs to run.
    pub fn new(trusted: &[String], enabled: Vec<&'static str>) -> Result<Detector, String> {
        let mut set = GlobSetBuilder::new();
        for pattern in trusted {
            set.add(Glob::new(pattern).map_err(|e| format!("bad user pattern {pattern:?}: {e}"))?);
        }
        let pick = |wanted: &dyn Fn(&dyn Control) -> bool| -> Vec<&'static dyn Control> {
            registry::all()
                .iter()
                .copied()
                .filter(|c| wanted(*c))
                .collect()
        };
        let workloads = pick(&|c| WORKLOAD_CONTROLS.contains(&c.meta().id));
        let rbac = pick(&|c| RBAC_CONTROLS.contains(&c.meta().id));
        Ok(Detector {
            trusted: set.build().map_err(|e| e.to_string())?,
            workloads: Engine::new(workloads, Settings::default(), Limits::default()),
            rbac: Engine::new(rbac, Settings::default(), Limits::default()),
            enabled,
        })
    }

    pub fn trusted(&self, user: &UserInfo<'_>) -> bool {
        is_system_component(user) || self.trusted.is_match(user.name())
    }

    /// Whether the identity acting is Kubernetes itself (or trusted): the real user and, when
    /// impersonating, the impersonated one too.
    fn actor_trusted(&self, ev: &Event<'_>) -> bool {
        self.trusted(&ev.user)
            && ev
                .impersonated_user
                .as_ref()
                .is_none_or(|u| self.trusted(u))
    }

    pub fn enabled(&self, meta: &ControlMeta) -> bool {
        self.enabled.contains(&meta.id)
    }

    /// Every stateless detection for one final event of `line`.
    pub fn check(&self, ev: &Event<'_>, line: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        let o = ev.object();
        let verb = &*ev.verb;
        let (group, resource, sub) = (o.group(), o.resource(), o.subresource());
        let actor_trusted = self.actor_trusted(ev);
        let mut hit =
            |meta: &'static ControlMeta, path: &str, offset: Option<usize>, what: String| {
                if self.enabled(meta) {
                    hits.push(Hit {
                        control: meta,
                        severity: adjusted(meta.severity, ev),
                        path: path.to_string(),
                        offset,
                        message: format!("{} {what}: {}", actor(ev), outcome(ev)),
                    });
                }
            };
        let sub_at = || offset_of(line, o.subresource.as_deref());
        let resource_at = || offset_of(line, o.resource.as_deref());
        let verb_at = || offset_of(line, Some(&ev.verb));

        let anonymous =
            ev.user.name() == "system:anonymous" || ev.user.in_group("system:unauthenticated");
        if anonymous && !ev.denied() && ev.code().is_some() && !public_info_path(&ev.request_uri())
        {
            let reason = ev
                .authorization_reason()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            hit(
                &AnonymousRequest::META,
                "user.username",
                offset_of(line, ev.user.username.as_deref()),
                format!("{verb} {}{reason}", target(ev)),
            );
        }
        if group.is_empty() && resource == "pods" && matches!(sub, "exec" | "attach") {
            hit(
                &ExecIntoPod::META,
                "objectRef.subresource",
                sub_at(),
                format!("ran {sub} in pod {}", named(ev)),
            );
        }
        if group.is_empty() && resource == "pods" && sub == "portforward" {
            hit(
                &PortForward::META,
                "objectRef.subresource",
                sub_at(),
                format!("port-forwarded into pod {}", named(ev)),
            );
        }
        if group.is_empty()
            && resource == "secrets"
            && sub.is_empty()
            && matches!(verb, "get" | "list" | "watch")
            && !actor_trusted
        {
            hit(
                &SecretRead::META,
                "objectRef.resource",
                resource_at(),
                format!("{verb} {}", target(ev)),
            );
        }
        if group.is_empty()
            && resource == "serviceaccounts"
            && sub == "token"
            && verb == "create"
            && !actor_trusted
        {
            hit(
                &ServiceAccountToken::META,
                "objectRef.subresource",
                sub_at(),
                format!("requested a token for service account {}", named(ev)),
            );
        }
        if let Some(imp) = &ev.impersonated_user {
            if !self.trusted(&ev.user) {
                let groups = imp.groups();
                let as_groups = if groups.is_empty() {
                    String::new()
                } else {
                    format!(" (groups {})", groups.join(", "))
                };
                hit(
                    &Impersonation::META,
                    "impersonatedUser.username",
                    offset_of(line, imp.username.as_deref()),
                    format!(
                        "impersonated {:?}{as_groups} to {verb} {}",
                        imp.name(),
                        target(ev)
                    ),
                );
            }
        }
        if group == "admissionregistration.k8s.io"
            && matches!(
                resource,
                "validatingwebhookconfigurations" | "mutatingwebhookconfigurations"
            )
            && matches!(
                verb,
                "create" | "update" | "patch" | "delete" | "deletecollection"
            )
            && !actor_trusted
        {
            hit(
                &AdmissionWebhookChanged::META,
                "objectRef.resource",
                resource_at(),
                format!("{verb} {}", target(ev)),
            );
        }
        if group.is_empty() && resource == "nodes" && sub == "proxy" && !actor_trusted {
            let uri = ev.request_uri();
            let path = uri.split_once("/proxy").map_or("", |(_, rest)| rest);
            hit(
                &NodeProxy::META,
                "objectRef.subresource",
                sub_at(),
                format!(
                    "{verb} through the kubelet of node {} ({})",
                    named(ev),
                    if path.is_empty() { "/" } else { path }
                ),
            );
        }
        if group == "certificates.k8s.io"
            && resource == "certificatesigningrequests"
            && sub == "approval"
            && matches!(verb, "update" | "patch")
            && !actor_trusted
        {
            hit(
                &CsrApproved::META,
                "objectRef.subresource",
                sub_at(),
                format!("approved certificate signing request {}", named(ev)),
            );
        }
        if matches!(group, "" | "events.k8s.io")
            && resource == "events"
            && matches!(verb, "delete" | "deletecollection")
            && !actor_trusted
        {
            hit(
                &EventsDeleted::META,
                "verb",
                verb_at(),
                format!("{verb} {}", target(ev)),
            );
        }
        let is_write = matches!(verb, "create" | "update" | "patch");
        if is_write && sub.is_empty() && !actor_trusted {
            if POD_BEARING.contains(&(group, resource))
                && self.enabled(&PrivilegedWorkload::META)
                && may_be_risky_pod(line)
            {
                self.body_findings(
                    ev,
                    line,
                    &self.workloads,
                    may_be_risky_pod,
                    &PrivilegedWorkload::META,
                    &mut hits,
                );
            }
            if group == RBAC_GROUP
                && matches!(
                    resource,
                    "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
                )
                && self.enabled(&RbacPrivilegeGrant::META)
            {
                let judged = self.body_findings(
                    ev,
                    line,
                    &self.rbac,
                    |_| true,
                    &RbacPrivilegeGrant::META,
                    &mut hits,
                );
                if !judged {
                    let why = if ev.level == "Metadata" {
                        format!("the request body was not logged (level {})", ev.level)
                    } else {
                        "the logged body is a patch, not the resulting object (log RBAC at RequestResponse)".to_string()
                    };
                    hits.push(Hit {
                        control: &RbacPrivilegeGrant::META,
                        severity: lower(adjusted(RbacPrivilegeGrant::META.severity, ev)),
                        path: "objectRef.resource".to_string(),
                        offset: resource_at(),
                        message: format!(
                            "{} {verb} {}: {}; {why}, so what it grants is unknown (`kubeward audit policy` logs it)",
                            actor(ev),
                            target(ev),
                            outcome(ev)
                        ),
                    });
                }
            }
        }
        hits
    }

    /// Run `engine`'s controls over the object the request wrote: the request body, or for a
    /// patch the stored object in the response. Returns whether a whole object was judged.
    fn body_findings(
        &self,
        ev: &Event<'_>,
        line: &str,
        engine: &Engine,
        worth_parsing: fn(&str) -> bool,
        meta: &'static ControlMeta,
        hits: &mut Vec<Hit>,
    ) -> bool {
        let (body, field): (Option<&RawValue>, &str) = if ev.verb == "patch" {
            (ev.response_object, "responseObject")
        } else {
            (ev.request_object, "requestObject")
        };
        let Some(body) = body else { return false };
        let text = body.get();
        // Only objects: a patch body, a Status, or a List is not what the controls judge.
        if !text.starts_with('{') {
            return false;
        }
        if !worth_parsing(text) {
            return true;
        }
        let result = engine.scan_text(field, text);
        if result.objects == 0 {
            return false;
        }
        let base = offset_of(line, Some(text));
        // One finding per field: the most severe control's, naming the others (a wildcard
        // rule trips several controls at the same `resources[0]`).
        let mut findings: Vec<&kubeward_engine::Finding> = result.findings.iter().collect();
        findings.sort_by(|a, b| a.path.cmp(&b.path).then(b.severity.cmp(&a.severity)));
        let mut i = 0;
        while i < findings.len() {
            let f = findings[i];
            let same = findings[i..]
                .iter()
                .take_while(|g| g.path == f.path)
                .count();
            let also: Vec<&str> = findings[i + 1..i + same]
                .iter()
                .map(|g| g.control.id)
                .collect();
            i += same;
            let also = if also.is_empty() {
                String::new()
            } else {
                format!("; also {}", also.join(", "))
            };
            // The body is one line of JSON, so the column is an offset into it.
            let offset = base.map(|b| b + f.pos.column.saturating_sub(1) as usize);
            hits.push(Hit {
                control: meta,
                severity: adjusted(f.control.severity.clamp(Severity::High, meta.severity), ev),
                path: if f.path.as_str().is_empty() {
                    field.to_string()
                } else {
                    format!("{field}.{}", f.path)
                },
                offset,
                message: format!(
                    "{} {} {}: {}: {} ({} {}{also})",
                    actor(ev),
                    ev.verb,
                    target(ev),
                    outcome(ev),
                    f.message,
                    f.control.id,
                    f.control.name
                ),
            });
        }
        true
    }
}

/// Whether a body can hold something KW101-KW103 report: they only look at the fields named
/// here, so a body without any of them needs no YAML parse (most workload writes: this cut
/// the cost of a realistic log by half). The API server writes the bodies it logs itself,
/// with plain keys; any `\u` escape in the body sends it to the full check anyway.
fn may_be_risky_pod(body: &str) -> bool {
    use memchr::memmem::find;
    let b = body.as_bytes();
    [
        "\"privileged\"",
        "\"hostPID\"",
        "\"hostIPC\"",
        "\"hostNetwork\"",
        "\"hostPath\"",
        "\\u",
    ]
    .iter()
    .any(|key| find(b, key.as_bytes()).is_some())
}

/// A denied or failed attempt counts one severity lower than a request that went through.
pub fn adjusted(severity: Severity, ev: &Event<'_>) -> Severity {
    if ev.denied() {
        lower(severity)
    } else {
        severity
    }
}

pub fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// `alice` or `alice (as bob)`.
pub fn actor(ev: &Event<'_>) -> String {
    let name = match ev.user.name() {
        "" => "an unauthenticated client".to_string(),
        n => n.to_string(),
    };
    match &ev.impersonated_user {
        Some(imp) => format!("{name} (as {})", imp.name()),
        None => name,
    }
}

/// `allowed (200)`, `denied (403)`, `failed (404)`.
pub fn outcome(ev: &Event<'_>) -> String {
    match ev.code() {
        None => "no response code".to_string(),
        Some(c) if c < 400 => format!("allowed ({c})"),
        Some(401) => "unauthenticated (401)".to_string(),
        Some(403) => "denied (403)".to_string(),
        Some(c) => format!("failed ({c})"),
    }
}

/// `default/web` or `web` (cluster-scoped) or `*`.
fn named(ev: &Event<'_>) -> String {
    let o = ev.object();
    let name = o.name.as_deref().unwrap_or("*");
    match o.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}

/// What the request was about: `secrets default/db`, `secrets in namespace default`,
/// `clusterrolebindings evil`, or the path of a non-resource request.
pub fn target(ev: &Event<'_>) -> String {
    let o = ev.object();
    if o.resource().is_empty() {
        return ev.request_uri().split('?').next().unwrap_or("").to_string();
    }
    let mut kind = o.resource().to_string();
    if !o.subresource().is_empty() {
        kind = format!("{kind}/{}", o.subresource());
    }
    match (o.namespace.as_deref(), o.name.as_deref()) {
        (Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (None, Some(name)) => format!("{kind} {name}"),
        (Some(ns), None) => format!("{kind} in namespace {ns}"),
        (None, None) => format!("{kind} in all namespaces"),
    }
}

/// The object a finding is about, in the shape every reporter knows.
pub fn object_id(ev: &Event<'_>) -> Arc<ObjectId> {
    let o = ev.object();
    if o.resource().is_empty() {
        return Arc::new(ObjectId {
            api_version: String::new(),
            kind: "NonResourceURL".to_string(),
            namespace: None,
            name: ev.request_uri().split('?').next().unwrap_or("").to_string(),
        });
    }
    let version = o.api_version.as_deref().unwrap_or("");
    let api_version = match o.group() {
        "" => version.to_string(),
        g => format!("{g}/{version}"),
    };
    let kind = if o.subresource().is_empty() {
        o.resource().to_string()
    } else {
        format!("{}/{}", o.resource(), o.subresource())
    };
    Arc::new(ObjectId {
        api_version,
        kind,
        namespace: o.namespace.as_ref().map(|n| n.to_string()),
        name: o.name.as_deref().unwrap_or("*").to_string(),
    })
}

/// Where a string borrowed from `line` starts in it (an escaped string is a copy: unknown).
pub fn offset_of(line: &str, value: Option<&str>) -> Option<usize> {
    let v = value?;
    let start = line.as_ptr() as usize;
    let at = v.as_ptr() as usize;
    (at >= start && at + v.len() <= start + line.len()).then(|| at - start)
}
