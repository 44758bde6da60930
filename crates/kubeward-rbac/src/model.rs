//! The RBAC model: roles with their aggregated rules, bindings resolved to roles, and an
//! index from subjects to bindings. It answers exactly what the RBAC authorizer would
//! (`plugin/pkg/auth/authorizer/rbac`: ClusterRoleBindings apply everywhere, RoleBindings in
//! their namespace only, a RoleBinding to a ClusterRole grants its rules in that namespace).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use kubeward_model::ObjectId;
use kubeward_yaml::Pos;

use crate::analysis::Analysis;
use crate::matching::{
    api_group_matches, non_resource_url_matches, resource_matches, resource_name_matches,
    verb_matches,
};
use crate::object::{Binding, Origin, RbacObject, Role, Rule, RBAC_GROUP};
use crate::request::{Request, Target};
use crate::subject::{Identity, SubjectKey};

/// A rule of a role: `roles[role].rules[rule]`. Aggregated ClusterRoles point at the rules
/// of the roles they aggregate, so every rule keeps its own location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub role: u32,
    pub rule: u32,
}

/// Why a request is allowed: this subject entry of this binding, and this rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub binding: u32,
    pub subject: u32,
    pub rule: RuleRef,
}

/// Where a permission applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Cluster,
    Namespace(String),
}

impl Scope {
    pub fn describe(&self) -> String {
        match self {
            Scope::Cluster => "cluster-wide".to_string(),
            Scope::Namespace(ns) => format!("in namespace {ns:?}"),
        }
    }
}

/// One thing a subject may do: a rule, where it applies, and through which binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub scope: Scope,
    pub grant: Grant,
}

/// Something worth telling about the input: a binding to a role that is not there, a
/// subject that can never match, a duplicate definition.
#[derive(Clone, Debug)]
pub struct Note {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

/// The file name given to the rules kubeward knows without input.
pub const BUILT_IN: &str = "<built-in>";

/// Everything the authorizer would see.
#[derive(Debug, Default)]
pub struct RbacModel {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    cluster_roles: HashMap<String, usize>,
    roles_by_ns: HashMap<(String, String), usize>,
    /// Per role, its rules as the authorizer sees them (aggregation filled in).
    effective: Vec<Vec<RuleRef>>,
    /// Per binding, its role.
    resolved: Vec<Option<usize>>,
    by_subject: HashMap<SubjectKey, Vec<(u32, u32)>>,
    cluster_bindings: Vec<u32>,
    bindings_by_ns: HashMap<String, Vec<u32>>,
    pub notes: Vec<Note>,
    analysis: OnceLock<Analysis>,
}

/// `cluster-admin` as every cluster has it: used when the input does not define it, since
/// bindings to it are common and its rules are fixed.
fn built_in_cluster_admin() -> Role {
    let all = vec!["*".to_string()];
    let origin = Origin {
        file: Arc::from(BUILT_IN),
        object: Arc::new(ObjectId {
            api_version: format!("{RBAC_GROUP}/v1"),
            kind: "ClusterRole".to_string(),
            namespace: None,
            name: "cluster-admin".to_string(),
        }),
    };
    Role {
        cluster: true,
        name: "cluster-admin".to_string(),
        namespace: String::new(),
        labels: Default::default(),
        aggregation: None,
        rules: vec![
            Rule {
                verbs: all.clone(),
                api_groups: all.clone(),
                resources: all.clone(),
                path: "rules[0]".into(),
                ..Rule::default()
            },
            Rule {
                verbs: all.clone(),
                non_resource_urls: all,
                path: "rules[1]".into(),
                ..Rule::default()
            },
        ],
        pos: Pos::default(),
        origin,
    }
}

impl RbacModel {
    /// Build the model from RBAC objects in input order (a later definition of the same role
    /// or binding replaces an earlier one, as a later `kubectl apply` would). This is the entry
    /// point for every source: manifests, or objects listed from a live cluster.
    pub fn from_objects(objects: impl IntoIterator<Item = RbacObject>) -> RbacModel {
        let mut m = RbacModel::default();
        let mut binding_keys: HashMap<(bool, String, String), usize> = HashMap::new();
        for o in objects {
            match o {
                RbacObject::Role(r) => {
                    let key = (r.namespace.clone(), r.name.clone());
                    let slot = if r.cluster {
                        m.cluster_roles.get(&r.name).copied()
                    } else {
                        m.roles_by_ns.get(&key).copied()
                    };
                    match slot {
                        Some(i) => {
                            m.notes.push(Note {
                                file: r.origin.file.clone(),
                                pos: r.pos,
                                message: format!(
                                    "{} is defined again (first at {}:{}); the later definition is used",
                                    r.describe(),
                                    m.roles[i].origin.file,
                                    m.roles[i].pos
                                ),
                            });
                            m.roles[i] = r;
                        }
                        None => {
                            let i = m.roles.len();
                            if r.cluster {
                                m.cluster_roles.insert(r.name.clone(), i);
                            } else {
                                m.roles_by_ns.insert(key, i);
                            }
                            m.roles.push(r);
                        }
                    }
                }
                RbacObject::Binding(b) => {
                    let key = (b.cluster, b.namespace.clone(), b.name.clone());
                    match binding_keys.get(&key) {
                        Some(&i) => {
                            m.notes.push(Note {
                                file: b.origin.file.clone(),
                                pos: b.pos,
                                message: format!(
                                    "{} is defined again (first at {}:{}); the later definition is used",
                                    b.describe(),
                                    m.bindings[i].origin.file,
                                    m.bindings[i].pos
                                ),
                            });
                            m.bindings[i] = b;
                        }
                        None => {
                            binding_keys.insert(key, m.bindings.len());
                            m.bindings.push(b);
                        }
                    }
                }
            }
        }
        if !m.cluster_roles.contains_key("cluster-admin") {
            m.cluster_roles
                .insert("cluster-admin".to_string(), m.roles.len());
            m.roles.push(built_in_cluster_admin());
        }
        m.aggregate();
        m.resolve();
        m
    }

    /// Fill aggregated ClusterRoles as the clusterrole-aggregation controller does: the rules
    /// of every other ClusterRole any selector matches, replacing the rules written in the
    /// role. Aggregated roles that select aggregated roles get their rules in turn (the
    /// controller converges to that); the union only grows, so this ends.
    fn aggregate(&mut self) {
        self.effective = self
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if r.aggregation.is_some() {
                    Vec::new()
                } else {
                    (0..r.rules.len())
                        .map(|j| RuleRef {
                            role: i as u32,
                            rule: j as u32,
                        })
                        .collect()
                }
            })
            .collect();
        let mut cluster: Vec<usize> = self.cluster_roles.values().copied().collect();
        // The controller visits selected roles by name.
        cluster.sort_by(|a, b| self.roles[*a].name.cmp(&self.roles[*b].name));
        let selected: Vec<(usize, Vec<usize>)> = cluster
            .iter()
            .filter_map(|&a| {
                let selectors = self.roles[a].aggregation.as_ref()?;
                let mut chosen = Vec::new();
                for s in selectors {
                    for &c in &cluster {
                        if c != a && s.matches(&self.roles[c].labels) && !chosen.contains(&c) {
                            chosen.push(c);
                        }
                    }
                }
                Some((a, chosen))
            })
            .collect();
        for _ in 0..=selected.len() {
            let mut changed = false;
            for (a, chosen) in &selected {
                let mut rules = self.effective[*a].clone();
                for c in chosen {
                    for r in &self.effective[*c] {
                        if !rules.contains(r) {
                            rules.push(*r);
                        }
                    }
                }
                if rules.len() != self.effective[*a].len() {
                    self.effective[*a] = rules;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn resolve(&mut self) {
        self.resolved = Vec::with_capacity(self.bindings.len());
        for (bi, b) in self.bindings.iter().enumerate() {
            let role = match b.role_kind.as_str() {
                "ClusterRole" => self.cluster_roles.get(&b.role_name).copied(),
                "Role" if !b.cluster => self
                    .roles_by_ns
                    .get(&(b.namespace.clone(), b.role_name.clone()))
                    .copied(),
                _ => None,
            };
            if role.is_none() {
                let why = match b.role_kind.as_str() {
                    "ClusterRole" | "Role" if !(b.cluster && b.role_kind == "Role") => {
                        "which is not in the input, so it grants nothing here".to_string()
                    }
                    "Role" => {
                        "but a ClusterRoleBinding can only refer to a ClusterRole".to_string()
                    }
                    other => format!("of unknown kind {other:?}"),
                };
                let target = if b.role_kind == "Role" && !b.cluster {
                    format!("Role \"{}/{}\"", b.namespace, b.role_name)
                } else {
                    format!("{} {:?}", b.role_kind, b.role_name)
                };
                self.notes.push(Note {
                    file: b.origin.file.clone(),
                    pos: b.role_ref_pos,
                    message: format!("{} refers to {target}, {why}", b.describe()),
                });
            }
            self.resolved.push(role);
            let bi = bi as u32;
            if b.cluster {
                self.cluster_bindings.push(bi);
            } else {
                self.bindings_by_ns
                    .entry(b.namespace.clone())
                    .or_default()
                    .push(bi);
            }
            for (si, s) in b.subjects.iter().enumerate() {
                match SubjectKey::of_binding_subject(&s.kind, &s.name, &s.namespace) {
                    Some(key) => self.by_subject.entry(key).or_default().push((bi, si as u32)),
                    None => self.notes.push(Note {
                        file: b.origin.file.clone(),
                        pos: s.pos,
                        message: if s.kind == "ServiceAccount" {
                            format!("{}: a ServiceAccount subject of a ClusterRoleBinding needs a namespace; this one never applies", b.describe())
                        } else {
                            format!("{}: subject kind {:?} is not User, Group or ServiceAccount; it never applies", b.describe(), s.kind)
                        },
                    }),
                }
            }
        }
    }

    pub fn rule(&self, r: RuleRef) -> &Rule {
        &self.roles[r.role as usize].rules[r.rule as usize]
    }

    pub fn role_of_rule(&self, r: RuleRef) -> &Role {
        &self.roles[r.role as usize]
    }

    /// The role a binding refers to, if the input has it.
    pub fn role_of_binding(&self, binding: usize) -> Option<usize> {
        self.resolved[binding]
    }

    /// A role's rules as the authorizer sees them (aggregated rules for aggregated roles).
    pub fn effective_rules(&self, role: usize) -> &[RuleRef] {
        &self.effective[role]
    }

    /// Every subject any binding names, in a stable order.
    pub fn subjects(&self) -> Vec<&SubjectKey> {
        let mut keys: Vec<&SubjectKey> = self.by_subject.keys().collect();
        keys.sort();
        keys
    }

    /// The (binding, subject entry) pairs that name `key`.
    pub fn bindings_of(&self, key: &SubjectKey) -> &[(u32, u32)] {
        self.by_subject.get(key).map_or(&[], Vec::as_slice)
    }

    /// Where a binding applies.
    pub fn scope_of(&self, binding: usize) -> Scope {
        let b = &self.bindings[binding];
        if b.cluster {
            Scope::Cluster
        } else {
            Scope::Namespace(b.namespace.clone())
        }
    }

    /// Whether one rule allows one request (`RuleAllows`).
    pub fn rule_allows(rule: &Rule, req: &Request) -> bool {
        if !verb_matches(&rule.verbs, &req.verb) {
            return false;
        }
        match &req.target {
            Target::NonResource { path } => non_resource_url_matches(&rule.non_resource_urls, path),
            Target::Resource {
                group,
                resource,
                subresource,
                name,
            } => {
                let combined;
                let combined = if subresource.is_empty() {
                    resource.as_str()
                } else {
                    combined = format!("{resource}/{subresource}");
                    combined.as_str()
                };
                api_group_matches(&rule.api_groups, group)
                    && resource_matches(&rule.resources, combined, subresource)
                    && resource_name_matches(&rule.resource_names, name)
            }
        }
    }

    /// The first rule of the binding's role that allows `req`.
    fn binding_allows(&self, binding: usize, req: &Request) -> Option<RuleRef> {
        let role = self.resolved[binding]?;
        self.effective[role]
            .iter()
            .copied()
            .find(|r| Self::rule_allows(self.rule(*r), req))
    }

    /// Whether a binding applies to a request's namespace: ClusterRoleBindings always,
    /// RoleBindings in their own namespace.
    fn in_scope(&self, binding: usize, namespace: &str) -> bool {
        let b = &self.bindings[binding];
        b.cluster || (!namespace.is_empty() && b.namespace == namespace)
    }

    /// What the RBAC authorizer answers for `identity` asking `req`: the grant that allows it
    /// (ClusterRoleBindings first, then RoleBindings, each in input order), or `None` (denied:
    /// RBAC never denies explicitly, it only has no opinion).
    pub fn authorize(&self, identity: &Identity, req: &Request) -> Option<Grant> {
        let mut candidates: Vec<(u32, u32)> = identity
            .keys()
            .iter()
            .flat_map(|k| self.bindings_of(k).iter().copied())
            .filter(|(b, _)| self.in_scope(*b as usize, &req.namespace))
            .collect();
        candidates.sort_by_key(|(b, s)| (!self.bindings[*b as usize].cluster, *b, *s));
        candidates.dedup_by_key(|(b, _)| *b);
        candidates.into_iter().find_map(|(b, s)| {
            self.binding_allows(b as usize, req).map(|rule| Grant {
                binding: b,
                subject: s,
                rule,
            })
        })
    }

    /// Every binding subject allowed to do `req`, with the grant (one per subject entry).
    pub fn who_can(&self, req: &Request) -> Vec<(SubjectKey, Grant)> {
        let mut memo: HashMap<usize, Option<RuleRef>> = HashMap::new();
        let mut out = Vec::new();
        let local: &[u32] = if req.namespace.is_empty() {
            &[]
        } else {
            self.bindings_by_ns
                .get(&req.namespace)
                .map_or(&[], Vec::as_slice)
        };
        for &b in self.cluster_bindings.iter().chain(local) {
            let Some(role) = self.resolved[b as usize] else {
                continue;
            };
            let allowed = *memo.entry(role).or_insert_with(|| {
                self.effective[role]
                    .iter()
                    .copied()
                    .find(|r| Self::rule_allows(self.rule(*r), req))
            });
            let Some(rule) = allowed else { continue };
            for (si, s) in self.bindings[b as usize].subjects.iter().enumerate() {
                if let Some(key) = SubjectKey::of_binding_subject(&s.kind, &s.name, &s.namespace) {
                    out.push((
                        key,
                        Grant {
                            binding: b,
                            subject: si as u32,
                            rule,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Everything `identity` may do: every rule of every binding that applies to it, with its
    /// scope; cluster-wide first, then by namespace, each in input order.
    pub fn permissions(&self, identity: &Identity) -> Vec<Permission> {
        let mut pairs: Vec<(u32, u32)> = identity
            .keys()
            .iter()
            .flat_map(|k| self.bindings_of(k).iter().copied())
            .collect();
        pairs.sort_by_key(|(b, s)| {
            (
                !self.bindings[*b as usize].cluster,
                self.bindings[*b as usize].namespace.clone(),
                *b,
                *s,
            )
        });
        pairs.dedup_by_key(|(b, _)| *b);
        let mut out = Vec::new();
        for (b, s) in pairs {
            let Some(role) = self.resolved[b as usize] else {
                continue;
            };
            let scope = self.scope_of(b as usize);
            for &rule in &self.effective[role] {
                out.push(Permission {
                    scope: scope.clone(),
                    grant: Grant {
                        binding: b,
                        subject: s,
                        rule,
                    },
                });
            }
        }
        out
    }

    /// The risks and escalation paths of every subject, computed once.
    pub fn analysis(&self) -> &Analysis {
        self.analysis.get_or_init(|| Analysis::new(self))
    }

    /// `rules[0] verbs=[get] ... of ClusterRole "x" (file:line:col)` for messages.
    pub fn describe_rule(&self, r: RuleRef) -> String {
        let role = self.role_of_rule(r);
        let rule = self.rule(r);
        format!(
            "{} {} of {} ({})",
            rule.path,
            rule.summary(),
            role.describe(),
            location(&role.origin.file, rule.pos)
        )
    }

    /// `ClusterRoleBinding "x" subjects[0] (file:line:col)` for messages.
    pub fn describe_grant_binding(&self, g: &Grant) -> String {
        let b = &self.bindings[g.binding as usize];
        let s = &b.subjects[g.subject as usize];
        format!(
            "{} {} ({})",
            b.describe(),
            s.path,
            location(&b.origin.file, s.pos)
        )
    }
}

/// `file:line:column`, or just the file for built-in rules.
pub fn location(file: &str, pos: Pos) -> String {
    if file == BUILT_IN {
        BUILT_IN.to_string()
    } else {
        format!("{file}:{pos}")
    }
}
