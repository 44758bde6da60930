//! ValidatingAdmissionPolicy and bindings: the Kubernetes documentation's own examples
//! (tests/data/vap, see its PROVENANCE) with the outcomes the documentation states, and the
//! API server's semantics for matching, params, failure policy and validation actions
//! (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/policy).

use kubeward_policy::load::parse_documents;
use kubeward_policy::{
    denial_message, EnforcementAction, EngineChoice, Inventory, PolicyErrorKind, PolicySet,
    PolicySetBuilder, Review, Violation,
};
use serde_json::{json, Value};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/vap")
            .join(name),
    )
    .unwrap()
}

fn build(texts: &[&str]) -> (PolicySet, Vec<kubeward_policy::PolicyError>) {
    let mut b = PolicySetBuilder::new(EngineChoice::Auto);
    for (i, t) in texts.iter().enumerate() {
        let (docs, errors) = parse_documents(t, &format!("policy{i}.yaml"));
        assert!(errors.is_empty(), "{errors:?}");
        for d in docs {
            let v = d.value.clone();
            if !b.add(d) {
                b.add_object(v);
            }
        }
    }
    b.build()
}

fn deployment(ns: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": ns, "labels": {"app": "nginx"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
            "template": {"metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})
}

fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

fn review(set: &PolicySet, object: &Value, objects: &[Value]) -> Vec<Violation> {
    let inv = Inventory::new(objects.iter().chain(set.objects()));
    set.evaluate(object, &inv)
}

#[test]
fn the_documentations_basic_policy_denies_six_replicas_in_a_test_namespace() {
    let (set, errors) = build(&[
        &data("basic-example-policy.yaml"),
        &data("basic-example-binding.yaml"),
    ]);
    assert!(errors.is_empty(), "{errors:?}");
    let nss = [
        namespace("test", json!({"environment": "test"})),
        namespace("prod", json!({"environment": "prod"})),
    ];
    let v = review(&set, &deployment("test", 6), &nss);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(!v[0].evaluation_error);
    assert_eq!(v[0].enforcement_action, EnforcementAction::Deny);
    assert_eq!(
        denial_message(&v[0].template, &v[0].constraint, &v[0].message),
        "ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5"
    );
    // within the limit, or in a namespace the binding does not select: nothing
    assert!(review(&set, &deployment("test", 5), &nss).is_empty());
    assert!(review(&set, &deployment("prod", 6), &nss).is_empty());
    // another resource than deployments: not matched
    let mut rs = deployment("test", 9);
    rs["kind"] = json!("ReplicaSet");
    assert!(review(&set, &rs, &nss).is_empty());
    // the Namespace is not known: the API server cannot match, and refuses (fails closed)
    let v = review(&set, &deployment("elsewhere", 6), &nss);
    assert_eq!(v.len(), 1);
    assert!(v[0].evaluation_error);
    assert!(v[0].message.contains("not found"), "{}", v[0].message);
}

#[test]
fn params_by_name_with_not_found_action_and_message_expression() {
    let param = "apiVersion: rules.example.com/v1
kind: ReplicaLimit
metadata:
  name: replica-limit-test.example.com
  namespace: default
maxReplicas: 3
";
    let (set, errors) = build(&[
        &data("policy-with-param.yaml"),
        &data("binding-with-param.yaml"),
        param,
    ]);
    assert!(errors.is_empty(), "{errors:?}");
    let nss = [namespace("test", json!({"environment": "test"}))];
    let v = review(&set, &deployment("test", 5), &nss);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].message,
        "failed expression: object.spec.replicas <= params.maxReplicas"
    );
    assert_eq!(v[0].details["reason"], "Invalid");
    assert!(review(&set, &deployment("test", 3), &nss).is_empty());

    // Without the param: parameterNotFoundAction Deny is a configuration error, denied under
    // failurePolicy Fail with the API server's message.
    let (set, _) = build(&[
        &data("policy-with-param.yaml"),
        &data("binding-with-param.yaml"),
    ]);
    let v = review(&set, &deployment("test", 1), &nss);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].evaluation_error);
    assert_eq!(
        v[0].message,
        "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction"
    );
    // ... and Allow admits
    let allow = data("binding-with-param.yaml").replace(
        "parameterNotFoundAction: Deny",
        "parameterNotFoundAction: Allow",
    );
    let (set, _) = build(&[&data("policy-with-param.yaml"), &allow]);
    assert!(review(&set, &deployment("test", 100), &nss).is_empty());

    // messageExpression, with the param's value
    let binding = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas}
spec:
  policyName: deploy-replica-policy.example.com
  validationActions: [Warn, Audit]
  paramRef: {name: replica-limit-test.example.com, namespace: default, parameterNotFoundAction: Deny}
";
    let (set, errors) = build(&[&data("deployment-replicas-policy.yaml"), binding, param]);
    assert!(errors.is_empty(), "{errors:?}");
    let v = review(&set, &deployment("default", 4), &[]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].message,
        "object.spec.replicas must be no greater than 3"
    );
    assert_eq!(v[0].enforcement_action, EnforcementAction::Warn);
}

#[test]
fn params_by_selector_are_each_evaluated_and_namespaced_params_default_to_the_request() {
    let policy = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: object.spec.replicas <= int(params.data.max)
    messageExpression: \"'at most ' + params.data.max\"
";
    let binding = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max}
spec:
  policyName: max
  validationActions: [Deny]
  paramRef:
    selector: {matchLabels: {limits: replicas}}
    parameterNotFoundAction: Allow
";
    let cm = |ns: &str, name: &str, max: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "labels": {"limits": "replicas"}},
            "data": {"max": max}})
    };
    let (set, errors) = build(&[policy, binding]);
    assert!(errors.is_empty(), "{errors:?}");
    let objects = [
        cm("a", "one", "3"),
        cm("a", "two", "5"),
        cm("b", "three", "1"),
    ];
    let mut msgs: Vec<String> = review(&set, &deployment("a", 4), &objects)
        .into_iter()
        .map(|v| v.message)
        .collect();
    msgs.sort();
    assert_eq!(msgs, ["at most 3"]);
    let v = review(&set, &deployment("a", 6), &objects);
    assert_eq!(v.len(), 2, "{v:?}");
    // a namespace without params: Allow, nothing
    assert!(review(&set, &deployment("c", 60), &objects).is_empty());
}

#[test]
fn resource_rules_scope_exclusions_object_selector_and_match_conditions() {
    let policy = "apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicy
metadata: {name: labels}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
    - {apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], scope: Namespaced}
    excludeResourceRules:
    - {apiGroups: [''], apiVersions: [v1], operations: ['*'], resources: [configmaps]}
    objectSelector:
      matchExpressions: [{key: skip, operator: DoesNotExist}]
  matchConditions:
  - name: not-kube-system
    expression: object.metadata.namespace != 'kube-system'
  variables:
  - name: owner
    expression: \"has(object.metadata.labels) && 'owner' in object.metadata.labels\"
  validations:
  - expression: variables.owner
    message: an owner label is required
    fieldPath: metadata.labels
    reason: Forbidden
  - expression: object.spec.replicas > 0
";
    let binding = "apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: labels}
spec: {policyName: labels, validationActions: [Audit]}
";
    let (set, errors) = build(&[policy, binding]);
    assert!(errors.is_empty(), "{errors:?}");
    let v = review(&set, &deployment("a", 1), &[]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].message, "an owner label is required");
    assert_eq!(v[0].details["fieldPath"], "metadata.labels");
    assert_eq!(v[0].details["reason"], "Forbidden");
    assert_eq!(v[0].enforcement_action, EnforcementAction::Dryrun);
    // excluded resource, object selector, match condition, cluster scope
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}});
    assert!(review(&set, &cm, &[]).is_empty());
    let mut skipped = deployment("a", 1);
    skipped["metadata"]["labels"]["skip"] = json!("yes");
    assert!(review(&set, &skipped, &[]).is_empty());
    assert!(review(&set, &deployment("kube-system", 1), &[]).is_empty());
    let cluster = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}});
    assert!(review(&set, &cluster, &[]).is_empty());
    // an evaluation error (no spec.replicas on a Pod) is ignored under failurePolicy Ignore
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a", "labels": {"owner": "me"}}, "spec": {}});
    assert!(review(&set, &pod, &[]).is_empty());
    // ... kept by `review`, marked ignored, for the webhook to admit, log and count
    let all = set.review(
        &kubeward_policy::Review::from_object(&pod).unwrap(),
        &Inventory::new(set.objects()),
    );
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].evaluation_error && all[0].ignored, "{all:?}");
}

#[test]
fn admission_requests_match_on_operation_and_subresource() {
    let policy = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-scale-down}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments, deployments/scale]}
  validations:
  - expression: oldObject == null || object.spec.replicas >= oldObject.spec.replicas
    message: no scaling down
";
    let binding = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: b}
spec: {policyName: no-scale-down, validationActions: [Deny]}
";
    let (set, errors) = build(&[policy, binding]);
    assert!(errors.is_empty(), "{errors:?}");
    let request = |op: &str, sub: &str, new: i64, old: i64| {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "1", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "subResource": sub, "name": "nginx", "namespace": "a", "operation": op,
            "userInfo": {"username": "u"},
            "object": deployment("a", new), "oldObject": deployment("a", old)}})
    };
    let eval = |doc: Value| {
        let r = Review::from_admission_review(&doc).unwrap();
        set.review(&r, &Inventory::default())
    };
    assert_eq!(eval(request("UPDATE", "", 1, 3)).len(), 1);
    assert_eq!(eval(request("UPDATE", "scale", 1, 3)).len(), 1);
    assert!(eval(request("UPDATE", "status", 1, 3)).is_empty());
    assert!(eval(request("UPDATE", "", 3, 1)).is_empty());
    // an object on its own is reviewed as a CREATE: not matched
    assert!(review(&set, &deployment("a", 1), &[]).is_empty());
}

#[test]
fn bad_policies_and_bindings_are_located_errors_and_the_rest_still_runs() {
    let text = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: object.spec.replicas <=
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: orphan}
spec: {policyName: nowhere, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: both}
spec: {policyName: broken, validationActions: [Deny, Warn]}
";
    let (set, errors) = build(&[
        text,
        &data("basic-example-policy.yaml"),
        "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: all}
spec: {policyName: demo-policy.example.com, validationActions: [Deny]}
",
    ]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    let compile = errors
        .iter()
        .find(|e| e.kind == PolicyErrorKind::Compile)
        .unwrap();
    assert_eq!(
        (compile.source.line, compile.source.column),
        (9, 17),
        "{compile}"
    );
    let orphan = errors
        .iter()
        .find(|e| e.kind == PolicyErrorKind::MissingTemplate)
        .unwrap();
    assert_eq!(orphan.source.line, 14, "{orphan}");
    assert!(orphan
        .message
        .contains("no ValidatingAdmissionPolicy named \"nowhere\""));
    assert!(errors
        .iter()
        .any(|e| e.message.contains("both Deny and Warn")));
    // the good policy still runs (no namespaceSelector: every namespace)
    assert_eq!(review(&set, &deployment("x", 6), &[]).len(), 1);
}
