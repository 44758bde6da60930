//! kubeward-rbac's resources and requests: the first line is `VERB RESOURCE [NAME]
//! [NAMESPACE]` as `kubeward rbac who-can` takes it (`parse_target`: short names, groups,
//! subresources, non-resource URLs), the rest RBAC objects in YAML. Then `who_can`,
//! `authorize` for each subject found, and the whole analysis with every renderer.
//! Invariants: every subject `who_can` lists is authorized for the request by `authorize`
//! (the two paths through the model agree); positions inside the input.
#![no_main]

use kubeward_fuzz::{d01_shape, rbac, text_of};
use kubeward_rbac::render::grant_text;
use kubeward_rbac::{parse_target, Request, SubjectKey, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let words: Vec<&str> = first.split(' ').collect();
    let verb = words.first().copied().unwrap_or("get");
    let resource = words.get(1).copied().unwrap_or("");
    let name = words.get(2).copied().unwrap_or("");
    let namespace = words.get(3).copied().unwrap_or("");
    let target = match parse_target(resource, name) {
        Ok(t) => t,
        Err(e) => {
            assert!(!e.is_empty());
            return;
        }
    };
    match &target {
        Target::NonResource { path } => assert!(path.starts_with('/') && name.is_empty()),
        Target::Resource {
            resource,
            subresource,
            ..
        } => {
            assert!(!resource.is_empty());
            assert!(!subresource.contains('/'));
        }
    }
    let req = Request {
        verb: verb.to_string(),
        namespace: namespace.to_string(),
        target,
    };
    let _ = req.to_string();
    if d01_shape(rest) {
        return;
    }
    let model = rbac::model(rest);
    for (key, grant) in model.who_can(&req).iter().take(128) {
        let _ = grant_text(&model, grant);
        let plain = |s: &str| !s.contains(':') && !s.is_empty();
        let simple = match key {
            SubjectKey::ServiceAccount { namespace, name } => plain(namespace) && plain(name),
            _ => true,
        };
        if simple {
            assert!(
                model.authorize(&key.identity(&[]), &req).is_some(),
                "who_can lists {key} for {req} but authorize denies it"
            );
        }
    }
    rbac::analyse(&model);
});
