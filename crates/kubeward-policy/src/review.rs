//! The admission request a policy sees (`input.review` in Rego; `request`, `object` and
//! `oldObject` in CEL), built the way Gatekeeper's target handler builds it
//! (`pkg/target/target.go`, `unstructuredToAdmissionRequest` and `handleReview`; read at
//! open-policy-agent/gatekeeper dd8507eb).

use serde_json::{json, Map, Value};

/// An admission request: what [`crate::PolicySet::review`] evaluates.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    /// The `AdmissionRequest` as JSON, with the fields Go's encoding gives it:
    /// `uid`, `kind`, `resource`, `name` and `namespace` (when set), `operation`, `userInfo`,
    /// `object`, `oldObject` (`null` when absent), `options`. Set it only through the
    /// constructors: the engines' conversions of it are made once and kept.
    pub request: Value,
    cache: Cache,
}

/// The request converted into each interpreter's values, once per review however many
/// templates and bindings evaluate it (the conversion costs about as much as an evaluation).
#[derive(Default)]
pub(crate) struct Cache {
    /// `input.review` for Rego (with `namespaceObject: null`).
    pub rego: std::sync::OnceLock<Result<regorus::Value, String>>,
    /// `object`, `oldObject` and `request` for CEL.
    pub cel: std::sync::OnceLock<[cel::objects::Value; 3]>,
    /// The same as the interpreter's own values (`None` if one does not convert), lent to
    /// every expression: binding a `cel::objects::Value` converts it whole, and did so for
    /// every expression of every policy (most of a ValidatingAdmissionPolicy's cost).
    pub cel_vals: std::sync::OnceLock<Option<[Box<dyn cel::common::value::Val>; 3]>>,
}

impl Clone for Cache {
    fn clone(&self) -> Self {
        Cache::default()
    }
}

impl PartialEq for Cache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cache")
    }
}

impl Review {
    /// The review Gatekeeper builds for an object on its own (audit, `gator test`,
    /// `gator verify`): `kind` from the object's apiVersion and kind, `name`, `namespace`,
    /// the object; no operation (the empty string, as gator leaves it), no user.
    pub fn from_object(object: &Value) -> Result<Review, String> {
        Self::from_object_with(object, "")
    }

    /// Like [`Review::from_object`] with an operation (`CREATE`, `UPDATE`, ...).
    pub fn from_object_with(object: &Value, operation: &str) -> Result<Review, String> {
        let (group, version, kind) = gvk(object)?;
        let mut req = Map::new();
        req.insert("uid".into(), json!(""));
        req.insert(
            "kind".into(),
            json!({"group": group, "version": version, "kind": kind}),
        );
        req.insert(
            "resource".into(),
            json!({"group": "", "version": "", "resource": ""}),
        );
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !name.is_empty() {
            req.insert("name".into(), json!(name));
        }
        let ns = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !ns.is_empty() {
            req.insert("namespace".into(), json!(ns));
        }
        req.insert("operation".into(), json!(operation));
        req.insert("userInfo".into(), json!({}));
        if operation == "DELETE" {
            // Gatekeeper's augmentedUnstructuredToAdmissionRequest: the object is the old one.
            req.insert("object".into(), object.clone());
            req.insert("oldObject".into(), object.clone());
        } else {
            req.insert("object".into(), object.clone());
            req.insert("oldObject".into(), Value::Null);
        }
        req.insert("options".into(), Value::Null);
        Ok(Review::new(Value::Object(req)))
    }

    /// A review from a document: an `admission.k8s.io` AdmissionReview is its `request`
    /// (checked as `gator verify` checks it), anything else is [`Review::from_object`].
    pub fn from_document(doc: &Value) -> Result<Review, String> {
        let is_review = doc.get("kind").and_then(Value::as_str) == Some("AdmissionReview")
            && doc
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|a| a.split('/').next() == Some("admission.k8s.io"));
        if is_review {
            Self::from_admission_review(doc)
        } else {
            Self::from_object(doc)
        }
    }

    /// The request of an AdmissionReview, with Go's defaults for absent fields. Refused as
    /// gator refuses it: no request, neither object nor oldObject, an object without kind, a
    /// DELETE without oldObject.
    pub fn from_admission_review(doc: &Value) -> Result<Review, String> {
        let Some(r) = doc.get("request") else {
            return Err(
                "AdmissionReview: request did not actually pass in an AdmissionRequest".into(),
            );
        };
        let Some(r) = r.as_object() else {
            return Err("AdmissionReview: request must be an object".into());
        };
        const KNOWN: &[&str] = &[
            "uid",
            "kind",
            "resource",
            "subResource",
            "requestKind",
            "requestResource",
            "requestSubResource",
            "name",
            "namespace",
            "operation",
            "userInfo",
            "object",
            "oldObject",
            "dryRun",
            "options",
        ];
        if let Some(k) = r.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!(
                "AdmissionReview: unable to convert to an AdmissionReview object: unknown field \"request.{k}\""
            ));
        }
        let object = r.get("object").filter(|v| !v.is_null());
        let old = r.get("oldObject").filter(|v| !v.is_null());
        if object.is_none() && old.is_none() {
            return Err(
                "AdmissionReview: AdmissionRequest does not contain an \"object\" or \"oldObject\" to review"
                    .into(),
            );
        }
        for o in [object, old].into_iter().flatten() {
            if o.get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                return Err("AdmissionReview: the object to review has no kind".into());
            }
        }
        let operation = r.get("operation").and_then(Value::as_str).unwrap_or("");
        let mut req = Map::new();
        req.insert("uid".into(), r.get("uid").cloned().unwrap_or(json!("")));
        let gvk = |v: Option<&Value>| {
            let s = |k: &str| {
                v.and_then(|v| v.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            json!({"group": s("group"), "version": s("version"), "kind": s("kind")})
        };
        req.insert("kind".into(), gvk(r.get("kind")));
        let res = r.get("resource");
        let s = |k: &str| {
            res.and_then(|v| v.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        req.insert(
            "resource".into(),
            json!({"group": s("group"), "version": s("version"), "resource": s("resource")}),
        );
        for k in [
            "subResource",
            "requestKind",
            "requestResource",
            "requestSubResource",
            "name",
            "namespace",
        ] {
            if let Some(v) = r.get(k).filter(|v| !v.is_null() && v.as_str() != Some("")) {
                req.insert(k.into(), v.clone());
            }
        }
        req.insert("operation".into(), json!(operation));
        req.insert(
            "userInfo".into(),
            r.get("userInfo").cloned().unwrap_or(json!({})),
        );
        // Gatekeeper's setObjectOnDelete: on DELETE the object under review is oldObject.
        if operation == "DELETE" {
            let Some(old) = old else {
                return Err("oldObject cannot be nil for DELETE operations".into());
            };
            req.insert("object".into(), old.clone());
        } else {
            req.insert("object".into(), object.cloned().unwrap_or(Value::Null));
        }
        req.insert("oldObject".into(), old.cloned().unwrap_or(Value::Null));
        if let Some(d) = r.get("dryRun") {
            req.insert("dryRun".into(), d.clone());
        }
        req.insert(
            "options".into(),
            r.get("options").cloned().unwrap_or(Value::Null),
        );
        Ok(Review::new(Value::Object(req)))
    }

    fn new(request: Value) -> Review {
        Review {
            request,
            cache: Cache::default(),
        }
    }

    /// `input.review` as regorus values (made once).
    pub(crate) fn rego_request(&self) -> Result<regorus::Value, String> {
        self.cache
            .rego
            .get_or_init(|| {
                let mut req = self.request.clone();
                if let Value::Object(m) = &mut req {
                    m.insert("namespaceObject".into(), Value::Null);
                }
                serde_json::from_value::<regorus::Value>(req)
                    .map_err(|e| format!("converting the input for Rego: {e}"))
            })
            .clone()
    }

    /// `object` (null on DELETE), `oldObject` and `request` (without the objects, `dryRun`
    /// false when unset) as CEL values (made once).
    pub(crate) fn cel_vals(&self) -> Option<&[Box<dyn cel::common::value::Val>; 3]> {
        self.cache
            .cel_vals
            .get_or_init(|| {
                let [o, old, r] = self.cel_values().clone();
                Some([o.try_into().ok()?, old.try_into().ok()?, r.try_into().ok()?])
            })
            .as_ref()
    }

    pub(crate) fn cel_values(&self) -> &[cel::objects::Value; 3] {
        self.cache.cel.get_or_init(|| {
            let object = if self.operation() == "DELETE" {
                Value::Null
            } else {
                self.object().cloned().unwrap_or(Value::Null)
            };
            let old = self.old_object().cloned().unwrap_or(Value::Null);
            let mut request = Map::new();
            if let Value::Object(m) = &self.request {
                for (k, v) in m {
                    if k != "object" && k != "oldObject" {
                        request.insert(k.clone(), v.clone());
                    }
                }
            }
            request
                .entry("dryRun".to_string())
                .or_insert(Value::Bool(false));
            [
                crate::k8scel::from_json(&object),
                crate::k8scel::from_json(&old),
                crate::k8scel::from_json(&Value::Object(request)),
            ]
        })
    }

    /// The operation (`""` when unset).
    pub fn operation(&self) -> &str {
        self.request
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The object (for DELETE, the old object, as Gatekeeper sets it).
    pub fn object(&self) -> Option<&Value> {
        self.request.get("object").filter(|v| !v.is_null())
    }

    /// The old object, if any.
    pub fn old_object(&self) -> Option<&Value> {
        self.request.get("oldObject").filter(|v| !v.is_null())
    }

    /// The request's namespace (`""` when cluster-scoped).
    pub fn namespace(&self) -> &str {
        self.request
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Group, version and kind of an object; Gatekeeper refuses an object without version or kind.
fn gvk(object: &Value) -> Result<(String, String, String), String> {
    let api = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = match api.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api),
    };
    if version.is_empty() {
        return Err("invalid request object: resource has no version".into());
    }
    if kind.is_empty() {
        return Err("invalid request object: resource has no kind".into());
    }
    Ok((group.to_string(), version.to_string(), kind.to_string()))
}

/// Group and kind of an object (for matching).
pub(crate) fn group_kind(object: &Value) -> (&str, &str) {
    let api = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    (
        group,
        object.get("kind").and_then(Value::as_str).unwrap_or(""),
    )
}
