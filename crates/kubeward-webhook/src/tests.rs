//! Decision logic on requests shaped as the API server sends them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::config::{OnError, WebhookConfig};
use crate::policy::{Decider, Level, Levels, Path, StaticNamespaces};
use crate::review::{self, decode, encode};

pub(crate) fn privileged_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "team-a"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
            "securityContext": {"privileged": true}}]}
    })
}

pub(crate) fn restricted_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "good", "namespace": "team-a"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "nginx:1.27",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
        }
    })
}

/// A Pod that passes baseline but not restricted.
pub(crate) fn baseline_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "b", "namespace": "team-a"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    })
}

fn gvk_for(kind: &str) -> (Value, Value) {
    match kind {
        "Deployment" => (
            json!({"group": "apps", "version": "v1", "kind": "Deployment"}),
            json!({"group": "apps", "version": "v1", "resource": "deployments"}),
        ),
        "ClusterRole" => (
            json!({"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole"}),
            json!({"group": "rbac.authorization.k8s.io", "version": "v1", "resource": "clusterroles"}),
        ),
        _ => (
            json!({"group": "", "version": "v1", "kind": "Pod"}),
            json!({"group": "", "version": "v1", "resource": "pods"}),
        ),
    }
}

/// An AdmissionReview as the API server sends it.
pub(crate) fn review_body(
    operation: &str,
    namespace: &str,
    object: Option<Value>,
    old: Option<Value>,
    sub_resource: Option<&str>,
) -> Vec<u8> {
    let kind = object
        .as_ref()
        .or(old.as_ref())
        .and_then(|o| o["kind"].as_str())
        .unwrap_or("Pod")
        .to_string();
    let name = object
        .as_ref()
        .or(old.as_ref())
        .and_then(|o| o["metadata"]["name"].as_str())
        .unwrap_or("")
        .to_string();
    let (gvk, gvr) = gvk_for(&kind);
    let mut request = json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": gvk, "resource": gvr,
        "requestKind": gvk, "requestResource": gvr,
        "name": name,
        "operation": operation,
        "userInfo": {"username": "alice", "uid": "1", "groups": ["system:authenticated"]},
        "object": object, "oldObject": old,
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
    });
    if !namespace.is_empty() {
        request["namespace"] = json!(namespace);
    }
    if let Some(s) = sub_resource {
        request["subResource"] = json!(s);
    }
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request
    }))
    .unwrap()
}

fn decider(cfg: WebhookConfig) -> Decider {
    let ns = Arc::new(StaticNamespaces(cfg.namespaces.clone()));
    Decider::new(cfg, ns)
}

fn cfg(enforce: Level, warn: Level, audit: Level) -> WebhookConfig {
    WebhookConfig {
        defaults: Levels {
            enforce,
            warn,
            audit,
        },
        ..WebhookConfig::default()
    }
}

fn answer(d: &Decider, body: &[u8]) -> (Value, Path) {
    let req = decode(body).expect("decodes");
    let o = d.decide(&req);
    let v: Value = serde_json::from_slice(&encode(&o.response)).unwrap();
    (v, o.path)
}

use Level::*;

#[test]
fn decode_rejects_bad_envelopes_with_clear_messages() {
    let cases: &[(&[u8], &str)] = &[
        (b"{not json", "not an AdmissionReview"),
        (b"[]", "not an AdmissionReview"),
        (
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE"}}"#,
            "apiVersion \"admission.k8s.io/v1beta1\" is not supported",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"TokenReview"}"#,
            "kind \"TokenReview\" is not supported",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
            "`request` is missing",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#,
            "`request.uid` is missing",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"PATCH"}}"#,
            "not one of CREATE, UPDATE, DELETE, CONNECT",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","userInfo":"x"}}"#,
            "not an AdmissionReview",
        ),
    ];
    for (body, want) in cases {
        let err = decode(body).unwrap_err();
        assert!(err.0.contains(want), "{err} should contain {want}");
    }
}

#[test]
fn enforce_denies_a_privileged_pod_with_each_violation() {
    let d = decider(cfg(Baseline, Privileged, Privileged));
    let (v, path) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(privileged_pod()), None, None),
    );
    assert_eq!(path, Path::Evaluated);
    insta::assert_json_snapshot!("enforce_privileged_pod", v);
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 403);
}

#[test]
fn enforce_denies_a_deployment_template_at_its_field_path() {
    let d = decider(cfg(Baseline, Privileged, Privileged));
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "team-a"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": privileged_pod()["spec"].clone()}}
    });
    let (v, _) = answer(
        &d,
        &review_body(
            "UPDATE",
            "team-a",
            Some(deployment.clone()),
            Some(deployment),
            None,
        ),
    );
    let msg = v["response"]["status"]["message"].as_str().unwrap();
    assert!(msg.starts_with("kubeward: Deployment \"web\" in namespace \"team-a\" violates the enforce level \"baseline\""), "{msg}");
    assert!(
        msg.contains("KW101 privileged-container at spec.template.spec.containers[0].securityContext.privileged"),
        "{msg}"
    );
}

#[test]
fn compliant_pod_is_allowed_with_nothing_to_say() {
    let d = decider(cfg(Restricted, Restricted, Restricted));
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(restricted_pod()), None, None),
    );
    assert_eq!(
        v,
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}})
    );
}

#[test]
fn warn_mode_allows_with_short_warnings() {
    let d = decider(cfg(Baseline, Restricted, Privileged));
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(baseline_pod()), None, None),
    );
    insta::assert_json_snapshot!("warn_restricted_baseline_pod", v);
    assert_eq!(v["response"]["allowed"], true);
    let warnings = v["response"]["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty());
    for w in warnings {
        assert!(w.as_str().unwrap().chars().count() <= 120, "{w}");
    }
}

#[test]
fn audit_mode_allows_with_annotations_per_control() {
    let d = decider(cfg(Privileged, Privileged, Restricted));
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(baseline_pod()), None, None),
    );
    insta::assert_json_snapshot!("audit_restricted_baseline_pod", v);
    assert_eq!(v["response"]["allowed"], true);
    assert!(v["response"].get("warnings").is_none());
    let ann = v["response"]["auditAnnotations"].as_object().unwrap();
    assert!(ann.contains_key("audit-level"));
    assert!(
        ann.keys().all(|k| !k.contains('/')),
        "keys are prefixed by the API server"
    );
}

#[test]
fn levels_nest_and_all_adds_other_controls_by_severity() {
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "everything"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
    });
    let body = review_body("CREATE", "", Some(role), None, None);
    let (v, _) = answer(&decider(cfg(Restricted, Privileged, Privileged)), &body);
    assert_eq!(
        v["response"]["allowed"], true,
        "no PSS control applies to RBAC"
    );
    let (v, _) = answer(&decider(cfg(All, Privileged, Privileged)), &body);
    assert_eq!(v["response"]["allowed"], false);
    let msg = v["response"]["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("ClusterRole \"everything\" violates the enforce level \"all\""),
        "{msg}"
    );
    // Raising the bar above every finding's severity lets it through.
    let mut c = cfg(All, Privileged, Privileged);
    c.all_min_severity = kubeward_controls::Severity::Critical;
    c.severity = vec![];
    let (v, _) = answer(&decider(c), &body);
    let critical = v["response"]["allowed"] == false;
    // Whatever stays must be critical.
    if critical {
        assert!(v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("KW6"));
    }
}

#[test]
fn namespace_labels_override_defaults_and_bad_values_fail_closed() {
    let mut c = cfg(Privileged, Privileged, Privileged);
    c.namespaces = HashMap::from([
        (
            "team-a".to_string(),
            BTreeMap::from([("kubeward.io/enforce".to_string(), "baseline".to_string())]),
        ),
        (
            "typo".to_string(),
            BTreeMap::from([("kubeward.io/enforce".to_string(), "basline".to_string())]),
        ),
    ]);
    let d = decider(c);
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(privileged_pod()), None, None),
    );
    assert_eq!(v["response"]["allowed"], false);
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-b", Some(privileged_pod()), None, None),
    );
    assert_eq!(
        v["response"]["allowed"], true,
        "unlabelled namespace: defaults"
    );
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "typo", Some(baseline_pod()), None, None),
    );
    assert_eq!(
        v["response"]["allowed"], false,
        "an unknown level enforces restricted"
    );
    assert!(v["response"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("kubeward.io/enforce=\"basline\" is not a level"));
}

#[test]
fn exemptions_by_namespace_username_and_runtime_class() {
    let mut c = cfg(Restricted, Restricted, Restricted);
    c.exempt_namespaces = vec!["team-a".to_string()];
    let (v, path) = answer(
        &decider(c),
        &review_body("CREATE", "team-a", Some(privileged_pod()), None, None),
    );
    assert_eq!(
        (v["response"]["allowed"].clone(), path),
        (json!(true), Path::Exempt("namespace"))
    );
    assert_eq!(v["response"]["auditAnnotations"]["exempt"], "namespace");

    let mut c = cfg(Restricted, Restricted, Restricted);
    c.exempt_usernames = vec!["alice".to_string()];
    let (_, path) = answer(
        &decider(c),
        &review_body("CREATE", "team-a", Some(privileged_pod()), None, None),
    );
    assert_eq!(path, Path::Exempt("username"));

    let mut c = cfg(Restricted, Restricted, Restricted);
    c.exempt_runtime_classes = vec!["kata".to_string()];
    let d = decider(c);
    let mut pod = privileged_pod();
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(pod.clone()), None, None),
    );
    assert_eq!(v["response"]["allowed"], false);
    pod["spec"]["runtimeClassName"] = json!("kata");
    let (_, path) = answer(&d, &review_body("CREATE", "team-a", Some(pod), None, None));
    assert_eq!(path, Path::Exempt("runtimeClass"));
}

#[test]
fn delete_connect_and_other_subresources_are_allowed_unevaluated() {
    let d = decider(cfg(Restricted, Restricted, Restricted));
    for (op, obj, old, sub) in [
        ("DELETE", None, Some(privileged_pod()), None),
        ("CONNECT", None, None, Some("exec")),
        (
            "UPDATE",
            Some(privileged_pod()),
            Some(privileged_pod()),
            Some("status"),
        ),
    ] {
        let (v, path) = answer(&d, &review_body(op, "team-a", obj, old, sub));
        assert_eq!(v["response"]["allowed"], true, "{op}");
        assert_eq!(path, Path::NotEvaluated, "{op}");
    }
}

#[test]
fn pod_update_that_keeps_the_spec_is_allowed() {
    let d = decider(cfg(Restricted, Privileged, Privileged));
    let old = privileged_pod();
    let mut new = old.clone();
    new["metadata"]["labels"] = json!({"x": "y"});
    let (v, path) = answer(
        &d,
        &review_body("UPDATE", "team-a", Some(new.clone()), Some(old), None),
    );
    assert_eq!(
        (v["response"]["allowed"].clone(), path),
        (json!(true), Path::UnchangedPodSpec)
    );
    // A changed image is judged.
    let old = new.clone();
    new["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    let (v, _) = answer(
        &d,
        &review_body("UPDATE", "team-a", Some(new), Some(old), None),
    );
    assert_eq!(v["response"]["allowed"], false);
}

#[test]
fn ephemeral_containers_judge_only_the_new_ones() {
    let d = decider(cfg(Baseline, Privileged, Privileged));
    // The pod itself is privileged (admitted earlier, say under another policy); adding a
    // harmless debug container is allowed, adding a privileged one is not.
    let old = privileged_pod();
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox:1.36"}]);
    let (v, path) = answer(
        &d,
        &review_body(
            "UPDATE",
            "team-a",
            Some(new.clone()),
            Some(old),
            Some("ephemeralcontainers"),
        ),
    );
    assert_eq!(
        (v["response"]["allowed"].clone(), path),
        (json!(true), Path::Evaluated)
    );
    let old = new.clone();
    new["spec"]["ephemeralContainers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "root", "image": "busybox:1.36", "securityContext": {"privileged": true}}));
    let (v, _) = answer(
        &d,
        &review_body(
            "UPDATE",
            "team-a",
            Some(new),
            Some(old),
            Some("ephemeralcontainers"),
        ),
    );
    let msg = v["response"]["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("spec.ephemeralContainers[1].securityContext.privileged"),
        "{msg}"
    );
    assert!(!msg.contains("spec.containers[0]"), "{msg}");
}

#[test]
fn annotation_suppression_applies_as_in_scan() {
    let d = decider(cfg(Baseline, Privileged, Privileged));
    let mut pod = privileged_pod();
    pod["metadata"]["annotations"] =
        json!({"kubeward.io/ignore": "KW101: GPU driver needs it, SEC-42"});
    let (v, _) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(pod.clone()), None, None),
    );
    assert_eq!(v["response"]["allowed"], true);
    // A malformed suppression suppresses nothing, and says so.
    pod["metadata"]["annotations"] = json!({"kubeward.io/ignore": "KW101"});
    let (v, _) = answer(&d, &review_body("CREATE", "team-a", Some(pod), None, None));
    assert_eq!(v["response"]["allowed"], false);
    assert!(v["response"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("needs a reason"));
}

#[test]
fn undecodable_objects_follow_on_error() {
    for (on_error, allowed) in [(OnError::Deny, false), (OnError::Allow, true)] {
        let mut c = cfg(Baseline, Privileged, Privileged);
        c.on_error = on_error;
        let d = decider(c);
        for object in [None, Some(json!({"just": "a map"})), Some(json!([1, 2]))] {
            let (v, path) = answer(
                &d,
                &review_body("CREATE", "team-a", object.clone(), None, None),
            );
            assert_eq!(path, Path::Error, "{object:?}");
            assert_eq!(v["response"]["allowed"], allowed, "{object:?}");
        }
    }
}

#[test]
fn privileged_everywhere_skips_evaluation_and_dry_run_is_evaluated() {
    let d = decider(cfg(Privileged, Privileged, Privileged));
    let (_, path) = answer(
        &d,
        &review_body("CREATE", "team-a", Some(privileged_pod()), None, None),
    );
    assert_eq!(path, Path::Privileged);
    let d = decider(cfg(Baseline, Privileged, Privileged));
    let mut body: Value = serde_json::from_slice(&review_body(
        "CREATE",
        "team-a",
        Some(privileged_pod()),
        None,
        None,
    ))
    .unwrap();
    body["request"]["dryRun"] = json!(true);
    let (v, _) = answer(&d, &serde_json::to_vec(&body).unwrap());
    assert_eq!(v["response"]["allowed"], false);
}

#[test]
fn truncation_keeps_char_boundaries() {
    let long = "é".repeat(300);
    let t = crate::policy::truncate(&long);
    assert_eq!(t.chars().count(), 120);
    assert!(t.ends_with("..."));
    assert_eq!(crate::policy::truncate("a\nb"), "a b");
}

#[test]
fn response_encoding_is_an_admission_review() {
    let r = review::Response::deny("u", "no".to_string());
    let v: Value = serde_json::from_slice(&encode(&r)).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
            "uid": "u", "allowed": false,
            "status": {"status": "Failure", "code": 403, "reason": "Forbidden", "message": "no"}}})
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9:/._-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("apiVersion".to_string()),
                    Just("kind".to_string()),
                    Just("metadata".to_string()),
                    Just("spec".to_string()),
                    Just("containers".to_string()),
                    Just("securityContext".to_string()),
                    "[a-z]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn random_objects_never_panic_the_decision(
        object in json_value(),
        old in json_value(),
        op in prop_oneof![Just("CREATE"), Just("UPDATE"), Just("DELETE")],
        sub in prop_oneof![Just(None), Just(Some("ephemeralcontainers")), Just(Some("status"))],
    ) {
        let mut c = cfg(All, All, All);
        c.exempt_runtime_classes = vec!["kata".to_string()];
        let d = decider(c);
        let body = review_body(op, "team-a", Some(object), Some(old), sub);
        if let Ok(req) = decode(&body) {
            let o = d.decide(&req);
            let _ = encode(&o.response);
        }
        // And the envelope with random fields in place of the request.
        let _ = decode(body.get(..body.len() / 2).unwrap_or_default());
    }
}

#[test]
fn generated_certificates_load_and_mismatched_pairs_do_not() {
    let a =
        crate::cert::generate(&["kubeward.kubeward.svc".into(), "127.0.0.1".into()], 30).unwrap();
    let b = crate::cert::generate(&["other".into()], 30).unwrap();
    crate::tls::certified_key(a.cert.as_bytes(), a.key.as_bytes()).unwrap();
    let err = crate::tls::certified_key(a.cert.as_bytes(), b.key.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("do not go together"), "{err}");
    assert!(crate::tls::certified_key(b"", a.key.as_bytes()).is_err());
    assert!(crate::tls::certified_key(a.cert.as_bytes(), b"junk").is_err());
    assert!(crate::cert::generate(&["not a name!".into()], 1).is_err());
    use base64::Engine as _;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(a.ca_bundle())
        .unwrap();
    assert_eq!(pem, a.ca_cert.as_bytes());
}

#[test]
fn values_are_counted_without_parsing() {
    use crate::policy::count_values;
    assert_eq!(count_values("[]", 100), 1);
    assert_eq!(
        count_values(r#"{"a":1,"b":[true,null,-1.5e3,"x\"y"]}"#, 100),
        9
    );
    assert_eq!(count_values(r#"{"a" : "b" , "c":{ }}"#, 100), 5);
    // Stops a little over the limit.
    let big = format!("[{}]", vec!["1"; 10_000].join(","));
    assert_eq!(count_values(&big, 100_000), 10_001);
    assert!(count_values(&big, 50) <= 52);
}

#[test]
fn envelope_errors_name_the_type_never_the_value() {
    for (body, want) in [
        (
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":739184625501,"operation":"CREATE"}}"#,
            "invalid type: an integer, expected a string",
        ),
        (
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","operation":"CREATE","dryRun":"wtEnv-Qa1Ws2Ed3"}}"#,
            "invalid type: a string, expected a boolean",
        ),
    ] {
        let e = decode(body.as_bytes()).unwrap_err().0;
        assert!(e.contains(want), "{e}");
        assert!(!e.contains("739184625501") && !e.contains("wtEnv"), "{e}");
    }
}

#[test]
fn logged_errors_stop_before_any_quoted_part() {
    use crate::log::unquoted;
    assert_eq!(
        unquoted(
            r#"spec.containers[0].env[1].value: expected a string, found an integer ("739184625501")"#
        ),
        "spec.containers[0].env[1].value: expected a string, found an integer"
    );
    assert_eq!(unquoted("duplicate key `x`"), "duplicate key");
    assert_eq!(unquoted("no quotes"), "no quotes");
}
/// Found by the admission fuzz target (issue 13, D02): an envelope field of the wrong type
/// made the 400 answer (and its log line) quote the value.
#[test]
fn decode_errors_never_quote_values() {
    let bodies: &[&[u8]] = &[
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","dryRun":"kwS3cr3tDry"}}"#,
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","userInfo":{"username":739184625501}}}"#,
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","userInfo":{"groups":"kwS3cr3t"}}}"#,
    ];
    for body in bodies {
        let err = decode(body).unwrap_err();
        assert!(
            err.0
                .starts_with("the body is not an AdmissionReview: invalid type: "),
            "{err}"
        );
        assert!(
            !err.0.contains("kwS3cr3t") && !err.0.contains("739184625501"),
            "{err}"
        );
    }
}

/// Found by the `admission` fuzz target's 30-minute run: a decode error quoted the request's
/// `apiVersion` (and would have its `kind`) verbatim, so a credential put there reached the
/// response and the log. Values are quoted only when they have the form of an apiVersion or a
/// kind name.
#[test]
fn decode_errors_quote_only_values_of_the_expected_form() {
    let err = |body: &str| crate::review::decode(body.as_bytes()).err().unwrap().0;
    let crash = "itemt+issionReviadd: [ALL]------kwS3cr3t---ew";
    let e = err(&format!(r#"{{"apiVersion":"{crash}","request":{{}}}}"#));
    assert!(!e.contains("kwS3cr3t"), "{e}");
    assert!(
        e.contains(&format!(
            "(a string of {} characters, not shown)",
            crash.len()
        )),
        "{e}"
    );
    for secret in [
        "kwS3cr3t",
        "v1/AKIAIOSFODNN7EXAMPLE",
        "ghp_abc/v1",
        // The second crash of the same run: a PIN-like number in a DNS label of the group.
        "0ad---mivv8uid888ixxxxxxxxxxxxxx739184625501xon.xxxxx739184625501xon.k.s.io/v1beta1",
        // The third: the number as the beta's.
        "admission.k8s.io/v12beta22273918462550122222",
    ] {
        let e = err(&format!(
            r#"{{"apiVersion":"{secret}","kind":"AdmissionReview"}}"#
        ));
        assert!(!e.contains(secret), "{e}");
    }
    for kind in ["kwS3cr3t", "Hunter", "PasswordIsSecret"] {
        let e = err(&format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"{kind}"}}"#
        ));
        assert!(!e.contains(kind) && e.contains("not shown"), "{e}");
    }
    // What a misconfigured webhook sends is still named.
    let e = err(r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#);
    assert!(e.contains("\"admission.k8s.io/v1beta1\""), "{e}");
    let e = err(r#"{"apiVersion":"v2alpha1","kind":"AdmissionReview"}"#);
    assert!(e.contains("\"v2alpha1\""), "{e}");
    let e = err(r#"{"apiVersion":"admission.k8s.io/v1","kind":"ConversionReview"}"#);
    assert!(e.contains("\"ConversionReview\""), "{e}");
}
