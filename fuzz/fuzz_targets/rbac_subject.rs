//! kubeward-rbac's subjects: `SubjectKey::parse` (the `--as` / `who-can` syntax) on the first
//! line, `of_binding_subject` on the words of the second, then the subject's permissions in
//! the model of the RBAC objects in the rest of the input (read from YAML as `kubeward rbac`
//! reads them) and its escalation path. Invariants: parsing what `spec()` writes gives the
//! same subject; a subject's identity carries it; every permission comes from a binding
//! subject entry that applies to the identity; positions inside the input.
#![no_main]

use kubeward_fuzz::{d01_shape, rbac, text_of};
use kubeward_rbac::{Scope, SubjectKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let mut parts = text.splitn(3, '\n');
    let spec = parts.next().unwrap_or("");
    let second = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");

    let key = match SubjectKey::parse(spec) {
        Ok(k) => {
            assert_eq!(
                SubjectKey::parse(&k.spec()).as_ref(),
                Ok(&k),
                "spec() reads back: {}",
                k.spec()
            );
            k
        }
        Err(e) => {
            assert!(!e.is_empty());
            SubjectKey::user(spec)
        }
    };
    let _ = key.to_string();
    let _ = key.is_system();
    if let SubjectKey::ServiceAccount { namespace, name } = &key {
        assert!(!namespace.is_empty() && !name.is_empty());
        assert_eq!(key.namespace(), Some(namespace.as_str()));
    }
    let words: Vec<&str> = second.split(' ').collect();
    let extra: Vec<String> = words.iter().skip(3).map(|w| w.to_string()).collect();
    let identity = key.identity(&extra);
    let keys = identity.keys();
    match &key {
        SubjectKey::Group { .. } => assert!(keys.contains(&key)),
        _ => assert_eq!(keys.first(), Some(&key), "the identity is the subject's"),
    }
    if let [kind, name, namespace, ..] = words.as_slice() {
        if let Some(k) = SubjectKey::of_binding_subject(kind, name, namespace) {
            let _ = k.spec();
        }
    }

    if d01_shape(rest) {
        return;
    }
    let model = rbac::model(rest);
    for p in model.permissions(&identity).iter().take(256) {
        let b = &model.bindings[p.grant.binding as usize];
        let s = &b.subjects[p.grant.subject as usize];
        let k = SubjectKey::of_binding_subject(&s.kind, &s.name, &s.namespace)
            .expect("a permission comes from a subject entry that can apply");
        assert!(
            keys.contains(&k),
            "the permission's subject is the identity's"
        );
        match &p.scope {
            Scope::Cluster => assert!(b.cluster || b.namespace.is_empty()),
            Scope::Namespace(ns) => assert_eq!(ns, &b.namespace),
        }
        let _ = model.describe_rule(p.grant.rule);
        let _ = model.describe_grant_binding(&p.grant);
    }
    let _ = model.analysis().path_of(&key);
});
