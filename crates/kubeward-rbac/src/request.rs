//! What is asked: a verb on a resource (with subresource and name) in a namespace, or on a
//! non-resource URL, and how the command line names it.

use std::fmt;

/// A request, as the authorizer receives its attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub verb: String,
    /// "" for a cluster-wide request (cluster-scoped resources, all namespaces).
    pub namespace: String,
    pub target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Resource {
        group: String,
        resource: String,
        subresource: String,
        /// "" when the request names no object (create, list).
        name: String,
    },
    NonResource {
        path: String,
    },
}

impl Request {
    pub fn resource(verb: &str, group: &str, resource: &str, namespace: &str) -> Request {
        Request {
            verb: verb.to_string(),
            namespace: namespace.to_string(),
            target: Target::Resource {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: String::new(),
                name: String::new(),
            },
        }
    }
}

impl fmt::Display for Request {
    /// `get secrets "db" in namespace "prod"`, `create pods/exec cluster-wide`,
    /// `get deployments.apps`, `get /metrics`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::NonResource { path } => write!(f, "{} {}", self.verb, path),
            Target::Resource {
                group,
                resource,
                subresource,
                name,
            } => {
                write!(f, "{} {resource}", self.verb)?;
                if !group.is_empty() {
                    write!(f, ".{group}")?;
                }
                if !subresource.is_empty() {
                    write!(f, "/{subresource}")?;
                }
                if !name.is_empty() {
                    write!(f, " {name:?}")?;
                }
                if self.namespace.is_empty() {
                    write!(f, " cluster-wide")
                } else {
                    write!(f, " in namespace {:?}", self.namespace)
                }
            }
        }
    }
}

/// Built-in resources by plural name and short name, with their API group, so that
/// `who-can create deployments` needs no `.apps`. Written from the Kubernetes API reference;
/// anything else is named with its group (`widgets.example.com`).
const WELL_KNOWN: &[(&str, &str, &[&str])] = &[
    ("", "pods", &["po"]),
    ("", "services", &["svc"]),
    ("", "secrets", &[]),
    ("", "configmaps", &["cm"]),
    ("", "serviceaccounts", &["sa"]),
    ("", "namespaces", &["ns"]),
    ("", "nodes", &["no"]),
    ("", "persistentvolumes", &["pv"]),
    ("", "persistentvolumeclaims", &["pvc"]),
    ("", "endpoints", &["ep"]),
    ("", "events", &["ev"]),
    ("", "limitranges", &["limits"]),
    ("", "resourcequotas", &["quota"]),
    ("", "replicationcontrollers", &["rc"]),
    ("", "podtemplates", &[]),
    ("", "bindings", &[]),
    ("", "componentstatuses", &["cs"]),
    ("", "users", &[]),
    ("", "groups", &[]),
    ("apps", "deployments", &["deploy"]),
    ("apps", "daemonsets", &["ds"]),
    ("apps", "statefulsets", &["sts"]),
    ("apps", "replicasets", &["rs"]),
    ("apps", "controllerrevisions", &[]),
    ("batch", "jobs", &[]),
    ("batch", "cronjobs", &["cj"]),
    ("autoscaling", "horizontalpodautoscalers", &["hpa"]),
    ("policy", "poddisruptionbudgets", &["pdb"]),
    ("networking.k8s.io", "ingresses", &["ing"]),
    ("networking.k8s.io", "ingressclasses", &[]),
    ("networking.k8s.io", "networkpolicies", &["netpol"]),
    ("discovery.k8s.io", "endpointslices", &[]),
    ("rbac.authorization.k8s.io", "roles", &[]),
    ("rbac.authorization.k8s.io", "rolebindings", &[]),
    ("rbac.authorization.k8s.io", "clusterroles", &[]),
    ("rbac.authorization.k8s.io", "clusterrolebindings", &[]),
    (
        "certificates.k8s.io",
        "certificatesigningrequests",
        &["csr"],
    ),
    ("certificates.k8s.io", "signers", &[]),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        &["crd", "crds"],
    ),
    ("apiregistration.k8s.io", "apiservices", &[]),
    ("storage.k8s.io", "storageclasses", &["sc"]),
    ("storage.k8s.io", "volumeattachments", &[]),
    ("storage.k8s.io", "csidrivers", &[]),
    ("storage.k8s.io", "csinodes", &[]),
    ("coordination.k8s.io", "leases", &[]),
    ("scheduling.k8s.io", "priorityclasses", &["pc"]),
    ("node.k8s.io", "runtimeclasses", &[]),
    ("authentication.k8s.io", "tokenreviews", &[]),
    ("authentication.k8s.io", "userextras", &[]),
    ("authentication.k8s.io", "uids", &[]),
    ("authorization.k8s.io", "subjectaccessreviews", &[]),
    ("authorization.k8s.io", "selfsubjectaccessreviews", &[]),
    ("authorization.k8s.io", "localsubjectaccessreviews", &[]),
    ("authorization.k8s.io", "selfsubjectrulesreviews", &[]),
    ("flowcontrol.apiserver.k8s.io", "flowschemas", &[]),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
        &[],
    ),
];

/// Parse the command line's resource: `pods`, `pods/exec`, `deploy`, `deployments.apps`,
/// `deployments.apps/scale`, `widgets.example.com`, or a non-resource URL (`/metrics`).
pub fn parse_target(text: &str, name: &str) -> Result<Target, String> {
    if text.starts_with('/') {
        if !name.is_empty() {
            return Err(format!(
                "--name does not apply to the non-resource URL {text}"
            ));
        }
        return Ok(Target::NonResource {
            path: text.to_string(),
        });
    }
    let (qualified, subresource) = text.split_once('/').unwrap_or((text, ""));
    if qualified.is_empty() || subresource.contains('/') {
        return Err(format!(
            "invalid resource {text:?} (expected RESOURCE[.GROUP][/SUBRESOURCE], e.g. pods/exec or deployments.apps)"
        ));
    }
    let (group, resource) = match qualified.split_once('.') {
        // ".apps" or "deployments.": both halves are needed (found by fuzzing).
        Some((resource, group)) if resource.is_empty() || group.is_empty() => {
            return Err(format!(
                "invalid resource {text:?} (expected RESOURCE[.GROUP][/SUBRESOURCE], e.g. pods/exec or deployments.apps)"
            ));
        }
        Some((resource, group)) => (group.to_string(), resource.to_string()),
        None => {
            let (group, plural, _) = WELL_KNOWN
                .iter()
                .find(|(_, plural, short)| *plural == qualified || short.contains(&qualified))
                .ok_or_else(|| {
                    format!(
                        "unknown resource {qualified:?}: name it with its API group, as RESOURCE.GROUP (widgets.example.com)"
                    )
                })?;
            (group.to_string(), plural.to_string())
        }
    };
    Ok(Target::Resource {
        group,
        resource,
        subresource: subresource.to_string(),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(text: &str) -> (String, String, String) {
        match parse_target(text, "").unwrap() {
            Target::Resource {
                group,
                resource,
                subresource,
                ..
            } => (group, resource, subresource),
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn a_group_needs_a_resource_and_a_resource_a_group() {
        // The fuzzer's input: `who-can get .authorization.k8s.io` became resource "".
        for text in [".authorization.k8s.io", "deployments.", ".", "./exec"] {
            let err = parse_target(text, "").unwrap_err();
            assert!(err.contains("invalid resource"), "{text}: {err}");
        }
    }

    #[test]
    fn resources() {
        assert_eq!(res("pods"), ("".into(), "pods".into(), "".into()));
        assert_eq!(res("po/exec"), ("".into(), "pods".into(), "exec".into()));
        assert_eq!(
            res("deploy"),
            ("apps".into(), "deployments".into(), "".into())
        );
        assert_eq!(
            res("deployments.apps/scale"),
            ("apps".into(), "deployments".into(), "scale".into())
        );
        assert_eq!(
            res("clusterroles.rbac.authorization.k8s.io"),
            (
                "rbac.authorization.k8s.io".into(),
                "clusterroles".into(),
                "".into()
            )
        );
        assert_eq!(
            parse_target("/metrics", "").unwrap(),
            Target::NonResource {
                path: "/metrics".into()
            }
        );
        for bad in ["widgets", "", "/x", "pods/a/b"] {
            if bad == "/x" {
                assert!(parse_target(bad, "n").is_err());
            } else {
                assert!(parse_target(bad, "").is_err(), "{bad}");
            }
        }
    }
}
