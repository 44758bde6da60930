//! `admission.k8s.io/v1` AdmissionReview: decoding a request, encoding a response.
//!
//! Decoding borrows from the request body: the `object` and `oldObject` stay raw JSON text
//! ([`RawValue`]) and go to the engine as they are (JSON is YAML), with no intermediate tree.
//! Anything wrong with the envelope is a [`DecodeError`], answered with HTTP 400; nothing here
//! panics on any input (there is a proptest).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// What the envelope says; unknown fields are ignored, as the API server may add some.
#[derive(Deserialize)]
struct ReviewIn<'a> {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    request: Option<RequestIn<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestIn<'a> {
    #[serde(default)]
    uid: String,
    #[serde(default)]
    kind: GroupVersionKind,
    #[serde(default)]
    resource: GroupVersionResource,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    user_info: UserInfo,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

/// A decoded admission request; `object` and `old_object` borrow the body.
#[derive(Debug)]
pub struct Request<'a> {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    /// Empty for the main resource.
    pub sub_resource: String,
    pub name: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub operation: Operation,
    pub user_info: UserInfo,
    pub object: Option<&'a RawValue>,
    pub old_object: Option<&'a RawValue>,
    pub dry_run: bool,
}

/// Why a body is not an AdmissionReview we can answer (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value of the request quoted in an error only when it has the form of what it stands for
/// (an apiVersion, a kind name): anything else may be a credential, and is named by its length.
fn shown(value: &str, form: fn(&str) -> bool) -> String {
    if form(value) {
        format!("{value:?}")
    } else {
        format!(
            "(a string of {} characters, not shown)",
            value.chars().count()
        )
    }
}

/// `admission.k8s.io/v1beta1`, `v1`: the admission group (or none), then `v<digits>` with an
/// optional `alpha<digits>` or `beta<digits>`. Another group is not shown: a DNS-style label
/// can hold anything (the fuzz target put a PIN-like number inside one).
fn is_api_version(s: &str) -> bool {
    let version = s.strip_prefix("admission.k8s.io/").unwrap_or(s);
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest[digits..];
    // At most 3 digits each: a longer number could be a PIN (the third crash of the run).
    let tail_ok = tail.is_empty()
        || ["alpha", "beta"].iter().any(|p| {
            tail.strip_prefix(p).is_some_and(|n| {
                (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit())
            })
        });
    (1..=3).contains(&digits) && tail_ok
}

/// `ConversionReview`: a kind of the API's review family (an upper-case letter, then letters
/// only, ending in `Review`, at most 63).
fn is_kind_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_uppercase())
        && s.len() <= 63
        && s.ends_with("Review")
        && b.all(|c| c.is_ascii_alphabetic())
}

/// Decode an AdmissionReview request body.
pub fn decode<'a>(body: &'a [u8]) -> Result<Request<'a>, DecodeError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(DecodeError(
            "the body is not an AdmissionReview: expected a JSON object".to_string(),
        ));
    }
    let review: ReviewIn<'_> = serde_json::from_slice(body).map_err(|e| {
        // Named by kind and position, never by value: the body may hold credentials.
        DecodeError(format!(
            "the body is not an AdmissionReview: {} at line {} column {}",
            kubeward_engine::json_error::describe(&e),
            e.line(),
            e.column()
        ))
    })?;
    match review.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(DecodeError(format!(
                "apiVersion {} is not supported: kubeward accepts {API_VERSION} \
                 (set admissionReviewVersions: [v1] in the webhook configuration)",
                shown(other, is_api_version)
            )))
        }
        None => {
            return Err(DecodeError(format!(
                "apiVersion is missing (expected {API_VERSION})"
            )))
        }
    }
    match review.kind.as_deref() {
        Some(KIND) => {}
        Some(other) => {
            return Err(DecodeError(format!(
                "kind {} is not supported: expected {KIND}",
                shown(other, is_kind_name)
            )))
        }
        None => return Err(DecodeError(format!("kind is missing (expected {KIND})"))),
    }
    let Some(r) = review.request else {
        return Err(DecodeError("`request` is missing".to_string()));
    };
    if r.uid.is_empty() {
        return Err(DecodeError("`request.uid` is missing".to_string()));
    }
    let operation = match r.operation.as_str() {
        "CREATE" => Operation::Create,
        "UPDATE" => Operation::Update,
        "DELETE" => Operation::Delete,
        "CONNECT" => Operation::Connect,
        "" => return Err(DecodeError("`request.operation` is missing".to_string())),
        other => {
            return Err(DecodeError(format!(
                "`request.operation` {other:?} is not one of CREATE, UPDATE, DELETE, CONNECT"
            )))
        }
    };
    let null = |v: Option<&'a RawValue>| v.filter(|v| v.get() != "null");
    Ok(Request {
        uid: r.uid,
        kind: r.kind,
        resource: r.resource,
        sub_resource: r.sub_resource.unwrap_or_default(),
        name: r.name.unwrap_or_default(),
        namespace: r.namespace.unwrap_or_default(),
        operation,
        user_info: r.user_info,
        object: null(r.object),
        old_object: null(r.old_object),
        dry_run: r.dry_run.unwrap_or(false),
    })
}

/// `metav1.Status`, as much of it as a denial needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Status {
    pub status: &'static str,
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

/// An AdmissionResponse.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl Response {
    pub fn allow(uid: &str) -> Self {
        Response {
            uid: uid.to_string(),
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }

    pub fn deny(uid: &str, message: String) -> Self {
        Response {
            allowed: false,
            status: Some(Status {
                status: "Failure",
                code: 403,
                reason: "Forbidden",
                message,
            }),
            ..Response::allow(uid)
        }
    }
}

#[derive(Serialize)]
struct ReviewOut<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    response: &'a Response,
}

/// The AdmissionReview that answers a request.
pub fn encode(response: &Response) -> Vec<u8> {
    serde_json::to_vec(&ReviewOut {
        api_version: API_VERSION,
        kind: KIND,
        response,
    })
    // Strings and maps of strings always serialize.
    .unwrap_or_default()
}
