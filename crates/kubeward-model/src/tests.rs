use super::*;
use kubeward_yaml::{parse_str, Limits};

fn doc(text: &str) -> Document {
    parse_str(text, &Limits::default()).documents.remove(0)
}

#[test]
fn finds_pod_spec_in_every_pod_bearing_kind() {
    let cases = [
        ("v1", "Pod", "spec"),
        ("v1", "PodTemplate", "template.spec"),
        ("v1", "ReplicationController", "spec.template.spec"),
        ("apps/v1", "Deployment", "spec.template.spec"),
        ("apps/v1", "ReplicaSet", "spec.template.spec"),
        ("apps/v1", "StatefulSet", "spec.template.spec"),
        ("apps/v1", "DaemonSet", "spec.template.spec"),
        ("extensions/v1beta1", "Deployment", "spec.template.spec"),
        ("batch/v1", "Job", "spec.template.spec"),
        ("batch/v1", "CronJob", "spec.jobTemplate.spec.template.spec"),
    ];
    for (api, kind, path) in cases {
        let mut yaml = format!("apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n");
        let keys: Vec<&str> = path.split('.').collect();
        for (depth, key) in keys.iter().enumerate() {
            yaml.push_str(&format!("{}{}:\n", "  ".repeat(depth), key));
        }
        yaml.push_str(&format!(
            "{}containers: [{{name: c, image: i}}]\n",
            "  ".repeat(keys.len())
        ));
        let d = doc(&yaml);
        let items = objects_in(&d);
        let Item::Object(obj) = &items[0] else {
            panic!("object")
        };
        let pod = obj.pod().unwrap_or_else(|| panic!("{kind} is pod-bearing"));
        assert_eq!(pod.spec_path.as_str(), path);
        let c: Vec<_> = pod.containers().collect();
        assert_eq!(c.len(), 1, "{kind}");
        assert_eq!(c[0].path.as_str(), format!("{path}.containers[0]"));
    }
}

#[test]
fn other_kinds_have_no_pod() {
    let d = doc("apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: []}}}\n");
    let Item::Object(obj) = &objects_in(&d)[0] else {
        panic!()
    };
    assert!(
        obj.pod().is_none(),
        "a CRD named Deployment is not apps/v1 Deployment"
    );
}

#[test]
fn lists_are_expanded_with_item_positions() {
    let d = doc("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a, namespace: ns}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n");
    let items = objects_in(&d);
    assert_eq!(items.len(), 2);
    let Item::Object(a) = &items[0] else { panic!() };
    assert_eq!((a.kind, a.name, a.namespace), ("Pod", "a", Some("ns")));
    assert_eq!(a.root.value_pos().line, 4);
}

#[test]
fn containers_of_all_kinds_in_order() {
    let d = doc("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: i}]\n  containers: [{name: c1}, {name: c2}]\n  ephemeralContainers: [{name: e}]\n");
    let Item::Object(obj) = &objects_in(&d)[0] else {
        panic!()
    };
    let names: Vec<_> = obj
        .pod()
        .unwrap()
        .containers()
        .map(|c| (c.kind, c.name))
        .collect();
    assert_eq!(
        names,
        vec![
            (ContainerKind::Container, "c1"),
            (ContainerKind::Container, "c2"),
            (ContainerKind::InitContainer, "i"),
            (ContainerKind::EphemeralContainer, "e")
        ]
    );
}

#[test]
fn not_objects_and_invalid_objects() {
    let d = doc("- a\n- b\n");
    assert!(matches!(objects_in(&d)[0], Item::NotAnObject { .. }));
    let d = doc("foo: bar\n");
    assert!(matches!(objects_in(&d)[0], Item::NotAnObject { .. }));
    let d = doc("apiVersion: v1\nkind: 12\n");
    let Item::Invalid(p) = &objects_in(&d)[0] else {
        panic!()
    };
    assert!(
        p.message.contains("`kind` must be a non-empty string"),
        "{}",
        p.message
    );
    assert_eq!(p.pos.line, 2);
    let d = doc("apiVersion: v1\nkind: Pod\nmetadata: x\n");
    assert!(matches!(objects_in(&d)[0], Item::Invalid(_)));
}

#[test]
fn wrong_types_are_located() {
    let d = doc("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {a: true}\nspec:\n  hostPID: \"true\"\n  containers: \"x\"\n  securityContext:\n    runAsUser: '0'\n");
    let Item::Object(obj) = &objects_in(&d)[0] else {
        panic!()
    };
    let problems = shape::validate(obj);
    let msgs: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.pos, p.message))
        .collect();
    assert_eq!(
        msgs,
        vec![
            "5:17: metadata.annotations.a: expected a string, found a boolean (quote it to make it a string)",
            "7:3: spec.hostPID: expected a boolean, found a string (remove the quotes)",
            "8:3: spec.containers: expected a list, found a string",
            "10:5: spec.securityContext.runAsUser: expected an integer, found a string (remove the quotes)",
        ]
    );
}

#[test]
fn template_that_is_not_a_mapping() {
    let d =
        doc("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template: 3\n");
    let Item::Object(obj) = &objects_in(&d)[0] else {
        panic!()
    };
    let problems = shape::validate(obj);
    assert_eq!(problems.len(), 1);
    assert!(problems[0]
        .message
        .starts_with("spec.template: expected a mapping"));
    let pod = obj.pod().unwrap();
    assert!(pod.spec.is_none());
    assert_eq!(pod.anchor.value_pos().line, 5, "nearest parent is spec");
}

#[test]
fn field_paths_bracket_odd_keys() {
    let p = FieldPath::from("metadata")
        .key("annotations")
        .key("seccomp.security.alpha.kubernetes.io/pod");
    assert_eq!(
        p.as_str(),
        "metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']"
    );
    assert_eq!(
        FieldPath::from("spec").key("containers").index(2).as_str(),
        "spec.containers[2]"
    );
}

use proptest::prelude::*;

proptest! {
    /// Paths built step by step read exactly as the formatting rules say: plain keys joined by
    /// dots, odd keys bracketed and quoted, indexes in decimal.
    #[test]
    fn field_paths_build_as_written(
        steps in proptest::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9_-]{1,8}".prop_map(Ok),
                "[a-z./' ]{0,6}".prop_map(Ok),
                any::<usize>().prop_map(Err),
            ],
            0..6,
        )
    ) {
        let mut path = FieldPath::root();
        let mut expected = String::new();
        for step in &steps {
            match step {
                Ok(key) => {
                    path = path.key(key);
                    let plain = !key.is_empty()
                        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if plain {
                        if !expected.is_empty() {
                            expected.push('.');
                        }
                        expected.push_str(key);
                    } else {
                        expected.push_str(&format!("['{}']", key.replace('\'', "\\'")));
                    }
                }
                Err(i) => {
                    path = path.index(*i);
                    expected.push_str(&format!("[{i}]"));
                }
            }
        }
        prop_assert_eq!(path.as_str(), expected.as_str());
    }
}

#[test]
fn labels_are_sorted_pairs_and_the_last_of_a_key_wins() {
    let l: Labels = [("b", "1"), ("a", "2"), ("b", "3")].into_iter().collect();
    assert_eq!(l.len(), 2);
    assert_eq!(l.get("b"), Some("3"));
    assert_eq!(l.get("a"), Some("2"));
    assert_eq!(l.get("c"), None);
    assert_eq!(l.iter().collect::<Vec<_>>(), [("a", "2"), ("b", "3")]);
    let d = doc("metadata:\n  labels: {app: web, tier: 3, app: api}\n");
    let l = labels(d.root().get_path(&["metadata", "labels"]));
    assert_eq!(l.get("app"), Some("api"));
    assert_eq!(l.get("tier"), Some("3"));
    let sel = LabelSelector::from_node(
        doc("matchLabels: {app: api}\nmatchExpressions: [{key: tier, operator: In, values: ['3']}]\n")
            .root()
            .into(),
    );
    assert!(sel.matches(&l));
}

/// The platform classification of one object written as YAML.
fn platform_of(yaml: &str) -> Option<&'static str> {
    let d = doc(yaml);
    let items = objects_in(&d);
    let Some(Item::Object(o)) = items.first() else {
        panic!("not an object: {yaml}")
    };
    platform::platform_reason(o)
}

#[test]
fn platform_objects_are_what_kubernetes_writes() {
    let bootstrap = "labels: {kubernetes.io/bootstrapping: rbac-defaults}";
    let platform = [
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: admin, {bootstrap}}}\n"),
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: 'system:node', {bootstrap}}}\n"),
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: extension-apiserver-authentication-reader, namespace: kube-system, {bootstrap}}}\n"),
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: cluster-admin, {bootstrap}}}\nroleRef: {{kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: Group, name: 'system:masters'}}]\n"),
        // The bootstrap policy itself opens these to everyone.
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: 'system:public-info-viewer', {bootstrap}}}\nroleRef: {{kind: ClusterRole, name: 'system:public-info-viewer'}}\nsubjects: [{{kind: Group, name: 'system:authenticated'}}, {{kind: Group, name: 'system:unauthenticated'}}]\n"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n".into(),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: kube-public}\n".into(),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: replicaset-controller, namespace: kube-system}\n".into(),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: generic-garbage-collector, namespace: kube-system}\n".into(),
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata: {name: default-token-ldl6h, namespace: default, annotations: {kubernetes.io/service-account.name: default}}\n".into(),
        // Listed metadata-only (no type) by `kubeward cluster`.
        "apiVersion: v1\nkind: Secret\nmetadata: {name: ttl-controller-token-x7k2p, namespace: kube-system, annotations: {kubernetes.io/service-account.name: ttl-controller, kubernetes.io/service-account.uid: 1b2c}}\n".into(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-root-ca.crt, namespace: shop}\n".into(),
        "apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default}\n".into(),
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system, labels: {addonmanager.kubernetes.io/mode: Reconcile}}\n".into(),
    ];
    for yaml in &platform {
        assert!(platform_of(yaml).is_some(), "platform: {yaml}");
    }
    let user = [
        // The label alone does not make a role Kubernetes' own.
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: ci-admin, {bootstrap}}}\n"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:custom'}\n".into(),
        // A platform role opened to everyone is the user's doing, label or not.
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: 'system:oops', {bootstrap}}}\nroleRef: {{kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: Group, name: 'system:authenticated'}}]\n"),
        // Named and labelled like the bootstrap, but for a user's identity.
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: 'system:ops', {bootstrap}}}\nroleRef: {{kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: mallory}}]\n"),
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: 'system:ops', namespace: kube-system, {bootstrap}}}\nroleRef: {{kind: ClusterRole, name: admin}}\nsubjects: [{{kind: ServiceAccount, name: ci, namespace: shop}}]\n"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: everyone-admin}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: 'system:anonymous'}]\n".into(),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n".into(),
        // CIS 5.1.5: the user's own namespaces' default accounts are theirs to configure.
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n".into(),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: metrics, namespace: kube-system}\n".into(),
        // A long-lived token the user asked for, even for a platform account.
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata: {name: ci-token, namespace: kube-system, annotations: {kubernetes.io/service-account.name: default}}\n".into(),
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata: {name: deployer-token-ab12c, namespace: shop, annotations: {kubernetes.io/service-account.name: deployer}}\n".into(),
        "apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: shop}\n".into(),
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: monitoring, labels: {addonmanager.kubernetes.io/mode: Reconcile}}\n".into(),
    ];
    for yaml in &user {
        assert_eq!(platform_of(yaml), None, "user's: {yaml}");
    }
}

/// The API writes a typed List's apiVersion and kind once, on the List: its items are objects
/// of that kind (as the API's decoder reads them), not mappings without a kind.
#[test]
fn typed_list_items_take_the_lists_kind() {
    let d = doc("apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a, namespace: ns}\n  spec: {containers: []}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n");
    let items = objects_in(&d);
    let objects: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|i| match i {
            Item::Object(o) => (o.api_version, o.kind, o.name),
            _ => panic!("not an object"),
        })
        .collect();
    assert_eq!(objects, [("v1", "Pod", "a"), ("v1", "Pod", "b")]);
    // A plain List's items must still say what they are.
    let d = doc("apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n");
    assert!(matches!(objects_in(&d)[0], Item::Invalid(_)));
}

#[test]
fn paths_within_paths() {
    let p = FieldPath::from("spec.containers[0].image");
    assert!(p.is_within(&FieldPath::from("spec")));
    assert!(p.is_within(&FieldPath::from("spec.containers")));
    assert!(p.is_within(&FieldPath::from("spec.containers[0]")));
    assert!(p.is_within(&p));
    assert!(p.is_within(&FieldPath::root()));
    assert!(!p.is_within(&FieldPath::from("spec.container")));
    assert!(!p.is_within(&FieldPath::from("spec.containers[0].im")));
    assert!(!FieldPath::from("spec").is_within(&p));
    let annotated = FieldPath::from("metadata").key("annotations").key("a.b/c");
    assert!(annotated.is_within(&FieldPath::from("metadata.annotations")));
}

#[test]
fn mismatches_carry_the_wrong_fields_path() {
    let d = doc("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n- containers: []\n");
    let Item::Object(obj) = &objects_in(&d)[0] else {
        panic!()
    };
    let m = shape::mismatches(obj);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].path.as_str(), "spec");
    assert_eq!(m[0].problem.pos.line, 4, "at the field");
}
