//! The webhook's request path without the network: AdmissionReview decoding
//! (`review::decode`), the whole decision (`Decider::decide`, which runs the engine on the
//! object) under two configurations (the defaults; and every option on: exemptions, onError
//! allow, level `all`, namespace labels, registries), and the response encoding.
//! Invariants: a response answers the request's uid; allowed iff no status, a denial is a
//! 403; warnings at most 120 characters; the encoded review is JSON that reads back; no
//! credential-looking value in a decode error, an outcome error or an error warning.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use kubeward_fuzz::{assert_no_canary, d01_shape};
use kubeward_webhook::policy::MAX_WARNING;
use kubeward_webhook::review::{decode, encode};
use kubeward_webhook::{Decider, StaticNamespaces, WebhookConfig};
use libfuzzer_sys::fuzz_target;

const STRICT: &str = r#"
defaults: {enforce: all, warn: all, audit: restricted}
allMinSeverity: info
onError: allow
exemptions:
  namespaces: [kube-system]
  usernames: ["system:admin"]
  runtimeClasses: [kata]
controls:
  disable: [KW301]
severity: {KW101: low}
allowedRegistries: [registry.example.com, ghcr.io/acme]
requireImagePullAlways: true
namespaces:
  team-a: {kubeward.io/enforce: restricted, kubeward.io/warn: all, kubeward.io/audit: all}
  lax: {kubeward.io/enforce: privileged, kubeward.io/warn: privileged, kubeward.io/audit: privileged}
  odd: {kubeward.io/enforce: baseline}
"#;

fn deciders() -> &'static [Decider; 2] {
    static D: OnceLock<[Decider; 2]> = OnceLock::new();
    D.get_or_init(|| {
        let default = WebhookConfig::default();
        let strict = WebhookConfig::parse(STRICT, Arc::from("strict.yaml"))
            .unwrap_or_else(|e| panic!("the fuzz target's config is valid: {e:?}"));
        let mut labels = HashMap::new();
        labels.insert(
            "team-a".to_string(),
            [("kubeward.io/enforce".to_string(), "all".to_string())].into(),
        );
        // A label value that is not a level (the config file refuses one; a cluster's
        // namespace may carry it): counted as restricted, with a warning.
        labels.insert(
            "odd".to_string(),
            [("kubeward.io/warn".to_string(), "bogus".to_string())].into(),
        );
        [
            Decider::new(default, Arc::new(StaticNamespaces(labels))),
            Decider::new(
                strict.clone(),
                Arc::new(StaticNamespaces(strict.namespaces.clone())),
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    if d01_shape(&body) {
        return;
    }
    let req = match decode(data) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.0.is_empty());
            assert_no_canary(&body, "a decode error", &e.0);
            return;
        }
    };
    assert!(!req.uid.is_empty());
    for decider in deciders() {
        let o = decider.decide(&req);
        let r = &o.response;
        assert_eq!(r.uid, req.uid, "the response answers the request");
        match &r.status {
            None => assert!(r.allowed, "a denial carries a status"),
            Some(s) => {
                assert!(!r.allowed, "an allowed response carries no status");
                assert_eq!(s.code, 403);
                assert!(!s.message.is_empty());
            }
        }
        for w in &r.warnings {
            assert!(
                w.chars().count() <= MAX_WARNING,
                "warning over {MAX_WARNING} characters: {w:?}"
            );
            assert!(!w.contains('\n'), "a warning is one line: {w:?}");
            if w.starts_with("kubeward: ") {
                assert_no_canary(&body, "a warning", w);
            }
        }
        for e in &o.errors {
            assert_no_canary(&body, "an outcome error (logged)", e);
        }
        let out = encode(r);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("the response is JSON");
        assert_eq!(v["response"]["uid"].as_str(), Some(req.uid.as_str()));
        assert_eq!(v["response"]["allowed"].as_bool(), Some(r.allowed));
    }
});
