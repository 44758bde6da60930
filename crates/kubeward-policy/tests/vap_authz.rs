//! `authorizer` in ValidatingAdmissionPolicies, answered from the RBAC objects known to the
//! evaluation. Every expected answer is derived by hand from Kubernetes' RBAC semantics
//! (kubernetes.io/docs/reference/access-authn-authz/rbac: a RoleBinding grants only in its
//! own namespace, a ClusterRoleBinding everywhere; a `ServiceAccount` subject without a
//! namespace in a RoleBinding means the binding's; `resources: [deployments/scale]` grants
//! that subresource only; `nonResourceURLs` with a trailing `*` match the prefix), the
//! authz library's documentation (`k8s.io/apiserver/pkg/cel/library/authz.go` at
//! kubernetes/kubernetes 34efe8e0d1a226b4d24916285acb6ea35e511668) and the identity it gives
//! `authorizer.serviceAccount(ns, name)` (`serviceaccount.ServiceAccountInfo.UserInfo()`:
//! user `system:serviceaccount:ns:name`, groups `system:serviceaccounts` and
//! `system:serviceaccounts:ns`, and *not* `system:authenticated`).

use kubeward_policy::load::parse_documents;
use kubeward_policy::{EngineChoice, Inventory, PolicySet, PolicySetBuilder, Review, Violation};
use serde_json::{json, Value};

/// The RBAC objects every test here reviews with.
const RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read-secrets-global}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: Group, name: auditors, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: ci}
rules:
- {apiGroups: [apps], resources: [deployments, deployments/scale], verbs: [create, update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer-binding, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: ServiceAccount, name: builder}
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: probes}
rules:
- {nonResourceURLs: [/healthz, /metrics/*], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: probes-for-everyone}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: probes}
subjects:
- {kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}
"#;

fn rbac_objects() -> Vec<Value> {
    let (docs, errors) = parse_documents(RBAC, "rbac.yaml");
    assert!(errors.is_empty(), "{errors:?}");
    docs.into_iter().map(|d| d.value).collect()
}

/// A policy on Deployments whose validations are `(message, expression)`, bound with Deny.
fn policy(validations: &[(&str, &str)]) -> PolicySet {
    let vs: Vec<Value> = validations
        .iter()
        .map(|(m, e)| json!({"expression": e, "message": m}))
        .collect();
    let p = json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy", "metadata": {"name": "authz"},
        "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": ["apps"],
            "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
            "resources": ["deployments"]}]},
            "validations": vs}});
    let b = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: authz-binding}
spec: {policyName: authz, validationActions: [Deny]}
";
    let mut builder = PolicySetBuilder::new(EngineChoice::Auto);
    for text in [serde_json::to_string(&p).unwrap().as_str(), b] {
        let (docs, errors) = parse_documents(text, "policy.yaml");
        assert!(errors.is_empty(), "{errors:?}");
        for d in docs {
            assert!(builder.add(d));
        }
    }
    let (set, errors) = builder.build();
    assert!(errors.is_empty(), "{errors:?}");
    set
}

fn deployment(ns: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

/// An admission request creating a Deployment in `ns`, by `user` in `groups`.
fn request(ns: &str, user: &str, groups: &[&str]) -> Review {
    Review::from_admission_review(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "1", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "web", "namespace": ns, "operation": "CREATE",
            "userInfo": {"username": user, "groups": groups},
            "object": deployment(ns)}}))
    .unwrap()
}

/// The messages of the validations that failed, sorted; evaluation errors are test failures.
fn failed(violations: Vec<Violation>) -> Vec<String> {
    for v in &violations {
        assert!(!v.evaluation_error, "evaluation error: {}", v.message);
    }
    let mut m: Vec<String> = violations.into_iter().map(|v| v.message).collect();
    m.sort();
    m
}

/// Each row: (message, check expression, allowed?). The policy validates each check, so
/// exactly the rows whose answer is "not allowed" fail.
fn expect(set: &PolicySet, review: &Review, inventory: &Inventory, rows: &[(&str, &str, bool)]) {
    let mut want: Vec<String> = rows
        .iter()
        .filter(|(_, _, allowed)| !allowed)
        .map(|(m, _, _)| m.to_string())
        .collect();
    want.sort();
    assert_eq!(failed(set.review(review, inventory)), want);
}

#[test]
fn service_account_checks_are_answered_exactly_by_the_rbac_model() {
    let rows: &[(&str, &str, bool)] = &[
        // deployer-binding (RoleBinding in ci) binds Role deployer to ServiceAccount builder
        // (no namespace: the binding's, ci); deployer allows create on apps/deployments.
        (
            "sa create in ci",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').namespace('ci').check('create').allowed()",
            true,
        ),
        // a RoleBinding grants only in its own namespace
        (
            "sa create in prod",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').namespace('prod').check('create').allowed()",
            false,
        ),
        // nor cluster-wide (namespace unset)
        (
            "sa create cluster-wide",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').check('create').allowed()",
            false,
        ),
        // the rule lists deployments/scale: that subresource is granted
        (
            "sa scale",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').subresource('scale').namespace('ci').check('update').allowed()",
            true,
        ),
        // ... but not deployments/status, and subresource('') is the resource itself
        (
            "sa status",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').subresource('status').namespace('ci').check('update').allowed()",
            false,
        ),
        (
            "sa empty subresource",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').subresource('').namespace('ci').name('web').check('patch').allowed()",
            true,
        ),
        // the verb must be listed: delete is not
        (
            "sa delete",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').namespace('ci').check('delete').allowed()",
            false,
        ),
        // the group must match: deployments in the core group are another resource
        (
            "sa core group",
            "authorizer.serviceAccount('ci', 'builder').group('').resource('deployments').namespace('ci').check('create').allowed()",
            false,
        ),
        // a service account of the same name in another namespace is another subject
        (
            "other sa",
            "authorizer.serviceAccount('prod', 'builder').group('apps').resource('deployments').namespace('ci').check('create').allowed()",
            false,
        ),
        // probes-for-everyone binds system:authenticated, a group the authorizer's service
        // account identity does not carry (only the authenticator adds it)
        (
            "sa healthz",
            "authorizer.serviceAccount('ci', 'builder').path('/healthz').check('get').allowed()",
            false,
        ),
        // RBAC's reason names the binding, the role and the subject
        (
            "sa reason",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').namespace('ci').check('create').reason() == 'RBAC: allowed by RoleBinding \"deployer-binding/ci\" of Role \"deployer\" to ServiceAccount \"builder/ci\"'",
            true,
        ),
        // denied: RBAC has no opinion and gives no reason, and no error
        (
            "sa denied reason",
            "authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').namespace('prod').check('create').reason() == '' && !authorizer.serviceAccount('ci', 'builder').group('apps').resource('deployments').namespace('prod').check('create').errored()",
            true,
        ),
    ];
    let set = policy(&rows.iter().map(|(m, e, _)| (*m, *e)).collect::<Vec<_>>());
    let objects = rbac_objects();
    let inventory = Inventory::new(objects.iter());
    // an object on its own (no requesting user): service account checks need none
    let object = Review::from_object(&deployment("ci")).unwrap();
    expect(&set, &object, &inventory, rows);
}

#[test]
fn request_user_checks_use_the_request_user_info() {
    let rows: &[(&str, &str, bool)] = &[
        // alice is a User subject of deployer-binding (ci)
        (
            "patch in ci",
            "authorizer.group('apps').resource('deployments').namespace('ci').check('patch').allowed()",
            true,
        ),
        // secrets are granted to the group auditors only
        (
            "get secret",
            "authorizer.group('').resource('secrets').namespace('ci').name('db').check('get').allowed()",
            false,
        ),
        // the request's groups carry system:authenticated: /metrics/* is granted
        (
            "metrics",
            "authorizer.path('/metrics/cpu').check('get').allowed()",
            true,
        ),
        // a path outside the rule's
        ("logs", "authorizer.path('/logs').check('get').allowed()", false),
        // the request's own resource: create deployments in ci
        (
            "request resource",
            "authorizer.requestResource.check('create').allowed()",
            true,
        ),
    ];
    let set = policy(&rows.iter().map(|(m, e, _)| (*m, *e)).collect::<Vec<_>>());
    let objects = rbac_objects();
    let inventory = Inventory::new(objects.iter());
    let alice = request("ci", "alice", &["developers", "system:authenticated"]);
    expect(&set, &alice, &inventory, rows);

    // The same checks for bob of the group auditors, in prod: bob has no deployment rights
    // anywhere, may get secrets in every namespace (a ClusterRoleBinding), and has no
    // system:authenticated group in this request, so no probe paths.
    let bob = request("prod", "bob", &["auditors"]);
    let bob_rows: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|(m, e, _)| (*m, *e, matches!(*m, "get secret")))
        .collect();
    expect(&set, &bob, &inventory, &bob_rows);

    // system:masters is allowed everything (the API server's privileged-group authorizer)
    let root = request("prod", "root", &["system:masters"]);
    let root_rows: Vec<(&str, &str, bool)> = rows.iter().map(|(m, e, _)| (*m, *e, true)).collect();
    expect(&set, &root, &inventory, &root_rows);

    // a ClusterRoleBinding's reason
    let set = policy(&[(
        "reason",
        "authorizer.group('').resource('secrets').namespace('x').check('list').reason() == 'RBAC: allowed by ClusterRoleBinding \"read-secrets-global\" of ClusterRole \"secret-reader\" to Group \"auditors\"'",
    )]);
    assert!(failed(set.review(&bob, &inventory)).is_empty());
}

#[test]
fn an_unknown_user_or_no_rbac_objects_give_an_errored_decision() {
    let set = policy(&[
        (
            "errored",
            "authorizer.group('apps').resource('deployments').namespace('ci').check('create').errored()",
        ),
        (
            "not allowed",
            "!authorizer.group('apps').resource('deployments').namespace('ci').check('create').allowed()",
        ),
        (
            "says why",
            "authorizer.path('/healthz').check('get').error().contains('the requesting user is unknown')",
        ),
    ]);
    let objects = rbac_objects();
    let inventory = Inventory::new(objects.iter());
    // an offline scan reviews objects on their own: userInfo is empty
    let object = Review::from_object(&deployment("ci")).unwrap();
    assert!(failed(set.review(&object, &inventory)).is_empty());

    // no RBAC object known at all: nothing to answer from, even for a known user
    let set = policy(&[
        (
            "errored",
            "authorizer.serviceAccount('ci', 'builder').path('/healthz').check('get').errored()",
        ),
        (
            "says why",
            "authorizer.group('apps').resource('deployments').check('get').error().contains('no RBAC objects are known')",
        ),
    ]);
    let alice = request("ci", "alice", &["system:authenticated"]);
    assert!(failed(set.review(&alice, &Inventory::default())).is_empty());
}

#[test]
fn the_library_refuses_what_authz_go_documents_as_errors() {
    for (expr, error) in [
        ("authorizer.path('').check('get').allowed()", "path must not be empty"),
        ("authorizer.path('  ').check('get').allowed()", "path must not be empty"),
        (
            "authorizer.group('apps').resource('').check('get').allowed()",
            "resource must not be empty",
        ),
        (
            "authorizer.group('apps').resource('  ').check('get').allowed()",
            "resource must not be empty",
        ),
        (
            "authorizer.serviceAccount('not@a#valid!namespace', 'validname').path('/x').check('get').allowed()",
            "Invalid service account namespace",
        ),
        (
            "authorizer.serviceAccount('valid.example.com', 'invalid@*name').path('/x').check('get').allowed()",
            "Invalid service account name",
        ),
    ] {
        let set = policy(&[("m", expr)]);
        let objects = rbac_objects();
        let v = set.review(
            &request("ci", "alice", &[]),
            &Inventory::new(objects.iter()),
        );
        assert_eq!(v.len(), 1, "{expr}");
        assert!(v[0].evaluation_error, "{expr}");
        assert!(v[0].message.contains(error), "{expr}: {}", v[0].message);
    }
}

#[test]
fn checks_are_charged_to_the_budget() {
    // 150 checks in one evaluation exceed the budget (10,000 units each, 1,000,000 in all)
    let list: Vec<String> = (0..150).map(|i| i.to_string()).collect();
    let expr = format!(
        "[{}].all(i, !authorizer.serviceAccount('ci', 'builder').path('/x').check('get').allowed())",
        list.join(", ")
    );
    let set = policy(&[("m", &expr)]);
    let objects = rbac_objects();
    let v = set.review(
        &request("ci", "alice", &[]),
        &Inventory::new(objects.iter()),
    );
    assert_eq!(v.len(), 1);
    assert!(v[0].evaluation_error);
    assert!(
        v[0].message.contains("cost limit exceeded"),
        "{}",
        v[0].message
    );
    // 50 are within it
    let list: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let expr = expr.replace(
        &format!(
            "[{}]",
            (0..150)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        &format!("[{}]", list.join(", ")),
    );
    let set = policy(&[("m", &expr)]);
    assert!(failed(set.review(
        &request("ci", "alice", &[]),
        &Inventory::new(objects.iter())
    ))
    .is_empty());
}

#[test]
fn a_scan_keeps_the_rbac_objects_for_policies_that_ask_the_authorizer() {
    let set = policy(&[("m", "authorizer.path('/healthz').check('get').allowed()")]);
    assert!(set.needs_all_objects());
    for o in rbac_objects() {
        assert!(set.inventory_needs(&o), "{o}");
    }
    // a policy without authorizer needs neither
    let plain = policy(&[("m", "object.metadata.name != ''")]);
    assert!(!plain.needs_all_objects());
    assert!(!plain.inventory_needs(&rbac_objects()[0]));
}

#[test]
fn the_fuzz_seed_using_every_library_passes_offline() {
    // fuzz/corpus/policy/seed-vap-k8s-libraries.yaml: one policy reading every ported
    // library, RBAC objects, and a Deployment; each validation is true by the libraries'
    // semantics (offline, the request's user is unknown: the path check is errored).
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/policy/seed-vap-k8s-libraries.yaml"),
    )
    .unwrap();
    let (docs, errors) = parse_documents(&text, "seed.yaml");
    assert!(errors.is_empty(), "{errors:?}");
    let values: Vec<Value> = docs.iter().map(|d| d.value.clone()).collect();
    let mut b = PolicySetBuilder::new(EngineChoice::Auto);
    for d in docs {
        let v = d.value.clone();
        if !b.add(d) {
            b.add_object(v);
        }
    }
    let (set, errors) = b.build();
    assert!(errors.is_empty(), "{errors:?}");
    let deployment = values.last().unwrap();
    let v = set.evaluate(deployment, &Inventory::new(values.iter()));
    assert!(
        v.is_empty(),
        "{:?}",
        v.iter().map(|v| &v.message).collect::<Vec<_>>()
    );
}
