//! The index that answers for the Gatekeeper library's quadratic referential templates
//! (`k8suniqueingresshost`, `k8suniqueserviceselector`; module `accel`) against regorus
//! evaluating the same templates as written: on generated inventories with clashing and
//! unique hosts and selectors, objects without namespace, Ingresses of other API groups,
//! values that are not strings, every object reviewed must get the same violations from both.
//! The library's own suites (`gatekeeper_library.rs`) also run through the index.

use std::path::Path;

use kubeward_policy::load::parse_documents;
use kubeward_policy::{EngineChoice, Inventory, PolicySet, PolicySetBuilder, Review};
use serde_json::{json, Value};

fn library(name: &str, kinds: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gatekeeper-library/general")
        .join(name);
    let template = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    let kind = template
        .lines()
        .find_map(|l| l.trim().strip_prefix("kind: K8s"))
        .map(|k| format!("K8s{k}"))
        .unwrap();
    format!(
        "{template}\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: {kind}\nmetadata:\n  name: c\nspec:\n  match:\n    kinds:\n{kinds}"
    )
}

fn set(text: &str, accelerate: bool) -> PolicySet {
    let (docs, errors) = parse_documents(text, "policies.yaml");
    assert!(errors.is_empty(), "{errors:?}");
    let mut b = PolicySetBuilder::new(EngineChoice::Rego).accelerate(accelerate);
    for d in docs {
        assert!(b.add(d));
    }
    let (set, errors) = b.build();
    assert!(errors.is_empty(), "{errors:?}");
    set
}

/// A seeded generator, so that a failure reproduces.
struct Rng(fastrand::Rng);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.0.usize(..from.len())]
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.0.u64(..n) == 0
    }
}

fn metadata(rng: &mut Rng, i: usize) -> Value {
    let ns = *rng.pick(&["a", "b", "c"]);
    let name = format!("o{}", i % 7);
    if rng.one_in(10) {
        json!({"name": name})
    } else {
        json!({"name": name, "namespace": ns})
    }
}

fn ingresses(rng: &mut Rng, n: usize, odd_values: bool) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let api = *rng.pick(&[
                "networking.k8s.io/v1",
                "extensions/v1beta1",
                "example.com/v1",
            ]);
            let rules: Vec<Value> = (0..(rng.next() % 3))
                .map(|_| {
                    if rng.one_in(5) {
                        json!({"http": {}})
                    } else if odd_values && rng.one_in(6) {
                        json!({"host": 7})
                    } else {
                        json!({"host": rng.pick(&["a.example", "b.example", "c.example", "d.example"])})
                    }
                })
                .collect();
            json!({"apiVersion": api, "kind": "Ingress", "metadata": metadata(rng, i),
                   "spec": {"rules": rules}})
        })
        .collect()
}

fn services(rng: &mut Rng, n: usize, odd_values: bool) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut spec = json!({"ports": [{"port": 80}]});
            if !rng.one_in(6) {
                let mut selector = serde_json::Map::new();
                for _ in 0..(1 + rng.next() % 2) {
                    let k = *rng.pick(&["app", "tier", "team"]);
                    let v = *rng.pick(&["web", "db", "x"]);
                    selector.insert(k.into(), json!(v));
                }
                if odd_values && rng.one_in(8) {
                    selector.insert("n".into(), json!(3));
                }
                spec["selector"] = Value::Object(selector);
            }
            json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata(rng, i), "spec": spec})
        })
        .collect()
}

fn messages(set: &PolicySet, object: &Value, inventory: &Inventory) -> Vec<String> {
    let review = Review::from_object(object).unwrap();
    let mut m: Vec<String> = set
        .review(&review, inventory)
        .into_iter()
        .map(|v| format!("{} {}", v.evaluation_error, v.message))
        .collect();
    m.sort();
    m
}

fn compare(text: &str, objects: impl Fn(&mut Rng, bool) -> Vec<Value>) {
    let fast = set(text, true);
    let slow = set(text, false);
    assert_eq!(
        fast.accelerated().len(),
        1,
        "the library template is recognised"
    );
    assert!(slow.accelerated().is_empty());
    let mut violations = 0;
    for seed in 1..=40u64 {
        let mut rng = Rng(fastrand::Rng::with_seed(seed));
        // Every fourth inventory has a value the index declines (regorus answers then).
        let objects = objects(&mut rng, seed % 4 == 0);
        let inventory = Inventory::new(objects.iter());
        for o in &objects {
            let want = messages(&slow, o, &inventory);
            let got = messages(&fast, o, &inventory);
            assert_eq!(got, want, "seed {seed}, object {o}");
            violations += want.len();
        }
    }
    assert!(
        violations > 100,
        "the inventories clash often: {violations}"
    );
}

#[test]
fn unique_ingress_host_index_agrees_with_regorus() {
    let text = library(
        "uniqueingresshost",
        "    - apiGroups: [extensions, networking.k8s.io, example.com]\n      kinds: [Ingress]\n",
    );
    compare(&text, |rng, odd| ingresses(rng, 25, odd));
}

#[test]
fn unique_service_selector_index_agrees_with_regorus() {
    let text = library(
        "uniqueserviceselector",
        "    - apiGroups: [\"\"]\n      kinds: [Service]\n",
    );
    compare(&text, |rng, odd| services(rng, 25, odd));
}

/// Any change to the Rego, even one that keeps its meaning, and the template is evaluated as
/// written: the index answers only for the code it was checked against.
#[test]
fn an_edited_library_template_is_not_accelerated() {
    let text = library(
        "uniqueingresshost",
        "    - apiGroups: [networking.k8s.io]\n      kinds: [Ingress]\n",
    );
    assert_eq!(set(&text, true).accelerated(), ["k8suniqueingresshost"]);
    let edited = text.replace(
        "host := input.review.object.spec.rules[_].host",
        "host := input.review.object.spec.rules[_].host\n          true",
    );
    assert_ne!(edited, text);
    assert!(set(&edited, true).accelerated().is_empty());
}
