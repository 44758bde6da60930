//! The two config readers on arbitrary text: `.kubeward.yaml` (kubeward-engine's
//! `Config::parse`: frameworks, controls, severities, exclusions with globs and dates, the
//! audit section with windows and thresholds) and the webhook's (`WebhookConfig::parse`),
//! then what reads a parsed config: exclusions matched against a finding, expiry, the audit
//! window. Invariants: every error is located inside the input; a config that parses has
//! sane values (a positive audit window and threshold, valid dates).
#![no_main]

use std::sync::Arc;

use kubeward_engine::config::{parse_window, today, Config};
use kubeward_engine::Finding;
use kubeward_fuzz::{d01_shape, text_of, Lines};
use kubeward_model::{FieldPath, ObjectId};
use kubeward_webhook::WebhookConfig;
use kubeward_yaml::Pos;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    if d01_shape(&text) {
        return;
    }
    let lines = Lines::of(&text);
    if let Ok(w) = parse_window(text.lines().next().unwrap_or("")) {
        assert!(w.as_secs() > 0, "a window is positive");
    }
    let file: Arc<str> = Arc::from(".kubeward.yaml");
    match Config::parse(&text, file.clone(), None) {
        Ok(cfg) => {
            if let Some(w) = cfg.audit.auth_failure_window {
                assert!(w.as_secs() > 0);
            }
            if let Some(t) = cfg.audit.auth_failure_threshold {
                assert!(t >= 1);
            }
            let now = today();
            let control = kubeward_controls::registry::all()[0].meta();
            let finding = Finding {
                control,
                severity: control.severity,
                object: Arc::new(ObjectId {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    namespace: Some("team-a".into()),
                    name: "web".into(),
                }),
                file: Arc::from("./deploy/web.yaml"),
                pos: Pos { line: 1, column: 1 },
                path: FieldPath::root(),
                message: String::new(),
                suppressed: None,
            };
            for x in &cfg.exclude {
                assert!(!x.reason.is_empty(), "an exclusion has a reason");
                lines.check(x.pos, "exclusion position");
                if let Some((_, m, d)) = x.expires {
                    assert!((1..=12).contains(&m) && (1..=31).contains(&d));
                }
                let _ = x.expired(now);
                assert!(
                    !x.expired((i32::MIN, 1, 1)),
                    "nothing expires before any date"
                );
                let _ = x.matches(&finding);
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused config says why");
            for e in &errors {
                assert!(!e.message.is_empty());
                if let Some(pos) = e.pos {
                    lines.check_error(&text, pos, &format!("config error {:?}", e.message));
                }
            }
        }
    }
    match WebhookConfig::parse(&text, Arc::from("webhook.yaml")) {
        Ok(cfg) => {
            for (id, _) in &cfg.severity {
                assert!(kubeward_controls::registry::find(id).is_some());
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused config says why");
            for e in &errors {
                if let Some(pos) = e.pos {
                    lines.check_error(&text, pos, &format!("webhook config error {:?}", e.message));
                }
            }
        }
    }
});
