//! Indexed evaluation of the two referential templates of the Gatekeeper library whose Rego
//! compares the reviewed object with every object of its kind in `data.inventory`:
//! `k8suniqueingresshost` (an Ingress host used by another Ingress) and
//! `k8suniqueserviceselector` (a Service with the same selector as another Service).
//!
//! Written as they are, both are quadratic over a scan: every Service reviewed walks every
//! Service of the inventory and flattens its selector again (Gatekeeper's audit does the
//! same). On the 100,000-object benchmark (22,841 Services) that is 522 million selector
//! comparisons in the interpreter, about half an hour. No Rego interpreter crate plans joins,
//! so for these two templates the join is done here with a hash index built once per
//! inventory: each reviewed object costs one lookup.
//!
//! A template is accelerated only when its Rego is the library's own, compared by a digest of
//! its text with white space collapsed (so indentation in the YAML does not matter, but any
//! other change does): an edited template is evaluated by regorus as written. The index then
//! answers only what it can answer exactly, with the semantics OPA gives the Rego: a review
//! whose values would make the Rego do something else than plain string comparison (a host or
//! selector value that is not a string, a selector that is not a map) is declined and
//! evaluated by regorus, and so is every review of an inventory that holds such an object.
//! `tests/accelerated.rs` checks the index against regorus on generated inventories, and the
//! library's own suites run through it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Inventory, RawResult, Review};

/// The library templates evaluated with an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    UniqueIngressHost,
    UniqueServiceSelector,
}

/// SHA-256 of the white-space-collapsed Rego of `general/uniqueingresshost` and
/// `general/uniqueserviceselector` in the Gatekeeper library (the copy in
/// `tests/data/gatekeeper-library`; `the_library_templates_are_recognised` checks both).
const UNIQUE_INGRESS_HOST: &str =
    "d77cdd37d0fcf3a35acf662c3117b781a22fffc6822c26a7b9e8a1564b66f165";
const UNIQUE_SERVICE_SELECTOR: &str =
    "9eda58a0d9c6b70ed0f70a8f64c8e337802831f392c5eebb735d97db09dc066e";

/// The digest a template's Rego is recognised by.
pub(crate) fn digest(rego: &str) -> String {
    let normal = rego.split_whitespace().collect::<Vec<_>>().join(" ");
    let d = Sha256::digest(normal.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which library template this is, if it is one of the two, unchanged (Rego v0, no libs).
pub(crate) fn recognise(rego: &str, libs: &[String], v1: bool) -> Option<Known> {
    if v1 || !libs.is_empty() {
        return None;
    }
    match digest(rego).as_str() {
        UNIQUE_INGRESS_HOST => Some(Known::UniqueIngressHost),
        UNIQUE_SERVICE_SELECTOR => Some(Known::UniqueServiceSelector),
        _ => None,
    }
}

/// A template's index over the inventory it was last asked about.
pub(crate) struct Accelerator {
    known: Known,
    index: Mutex<Option<(u64, Arc<Index>)>>,
}

/// The inventory's objects of the template's kind, by the value the Rego joins on.
struct Index {
    /// Host (ingress) or flattened selector (service) -> the objects that have it.
    by_key: HashMap<String, Vec<Other>>,
    /// Some object of the kind has a value the index cannot judge exactly: every review is
    /// left to regorus.
    declined: bool,
}

/// What the Rego's `identical` reads of an inventory object, and the keys it was found at.
struct Other {
    namespace_key: String,
    name_key: String,
    namespace: Option<Value>,
    name: Option<Value>,
    kind: Option<Value>,
    api_version: Option<Value>,
}

impl Accelerator {
    pub(crate) fn new(known: Known) -> Accelerator {
        Accelerator {
            known,
            index: Mutex::new(None),
        }
    }

    /// The template's results for a review, or `None` to let regorus evaluate it.
    pub(crate) fn evaluate(
        &self,
        review: &Review,
        inventory: &Inventory,
    ) -> Option<Vec<RawResult>> {
        let request = &review.request;
        let messages = match self.known {
            Known::UniqueIngressHost => {
                if !ingress_review(request) {
                    return Some(Vec::new());
                }
                let hosts = hosts(request.pointer("/object/spec/rules"))?;
                let index = self.index(inventory)?;
                let object = request.get("object");
                let mut out = BTreeSet::new();
                for host in hosts {
                    let clash = index
                        .by_key
                        .get(host)
                        .is_some_and(|others| others.iter().any(|o| !ingress_identical(o, object)));
                    if clash {
                        out.insert(format!(
                            "ingress host conflicts with an existing ingress <{host}>"
                        ));
                    }
                }
                out
            }
            Known::UniqueServiceSelector => {
                if !(str_at(request, "/kind/kind") == Some("Service")
                    && str_at(request, "/kind/version") == Some("v1")
                    && str_at(request, "/kind/group") == Some(""))
                {
                    return Some(Vec::new());
                }
                let selector = flatten_selector(request.get("object"))?;
                let index = self.index(inventory)?;
                let mut out = BTreeSet::new();
                for o in index.by_key.get(&selector).into_iter().flatten() {
                    if !service_identical(o, request) {
                        out.insert(format!(
                            "same selector as service <{}> in namespace <{}>",
                            o.name_key, o.namespace_key
                        ));
                    }
                }
                out
            }
        };
        Some(
            messages
                .into_iter()
                .map(|message| RawResult {
                    message,
                    details: Value::Object(Default::default()),
                    error: false,
                    ignored: false,
                })
                .collect(),
        )
    }

    /// The index of this inventory (built on first use), or `None` when it declines.
    fn index(&self, inventory: &Inventory) -> Option<Arc<Index>> {
        let mut g = match self.index.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let index = match &*g {
            Some((id, index)) if *id == inventory.id() => index.clone(),
            _ => {
                let index = Arc::new(build(self.known, inventory));
                *g = Some((inventory.id(), index.clone()));
                index
            }
        };
        (!index.declined).then_some(index)
    }
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The Rego's patterns, dots included (each matches any character, as in RE2): the reviewed
/// Ingress's group, and the apiVersion of the inventory's Ingresses.
static INGRESS_GROUP: std::sync::LazyLock<Option<regex::Regex>> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"^(extensions|networking.k8s.io)$").ok());
static INGRESS_API: std::sync::LazyLock<Option<regex::Regex>> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"^(extensions|networking.k8s.io)/.+$").ok());

/// `regex.match("^(extensions|networking.k8s.io)$", input.review.kind.group)` and the kind.
fn ingress_review(request: &Value) -> bool {
    str_at(request, "/kind/kind") == Some("Ingress")
        && str_at(request, "/kind/group")
            .is_some_and(|g| INGRESS_GROUP.as_ref().is_some_and(|re| re.is_match(g)))
}

/// `x[_]` over a value: an array's items, an object's values, nothing for anything else.
fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(m)) => m.values().collect(),
        _ => Vec::new(),
    }
}

/// `rules[_].host` when every host is a string (`None`: some host is not, decline).
fn hosts(rules: Option<&Value>) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for r in items(rules) {
        match r.get("host") {
            None => {}
            Some(Value::String(h)) => out.push(h.as_str()),
            Some(_) => return None,
        }
    }
    Some(out)
}

/// Rego's `==` for the scalars compared here: numbers by value (1 == 1.0), the rest as JSON.
fn rego_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Some(x), Some(y)) => x == y,
        // Undefined on either side: the comparison is undefined.
        _ => false,
    }
}

/// k8suniqueingresshost's `identical(other, input.review)`.
fn ingress_identical(o: &Other, object: Option<&Value>) -> bool {
    let meta = object.and_then(|x| x.get("metadata"));
    rego_eq(o.namespace.as_ref(), meta.and_then(|m| m.get("namespace")))
        && rego_eq(o.name.as_ref(), meta.and_then(|m| m.get("name")))
}

/// k8suniqueserviceselector's `identical(other, input.review)`, for a review whose kind is
/// `{group: "", version: "v1", kind: "Service"}` (so `make_apiversion` gives "v1").
fn service_identical(o: &Other, request: &Value) -> bool {
    rego_eq(o.namespace.as_ref(), request.get("namespace"))
        && rego_eq(o.name.as_ref(), request.get("name"))
        && rego_eq(o.kind.as_ref(), request.pointer("/kind/kind"))
        && rego_eq(o.api_version.as_ref(), Some(&Value::String("v1".into())))
}

/// `flatten_selector(obj)`: the sorted `key:value` pairs of `spec.selector`, joined by
/// commas; `None` where the Rego would not just join strings (a value that is not a string,
/// a selector that is neither absent nor a map).
fn flatten_selector(object: Option<&Value>) -> Option<String> {
    let selector = match object.and_then(|o| o.get("spec")) {
        Some(Value::Object(spec)) => spec.get("selector"),
        // `obj.spec.selector` undefined: an empty comprehension.
        None => None,
        Some(_) => return None,
    };
    let mut pairs = Vec::new();
    match selector {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                pairs.push(format!("{k}:{}", v.as_str()?));
            }
        }
        Some(_) => return None,
    }
    pairs.sort();
    Some(pairs.join(","))
}

fn build(known: Known, inventory: &Inventory) -> Index {
    let mut index = Index {
        by_key: HashMap::new(),
        declined: false,
    };
    let kind = match known {
        Known::UniqueIngressHost => "Ingress",
        Known::UniqueServiceSelector => "Service",
    };
    inventory.each_of_kind(kind, |ns, api, name, o| {
        // Both read `data.inventory.namespace[...]` only: cluster-scoped objects are not seen.
        if ns.is_empty() || index.declined {
            return;
        }
        let keys: Vec<String> = match known {
            // A host that is not a string never equals the string host of a review the
            // index answers (reviews with other hosts are declined).
            Known::UniqueIngressHost => {
                if !INGRESS_API.as_ref().is_some_and(|re| re.is_match(api)) {
                    return;
                }
                items(o.pointer("/spec/rules"))
                    .into_iter()
                    .filter_map(|r| r.get("host").and_then(Value::as_str))
                    .map(String::from)
                    .collect()
            }
            Known::UniqueServiceSelector => match flatten_selector(Some(o)) {
                Some(s) => vec![s],
                None => {
                    index.declined = true;
                    return;
                }
            },
        };
        for key in keys {
            index.by_key.entry(key).or_default().push(Other {
                namespace_key: ns.to_string(),
                name_key: name.to_string(),
                namespace: o.pointer("/metadata/namespace").cloned(),
                name: o.pointer("/metadata/name").cloned(),
                kind: o.get("kind").cloned(),
                api_version: o.get("apiVersion").cloned(),
            });
        }
    });
    index
}
