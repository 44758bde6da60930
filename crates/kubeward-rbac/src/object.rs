//! RBAC objects read from located YAML trees: owned, compact, and every rule, subject and
//! roleRef keeps the file, line, column and field path it came from.

use std::sync::Arc;

use kubeward_model::{labels, FieldPath, LabelSelector, Object, ObjectId};
use kubeward_yaml::{NodeRef, Pos};

pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The label Kubernetes puts on the roles and bindings it creates itself.
pub use kubeward_model::platform::BOOTSTRAP_LABEL;

/// Which object a piece comes from, and in which file.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: Arc<str>,
    pub object: Arc<ObjectId>,
}

/// A position in a file with the field path that leads to it.
#[derive(Clone, Debug)]
pub struct At {
    pub pos: Pos,
    pub path: FieldPath,
}

/// One PolicyRule, as written.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
    /// Where the rule is (`rules[2]`).
    pub pos: Pos,
    pub path: FieldPath,
}

impl Rule {
    /// `verbs=[get list] apiGroups=[""] resources=[secrets]` for messages, like
    /// `kubectl describe role` shows it.
    pub fn summary(&self) -> String {
        fn list(v: &[String]) -> String {
            let items: Vec<String> = v
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        "\"\"".to_string()
                    } else {
                        s.clone()
                    }
                })
                .collect();
            format!("[{}]", items.join(" "))
        }
        let mut parts = vec![format!("verbs={}", list(&self.verbs))];
        if !self.non_resource_urls.is_empty() {
            parts.push(format!("nonResourceURLs={}", list(&self.non_resource_urls)));
        }
        if !self.api_groups.is_empty() || !self.resources.is_empty() {
            parts.push(format!("apiGroups={}", list(&self.api_groups)));
            parts.push(format!("resources={}", list(&self.resources)));
        }
        if !self.resource_names.is_empty() {
            parts.push(format!("resourceNames={}", list(&self.resource_names)));
        }
        parts.join(" ")
    }
}

/// A Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct Role {
    pub cluster: bool,
    pub name: String,
    /// Empty for a ClusterRole.
    pub namespace: String,
    pub labels: kubeward_model::Labels,
    /// `aggregationRule.clusterRoleSelectors` of an aggregated ClusterRole.
    pub aggregation: Option<Vec<LabelSelector>>,
    pub rules: Vec<Rule>,
    /// `metadata.name`.
    pub pos: Pos,
    pub origin: Origin,
}

impl Role {
    pub fn kind(&self) -> &'static str {
        if self.cluster {
            "ClusterRole"
        } else {
            "Role"
        }
    }

    /// `ClusterRole "view"`, `Role "ci/deployer"`.
    pub fn describe(&self) -> String {
        if self.cluster {
            format!("ClusterRole {:?}", self.name)
        } else {
            format!("Role \"{}/{}\"", self.namespace, self.name)
        }
    }
}

/// One subject of a binding, as written (a ServiceAccount of a RoleBinding without a
/// namespace gets the binding's, as the authorizer does).
#[derive(Clone, Debug)]
pub struct BindingSubject {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub pos: Pos,
    pub path: FieldPath,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding {
    pub cluster: bool,
    pub name: String,
    /// Empty for a ClusterRoleBinding.
    pub namespace: String,
    pub role_kind: String,
    pub role_name: String,
    /// `roleRef.name` (or the binding's name when roleRef is missing).
    pub role_ref_pos: Pos,
    pub subjects: Vec<BindingSubject>,
    pub labels: kubeward_model::Labels,
    pub pos: Pos,
    pub origin: Origin,
}

impl Binding {
    pub fn kind(&self) -> &'static str {
        if self.cluster {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        }
    }

    /// `ClusterRoleBinding "ci-admin"`, `RoleBinding "ci/deployer"`.
    pub fn describe(&self) -> String {
        if self.cluster {
            format!("ClusterRoleBinding {:?}", self.name)
        } else {
            format!("RoleBinding \"{}/{}\"", self.namespace, self.name)
        }
    }

    /// One of the bindings Kubernetes creates itself (`system:...` or `cluster-admin`, with the
    /// bootstrapping label), whose grants to Kubernetes' own identities are no finding.
    pub fn is_kubernetes_default(&self) -> bool {
        self.labels.get(BOOTSTRAP_LABEL.0) == Some(BOOTSTRAP_LABEL.1)
            && (self.name == "cluster-admin" || self.name.starts_with("system:"))
    }
}

/// A Role, ClusterRole, RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub enum RbacObject {
    Role(Role),
    Binding(Binding),
}

/// The string items of a list field; absent, null or not a list gives none, and items that
/// are not strings are skipped (the API server refuses both; shape errors are the scan's).
fn strings(parent: NodeRef<'_>, key: &str) -> Vec<String> {
    parent
        .get(key)
        .filter(|n| n.is_seq())
        .map(|n| {
            n.items()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an object is a Role, ClusterRole, RoleBinding or ClusterRoleBinding.
pub fn is_rbac(o: &Object<'_>) -> bool {
    o.group() == RBAC_GROUP
        && matches!(
            o.kind,
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        )
}

fn name_pos(o: &Object<'_>) -> Pos {
    o.metadata()
        .and_then(|m| m.get("name"))
        .map_or(o.root.value_pos(), |n| n.pos())
}

impl RbacObject {
    /// Read an RBAC object; `None` for any other kind. Namespaced objects without
    /// `metadata.namespace` are placed in `default_namespace` (what `kubectl apply` does
    /// without `-n`). `object` gives the object's identity (shared with scan findings).
    pub fn from_object(
        o: &Object<'_>,
        file: &Arc<str>,
        default_namespace: &str,
        object: impl FnOnce() -> Arc<ObjectId>,
    ) -> Option<RbacObject> {
        if o.group() != RBAC_GROUP {
            return None;
        }
        let (cluster, is_role) = match o.kind {
            "Role" => (false, true),
            "ClusterRole" => (true, true),
            "RoleBinding" => (false, false),
            "ClusterRoleBinding" => (true, false),
            _ => return None,
        };
        let namespace = if cluster {
            String::new()
        } else {
            o.namespace.unwrap_or(default_namespace).to_string()
        };
        let origin = Origin {
            file: file.clone(),
            object: object(),
        };
        let root = o.root;
        let object_labels = labels(
            o.metadata()
                .and_then(|m| m.get("labels"))
                .filter(|l| l.is_map()),
        );
        if is_role {
            let base = FieldPath::from("rules");
            let rules = root
                .get("rules")
                .filter(|n| n.is_seq())
                .map(|list| {
                    list.items()
                        .enumerate()
                        .filter(|(_, n)| n.is_map())
                        .map(|(i, n)| Rule {
                            verbs: strings(n, "verbs"),
                            api_groups: strings(n, "apiGroups"),
                            resources: strings(n, "resources"),
                            resource_names: strings(n, "resourceNames"),
                            non_resource_urls: strings(n, "nonResourceURLs"),
                            pos: n.value_pos(),
                            path: base.index(i),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let aggregation = cluster
                .then(|| root.get("aggregationRule").filter(|n| n.is_map()))
                .flatten()
                .map(|a| {
                    a.get("clusterRoleSelectors")
                        .filter(|s| s.is_seq())
                        .map(|s| {
                            s.items()
                                .filter(|n| n.is_map())
                                .map(|n| LabelSelector::from_node(Some(n)))
                                .collect()
                        })
                        .unwrap_or_default()
                });
            return Some(RbacObject::Role(Role {
                cluster,
                name: o.name.to_string(),
                namespace,
                labels: object_labels,
                aggregation,
                rules,
                pos: name_pos(o),
                origin,
            }));
        }
        let role_ref = root.get("roleRef").filter(|n| n.is_map());
        let text = |n: Option<NodeRef<'_>>, key: &str| {
            n.and_then(|n| n.get(key))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let base = FieldPath::from("subjects");
        let subjects = root
            .get("subjects")
            .filter(|n| n.is_seq())
            .map(|list| {
                list.items()
                    .enumerate()
                    .filter(|(_, n)| n.is_map())
                    .map(|(i, n)| {
                        let kind = text(Some(n), "kind");
                        let mut ns = text(Some(n), "namespace");
                        // The authorizer defaults a RoleBinding's ServiceAccount to its namespace.
                        if ns.is_empty() && kind == "ServiceAccount" && !cluster {
                            ns = namespace.clone();
                        }
                        BindingSubject {
                            kind,
                            name: text(Some(n), "name"),
                            namespace: ns,
                            pos: n.get("name").map_or(n.value_pos(), |v| v.pos()),
                            path: base.index(i).key("name"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(RbacObject::Binding(Binding {
            cluster,
            name: o.name.to_string(),
            namespace,
            role_kind: text(role_ref, "kind"),
            role_name: text(role_ref, "name"),
            role_ref_pos: role_ref
                .and_then(|r| r.get("name"))
                .map_or(name_pos(o), |n| n.pos()),
            subjects,
            labels: object_labels,
            pos: name_pos(o),
            origin,
        }))
    }
}
