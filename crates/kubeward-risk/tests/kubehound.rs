//! Ground truth: KubeHound's edge tests (`tests/data/kubehound/graph_edge_test.go.txt`,
//! DataDog/KubeHound 53da187ac341) against kubeward's graph of the same test cluster's
//! manifests. The expectations are parsed from the upstream file, never from kubeward's output.
//!
//! KubeHound's graph comes from a live cluster; kubeward's from manifests. The mapping rules
//! (docs/risks.md, "Checking against KubeHound"):
//! * names: a Pod is its `metadata.name`, a container its `name`, a volume its volume name, an
//!   identity its subject name, a permission set `role::binding`, an endpoint its Service name
//!   or port name; every KubeHound node (`kubehound.test.local-*`) is kubeward's abstract node
//!   of the workload (`<node>`), since manifests do not say where a pod runs;
//! * KubeHound has Identity vertices only for subjects some binding names, and token volumes
//!   only for those identities: kubeward's other identities and their token volumes are left
//!   out of the comparison;
//! * kubeward routes edges to sets (every pod of a namespace, ...) through hub entities; hubs
//!   are expanded to their members;
//! * self-loops are dropped on both sides (KubeHound draws some ROLE_BIND edges from a
//!   permission set to itself; that is no attack);
//! * `ElementsMatch` expectations must match exactly within the query's scope (source and
//!   target class and filters); `Subset`/"matched" ones are partial lists in KubeHound, so for
//!   each source they list kubeward's targets must be exactly the listed ones.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use kubeward_rbac::SubjectKey;
use kubeward_risk::build::{EntityId, RiskGraph};
use kubeward_risk::exposure::EntryKind;
use kubeward_risk::facts::{read_text, RiskInput, VolumeSource};
use kubeward_risk::graph::{EdgeKind, Entity};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kubehound");

/// Every test of the upstream file that manifests decide, checked below.
const DECIDED: &[&str] = &[
    "TestEdge_CE_MODULE_LOAD",
    "TestEdge_CE_NSENTER",
    "TestEdge_CE_PRIV_MOUNT",
    "TestEdge_CE_SYS_PTRACE",
    "TestEdge_CE_UMH_CORE_PATTERN",
    "Test_CE_VAR_LOG_SYMLINK",
    "TestEdge_CONTAINER_ATTACH",
    "TestEdge_IDENTITY_ASSUME_Container",
    "TestEdge_IDENTITY_ASSUME_Node",
    "TestEdge_POD_ATTACH",
    "TestEdge_POD_PATCH",
    "TestEdge_POD_CREATE",
    "TestEdge_POD_EXEC",
    "TestEdge_PERMISSION_DISCOVER",
    "TestEdge_VOLUME_ACCESS",
    "TestEdge_VOLUME_DISCOVER",
    "TestEdge_TOKEN_BRUTEFORCE",
    "TestEdge_TOKEN_LIST",
    "TestEdge_TOKEN_STEAL",
    "TestEdge_EXPLOIT_HOST_READ",
    "TestEdge_EXPLOIT_HOST_WRITE",
    "TestEdge_ENDPOINT_EXPLOIT_ContainerPort",
    "TestEdge_ENDPOINT_EXPLOIT_NodePort",
    "TestEdge_ENDPOINT_EXPLOIT_External",
    "TestEdge_SHARE_PS_NAMESPACE",
    "TestEdge_ROLE_BIND_CASE_1",
    "TestEdge_ROLE_BIND_CASE_2",
    "TestEdge_ROLE_BIND_CASE_3",
    "TestEdge_ROLE_BIND_CASE_4",
    "Test_NoEdgeCase",
];

/// Tests manifests cannot decide, and why (also in docs/risks.md).
const UNDECIDABLE: &[(&str, &str)] = &[(
    "TestEdge_EXPLOIT_HOST_TRAVERSE",
    "which pods share a node with the pod that mounts /var/lib/kubelet/pods is decided by the \
     scheduler at run time; kubeward draws the edge to the token volumes of the same pod only",
)];

/// Where kubeward follows the API server and KubeHound does not: ROLE_BIND within a namespace.
/// KubeHound's rule (`role_bind_rb_rb_r.go`) asks for `bind` on `roles` and then reaches every
/// permission set of the namespace, RoleBindings to ClusterRoles included; the API server
/// lets a RoleBinding refer to a ClusterRole only with `bind` on `clusterroles`, and to a Role
/// only with `bind` on `roles` (docs/risks.md). `true`: KubeHound has the edge, kubeward not.
const ROLE_BIND_DIVERGENCES: &[(&str, &str, bool)] = &[
    (C, A, true),
    (C, B, true),
    (D, A, true),
    (D, B, true),
    (D, C, true),
    (DG, A, true),
    (DG, B, true),
    (DG, C, true),
    (DU, A, true),
    (DU, B, true),
    (DU, C, true),
    (B, A, false),
    (B, C, false),
    (F, A, false),
    (F, B, false),
    (F, C, false),
    (FG, A, false),
    (FG, B, false),
    (FG, C, false),
    (FU, A, false),
    (FU, B, false),
    (FU, C, false),
];
/// RoleBinding → ClusterRole {create clusterrolebindings, bind clusterroles}.
const A: &str = "rolebind-rb-cr-crb-cr-fail::pod-bind-role-rb-cr-crb-cr-fail";
/// RoleBinding → ClusterRole {create rolebindings, bind clusterroles}.
const B: &str = "rolebind-rb-cr-rb-cr::pod-bind-role-rb-cr-rb-cr";
/// RoleBinding → ClusterRole {create rolebindings, bind roles}.
const C: &str = "rolebind-rb-cr-rb-r::pod-bind-role-rb-cr-rb-r";
/// RoleBindings (SA, group, user) → Role {create rolebindings, bind roles}.
const D: &str = "rolebind-rb-r-rb-r::pod-bind-role-rb-r-rb-r";
const DG: &str = "rolebind-rb-r-rb-r::pod-bind-role-rb-r-rb-r-g";
const DU: &str = "rolebind-rb-r-rb-r::pod-bind-role-rb-r-rb-r-u";
/// RoleBindings (SA, group, user) → Role {create rolebindings, bind clusterroles}.
const F: &str = "rolebind-rb-r-rb-crb::pod-bind-role-rb-r-rb-crb";
const FG: &str = "rolebind-rb-r-rb-crb::pod-bind-role-rb-r-rb-crb-g";
const FU: &str = "rolebind-rb-r-rb-crb::pod-bind-role-rb-r-rb-crb-u";

const NODE: &str = "<node>";

fn load() -> RiskGraph {
    let mut input = RiskInput::new();
    let dir = format!("{DATA}/test-cluster/attacks");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let name: Arc<str> = Arc::from(f.file_name().expect("name").to_string_lossy().as_ref());
        let problems = read_text(&mut input, &name, &text, &Default::default());
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
    RiskGraph::build(input)
}

/// One upstream test function: its name and body.
fn functions(src: &str) -> Vec<(String, String)> {
    let marker = "func (suite *EdgeTestSuite) ";
    let mut out = Vec::new();
    for part in src.split(marker).skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.starts_with("Test") {
            out.push((name, part.to_string()));
        }
    }
    out
}

/// The quoted arguments of every `call("...")` in `s`, in order.
fn quoted_args<'s>(s: &'s str, call: &str) -> Vec<&'s str> {
    let pat = format!("{call}(\"");
    s.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &s[i + pat.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// `Has("key", "value")` filters of a piece of traversal.
fn has_filters(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in s.match_indices("Has(\"") {
        let rest = &s[i + 5..];
        let Some(kend) = rest.find('"') else { continue };
        let key = &rest[..kend];
        let after = rest[kend + 1..].trim_start_matches([',', ' ']);
        let end = after.find(')').unwrap_or(after.len());
        let value = after[..end].trim_matches('"').to_string();
        out.push((key.to_string(), value));
    }
    out
}

/// The `path[map[name:[a]], map[], map[name:[b]]` pairs of a body.
fn expected_pairs(body: &str) -> Vec<(String, String)> {
    let pat = "\"path[map[name:[";
    body.match_indices(pat)
        .filter_map(|(i, _)| {
            let rest = &body[i + pat.len()..];
            let (a, rest) = rest.split_once("]], map[], map[name:[")?;
            let b = rest.split_once(']')?.0;
            Some((a.to_string(), b.to_string()))
        })
        .collect()
}

/// The string literals of the `expected := []string{...}` list of a body.
fn expected_values(body: &str) -> Vec<String> {
    let Some(start) = body.find("expected := []string{") else {
        return Vec::new();
    };
    let rest = &body[start..];
    let end = rest.find('}').unwrap_or(rest.len());
    quoted_list(&rest[..end])
}

fn quoted_list(s: &str) -> Vec<String> {
    s.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, v)| v.to_string())
        .collect()
}

/// A map literal's keys: `containers := map[string]bool{"x": true}`.
fn map_keys(body: &str, var: &str) -> Vec<String> {
    let Some(start) = body.find(&format!("{var} := map[string]bool{{")) else {
        return Vec::new();
    };
    let rest = &body[start..];
    let end = rest.find('}').unwrap_or(rest.len());
    quoted_list(&rest[..end])
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect()
}

/// What the comparison needs of an entity: its KubeHound class, name, namespace and
/// whether KubeHound would have it at all.
struct View {
    class: &'static str,
    name: String,
    namespace: String,
    is_namespaced: bool,
    exists_in_kubehound: bool,
    exposure: Option<&'static str>,
}

struct Mapped<'g> {
    g: &'g RiskGraph,
    views: HashMap<EntityId, View>,
    /// Per hub, its members (hubs expanded).
    members: HashMap<EntityId, Vec<EntityId>>,
}

impl<'g> Mapped<'g> {
    fn new(g: &'g RiskGraph) -> Self {
        let mut views = HashMap::new();
        // Token volumes of identities KubeHound does not have.
        let mut unbound_token_volumes = BTreeSet::new();
        for e in g.edges() {
            if e.edge.kind == EdgeKind::TokenSteal {
                if let Entity::Identity { bound: false, .. } = g.entity(e.to) {
                    unbound_token_volumes.insert(e.from);
                }
            }
        }
        for (id, e) in g.entities() {
            let (class, name, namespace, is_namespaced, exists, exposure) = match e {
                Entity::Workload(w) => (
                    "Pod",
                    w.name.to_string(),
                    w.namespace.to_string(),
                    true,
                    true,
                    None,
                ),
                Entity::Container { workload, name } => (
                    "Container",
                    name.to_string(),
                    workload.namespace.to_string(),
                    true,
                    true,
                    None,
                ),
                Entity::Node(_) => ("Node", NODE.to_string(), String::new(), false, true, None),
                Entity::Identity { subject, bound } => {
                    let (name, ns) = match subject {
                        SubjectKey::ServiceAccount { namespace, name } => {
                            (name.clone(), namespace.clone())
                        }
                        SubjectKey::User { name } | SubjectKey::Group { name } => {
                            (name.clone(), String::new())
                        }
                    };
                    ("Identity", name, ns.clone(), !ns.is_empty(), *bound, None)
                }
                Entity::PermissionSet {
                    name, namespace, ..
                } => (
                    "PermissionSet",
                    name.to_string(),
                    namespace.to_string(),
                    !namespace.is_empty(),
                    true,
                    None,
                ),
                Entity::Volume {
                    name,
                    workload,
                    source,
                    ..
                } => {
                    let token = matches!(
                        source,
                        VolumeSource::AutomountedToken | VolumeSource::ProjectedToken
                    );
                    let exists = !(token && unbound_token_volumes.contains(&id));
                    (
                        "Volume",
                        name.to_string(),
                        workload.namespace.to_string(),
                        true,
                        exists,
                        None,
                    )
                }
                Entity::EntryPoint {
                    kind,
                    namespace,
                    name,
                } => {
                    let exposure = match kind {
                        EntryKind::Service => "EndpointExposureExternal",
                        EntryKind::HostPort => "EndpointExposureNodeIP",
                        EntryKind::ContainerPort => "EndpointExposureClusterIP",
                        EntryKind::Ingress => "Ingress",
                    };
                    (
                        "Endpoint",
                        name.to_string(),
                        namespace.to_string(),
                        true,
                        true,
                        Some(exposure),
                    )
                }
                other => (other.class(), other.key(), String::new(), false, true, None),
            };
            views.insert(
                id,
                View {
                    class,
                    name,
                    namespace,
                    is_namespaced,
                    exists_in_kubehound: exists,
                    exposure,
                },
            );
        }
        let mut m = Mapped {
            g,
            views,
            members: HashMap::new(),
        };
        let hubs: Vec<EntityId> = g
            .entities()
            .filter(|(_, e)| matches!(e, Entity::Hub(_)))
            .map(|(i, _)| i)
            .collect();
        for h in hubs {
            let mut out = Vec::new();
            let mut stack = vec![h];
            while let Some(x) = stack.pop() {
                for e in g.edges_from(x).filter(|e| e.edge.kind == EdgeKind::Member) {
                    if matches!(g.entity(e.to), Entity::Hub(_)) {
                        stack.push(e.to);
                    } else {
                        out.push(e.to);
                    }
                }
            }
            m.members.insert(h, out);
        }
        m
    }

    /// Every `kind` edge, hubs expanded, between entities KubeHound has.
    fn edges(&self, kind: &str) -> Vec<(EntityId, EntityId)> {
        let mut out = Vec::new();
        for e in self.g.edges().filter(|e| e.edge.kind.id() == kind) {
            let targets = match self.members.get(&e.to) {
                Some(m) => m.clone(),
                None => vec![e.to],
            };
            for t in targets {
                if t != e.from
                    && self.views[&e.from].exists_in_kubehound
                    && self.views[&t].exists_in_kubehound
                {
                    out.push((e.from, t));
                }
            }
        }
        out
    }

    fn matches(&self, id: EntityId, class: &str, filters: &[(String, String)]) -> bool {
        let v = &self.views[&id];
        v.class == class
            && filters.iter().all(|(k, val)| match k.as_str() {
                "class" => v.class == val,
                "namespace" => v.namespace == *val,
                "isNamespaced" => v.is_namespaced.to_string() == *val,
                "name" => v.name == *val,
                "namePrefix" => v.name.starts_with(val.as_str()),
                other => panic!("unknown filter {other}"),
            })
    }

    fn name(&self, id: EntityId) -> String {
        self.views[&id].name.clone()
    }

    /// The pairs (by name) of `kind` edges between the classes and filters of a query.
    fn pairs(
        &self,
        kind: &str,
        src: (&str, &[(String, String)]),
        dst: (&str, &[(String, String)]),
    ) -> BTreeSet<(String, String)> {
        self.edges(kind)
            .into_iter()
            .filter(|(a, b)| self.matches(*a, src.0, src.1) && self.matches(*b, dst.0, dst.1))
            .map(|(a, b)| (self.name(a), self.name(b)))
            .filter(|(a, b)| a != b)
            .collect()
    }
}

/// The class and the other filters of one end of a query.
fn end_filters(s: &str) -> (String, Vec<(String, String)>) {
    let mut class = String::new();
    let mut rest = Vec::new();
    for (k, v) in has_filters(s) {
        if k == "class" && class.is_empty() {
            class = v;
        } else if k != "class" {
            rest.push((k, v));
        }
    }
    // `Has("name", gremlingo.TextP.StartingWith("x"))`: has_filters keeps the call text.
    if let Some(i) = s.find("TextP.StartingWith(\"") {
        let p = &s[i + "TextP.StartingWith(\"".len()..];
        let prefix = &p[..p.find('"').unwrap_or(p.len())];
        rest.retain(|(k, _)| k != "name");
        rest.push(("namePrefix".into(), prefix.to_string()));
    }
    (class, rest)
}

fn map_node(name: &str, cluster: &str) -> String {
    if name.starts_with(&format!("{cluster}-")) {
        NODE.to_string()
    } else {
        name.to_string()
    }
}

/// Checks one decided test; returns what was compared, for the report.
fn check(m: &Mapped<'_>, name: &str, body: &str, cluster: &str) -> String {
    let traversal = body.split("suite.NoError(err)").next().unwrap_or(body);
    // Container escapes: `_testContainerEscape("LABEL", nodes, containers)`.
    if let Some(label) = quoted_args(body, "suite._testContainerEscape").first() {
        let containers = map_keys(body, "containers");
        assert!(!containers.is_empty(), "{name}: no containers");
        let got = m.pairs(label, ("Container", &[]), ("Node", &[]));
        for c in &containers {
            let targets: BTreeSet<&str> = got
                .iter()
                .filter(|(a, _)| a == c)
                .map(|(_, b)| b.as_str())
                .collect();
            assert_eq!(
                targets,
                BTreeSet::from([NODE]),
                "{name}: targets of container {c}"
            );
        }
        return format!("{label}: {containers:?} -> {NODE}");
    }
    // Counts: every target has an incoming edge of the label from the source class.
    if traversal.contains("Count()") {
        let label = quoted_args(body, "HasLabel")[0];
        let counted = end_filters(body.split("Count()").next().unwrap_or("")).0;
        let second = &body[body.find("Count()").unwrap_or(0) + 7..];
        let src = end_filters(second.split("OutE()").next().unwrap_or("")).0;
        let edges = m.edges(label);
        let mut n = 0;
        for (id, v) in &m.views {
            if v.class == counted && v.exists_in_kubehound {
                n += 1;
                assert!(
                    edges
                        .iter()
                        .any(|(a, b)| b == id && m.views[a].class == src),
                    "{name}: {} {} has no {label} from a {src}",
                    v.class,
                    v.name
                );
            }
        }
        assert!(n > 0, "{name}: no {counted}");
        return format!("{label}: every {counted} ({n}) has one from a {src}");
    }
    // Volumes that have a given edge to a node, discovered by containers.
    if let Some(inner) = quoted_args(body, "Where(__.OutE().HasLabel").first() {
        let pairs = m.pairs("VOLUME_DISCOVER", ("Container", &[]), ("Volume", &[]));
        let hosts: BTreeSet<String> = m
            .edges(inner)
            .into_iter()
            .filter(|(_, n)| m.views[n].class == "Node")
            .map(|(v, _)| m.name(v))
            .collect();
        let got: BTreeSet<(String, String)> = pairs
            .into_iter()
            .filter(|(_, v)| hosts.contains(v))
            .collect();
        return subset_per_source(name, &got, &expected_pairs(body));
    }
    // Endpoint names by exposure.
    if body.contains("Values(\"serviceEndpoint\")") {
        let exposure = [
            "EndpointExposureClusterIP",
            "EndpointExposureNodeIP",
            "EndpointExposureExternal",
        ]
        .into_iter()
        .find(|e| body.contains(&format!("shared.{e}")))
        .expect("exposure");
        let got: BTreeSet<String> = m
            .edges("ENDPOINT_EXPLOIT")
            .into_iter()
            .filter(|(e, c)| {
                m.views[e].exposure == Some(exposure) && m.views[c].class == "Container"
            })
            .map(|(e, _)| m.name(e))
            .collect();
        let want = expected_values(body);
        assert!(body.contains("suite.Subset(paths, expected)"), "{name}");
        for w in &want {
            assert!(
                got.contains(w),
                "{name}: endpoint {w} ({exposure}) missing from {got:?}"
            );
        }
        return format!("ENDPOINT_EXPLOIT {exposure}: {want:?}");
    }
    // No outgoing edge from a container.
    if name == "Test_NoEdgeCase" {
        let container = has_filters(body)
            .into_iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v)
            .expect("container name");
        let out: Vec<_> =
            m.g.edges()
                .filter(|e| m.views[&e.from].class == "Container" && m.name(e.from) == container)
                .filter(|e| m.views[&e.to].exists_in_kubehound)
                .map(|e| (e.edge.kind.id(), m.name(e.to)))
                .collect();
        assert!(out.is_empty(), "{name}: {container} has edges {out:?}");
        return format!("no edge from container {container}");
    }
    let label = quoted_args(traversal, "HasLabel")
        .first()
        .copied()
        .expect("label");
    let (before, after) = traversal.split_once("HasLabel(").expect("split");
    let (src_class, src_filters) = end_filters(before);
    let (dst_class, dst_filters) = end_filters(after);
    // Target names only (TOKEN_STEAL).
    if traversal.contains("Values(\"name\")") {
        let mut got: Vec<String> = m
            .edges(label)
            .into_iter()
            .filter(|(a, b)| {
                m.matches(*a, &src_class, &src_filters) && m.matches(*b, &dst_class, &dst_filters)
            })
            .map(|(_, b)| m.name(b))
            .collect();
        got.sort();
        let mut want = expected_values(body);
        want.sort();
        assert!(
            body.contains("suite.ElementsMatch(identities, expected)"),
            "{name}"
        );
        assert_eq!(got, want, "{name}");
        return format!("{label}: {} targets", want.len());
    }
    let want_pairs: Vec<(String, String)> = expected_pairs(body)
        .into_iter()
        .map(|(a, b)| (map_node(&a, cluster), map_node(&b, cluster)))
        .collect();
    let got = m.pairs(
        label,
        (&src_class, &src_filters),
        (&dst_class, &dst_filters),
    );
    if body.contains("suite.ElementsMatch(paths, expected)") {
        let mut want: BTreeSet<(String, String)> =
            want_pairs.into_iter().filter(|(a, b)| a != b).collect();
        if label == "ROLE_BIND" {
            for (a, b, kubehound_has) in ROLE_BIND_DIVERGENCES {
                let pair = (a.to_string(), b.to_string());
                let in_scope = want.contains(&pair) || got.contains(&pair);
                if !in_scope {
                    continue;
                }
                if *kubehound_has {
                    assert!(
                        want.remove(&pair),
                        "{name}: divergence {pair:?} not in KubeHound's list"
                    );
                } else {
                    assert!(
                        !want.contains(&pair),
                        "{name}: {pair:?} is in KubeHound's list"
                    );
                    want.insert(pair);
                }
            }
        }
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: missing {missing:?}, extra {extra:?}"
        );
        return format!("{label}: exactly {} pairs", want.len());
    }
    assert!(
        body.contains("suite.Subset(paths, expected)"),
        "{name}: unknown assertion"
    );
    subset_per_source(name, &got, &want_pairs)
}

/// For each source KubeHound lists, kubeward's targets are exactly the listed ones.
fn subset_per_source(
    name: &str,
    got: &BTreeSet<(String, String)>,
    want: &[(String, String)],
) -> String {
    let mut by_source: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in want {
        by_source.entry(a).or_default().insert(b);
    }
    assert!(!by_source.is_empty(), "{name}: no expectations");
    for (src, targets) in &by_source {
        let have: BTreeSet<&str> = got
            .iter()
            .filter(|(a, _)| a == src)
            .map(|(_, b)| b.as_str())
            .collect();
        assert_eq!(&have, targets, "{name}: targets of {src}");
    }
    format!("{} sources, their targets exactly", by_source.len())
}

#[test]
fn kubehound_edge_tests() {
    let src = std::fs::read_to_string(format!("{DATA}/graph_edge_test.go.txt")).expect("go file");
    let cluster =
        std::fs::read_to_string(format!("{DATA}/test-cluster/cluster.yaml")).expect("cluster.yaml");
    let cluster_name = cluster
        .lines()
        .find_map(|l| l.strip_prefix("name: "))
        .expect("cluster name")
        .trim();
    let g = load();
    let m = Mapped::new(&g);
    let funcs = functions(&src);
    let names: BTreeSet<&str> = funcs.iter().map(|(n, _)| n.as_str()).collect();
    let listed: BTreeSet<&str> = DECIDED
        .iter()
        .copied()
        .chain(UNDECIDABLE.iter().map(|(n, _)| *n))
        .collect();
    // The lists are exhaustive and the undecidable list cannot silently grow.
    assert_eq!(names, listed, "upstream tests vs DECIDED + UNDECIDABLE");
    assert_eq!(UNDECIDABLE.len(), 1);
    let mut report = Vec::new();
    for (name, body) in &funcs {
        if DECIDED.contains(&name.as_str()) {
            report.push(format!("{name}: {}", check(&m, name, body, cluster_name)));
        }
    }
    assert_eq!(report.len(), DECIDED.len());
    println!("{}", report.join("\n"));
}

#[test]
fn exploit_host_traverse_stays_within_the_pod() {
    // What kubeward does decide of the undecidable test: the traverse edges reach the token
    // volumes of the pod that mounts the kubelet's directory, and steal its identity.
    let g = load();
    let traverse: Vec<_> = g
        .edges()
        .filter(|e| e.edge.kind == EdgeKind::ExploitHostTraverse)
        .collect();
    assert_eq!(
        traverse.len(),
        2,
        "host-read-exploit-pod and host-write-exploit-pod"
    );
    for e in traverse {
        match (g.entity(e.from), g.entity(e.to)) {
            (Entity::Volume { workload: wa, .. }, Entity::Volume { workload: wb, .. }) => {
                assert_eq!(wa, wb)
            }
            other => panic!("{other:?}"),
        }
    }
}
