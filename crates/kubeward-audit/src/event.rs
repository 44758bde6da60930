//! One `audit.k8s.io/v1` Event, borrowed from its line: only the fields the detections read.
//!
//! Strings are `Cow` because the API server's JSON encoder escapes `&`, `<` and `>` (a
//! `requestURI` with a query holds `\u0026`), and a borrowed `&str` cannot hold an unescaped
//! copy. Request and response bodies stay raw JSON slices of the line: most events are never
//! looked into, and the ones that are get parsed by kubeward's own loader with locations.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "apiVersion")]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub level: Cow<'a, str>,
    #[serde(borrow, rename = "auditID")]
    pub audit_id: Cow<'a, str>,
    #[serde(borrow)]
    pub stage: Cow<'a, str>,
    /// Raw, like the lists below: most events never need it, and Go's encoder escapes `&` in
    /// every query string, so a decoded copy would be an allocation per event.
    #[serde(borrow, rename = "requestURI")]
    request_uri: &'a RawValue,
    #[serde(borrow)]
    pub verb: Cow<'a, str>,
    #[serde(borrow)]
    pub user: UserInfo<'a>,
    #[serde(borrow, default, rename = "impersonatedUser")]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    source_ips: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "userAgent")]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "objectRef")]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(default, rename = "responseStatus")]
    pub response_status: Option<ResponseStatus>,
    #[serde(borrow, default, rename = "requestObject")]
    pub request_object: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "responseObject")]
    pub response_object: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "requestReceivedTimestamp")]
    pub request_received: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "stageTimestamp")]
    pub stage_timestamp: Option<Cow<'a, str>>,
    /// Kept raw: the authorizer's reason usually holds escaped quotes, and unescaping it for
    /// every event would allocate; it is read only for findings.
    #[serde(borrow, default)]
    pub annotations: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    groups: Option<&'a RawValue>,
}

/// A JSON array of strings, decoded (empty if it is anything else).
fn strings(raw: Option<&RawValue>) -> Vec<String> {
    raw.and_then(|r| serde_json::from_str::<Vec<String>>(r.get()).ok())
        .unwrap_or_default()
}

impl UserInfo<'_> {
    pub fn name(&self) -> &str {
        self.username.as_deref().unwrap_or("")
    }

    pub fn groups(&self) -> Vec<String> {
        strings(self.groups)
    }

    /// Group names are plain in the log (no escapes), so a group that is not in the raw text
    /// is not in the list: decode only when it may be.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.is_some_and(|raw| {
            memchr::memmem::find(raw.get().as_bytes(), group.as_bytes()).is_some()
                && self.groups().iter().any(|g| g == group)
        })
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "apiGroup")]
    pub api_group: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "apiVersion")]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub subresource: Option<Cow<'a, str>>,
}

impl ObjectRef<'_> {
    pub fn resource(&self) -> &str {
        self.resource.as_deref().unwrap_or("")
    }
    pub fn subresource(&self) -> &str {
        self.subresource.as_deref().unwrap_or("")
    }
    /// The API group; the core group is `""`.
    pub fn group(&self) -> &str {
        self.api_group.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ResponseStatus {
    #[serde(default)]
    pub code: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Annotations<'a> {
    #[serde(borrow, default, rename = "authorization.k8s.io/reason")]
    pub authorization_reason: Option<Cow<'a, str>>,
}

impl<'a> Event<'a> {
    /// Parse one line. Anything that is not an audit Event is an error with serde_json's
    /// line-relative column.
    pub fn parse(line: &'a str) -> Result<Event<'a>, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// Whether this is the event to judge for its request. The API server writes one event
    /// per stage; the final one (`ResponseComplete`, or `Panic`) holds the response code. A
    /// request rejected by authentication (401) only ever gets `ResponseStarted`.
    pub fn is_final(&self) -> bool {
        match &*self.stage {
            "ResponseComplete" | "Panic" => true,
            "ResponseStarted" => self.code() == Some(401),
            _ => false,
        }
    }

    pub fn request_uri(&self) -> Cow<'a, str> {
        serde_json::from_str::<Cow<'a, str>>(self.request_uri.get()).unwrap_or(Cow::Borrowed(""))
    }

    pub fn source_ips(&self) -> Vec<String> {
        strings(self.source_ips)
    }

    pub fn code(&self) -> Option<i64> {
        self.response_status.as_ref().and_then(|s| s.code)
    }

    /// Whether the API server refused or failed the request.
    pub fn denied(&self) -> bool {
        self.code().is_some_and(|c| c >= 400)
    }

    pub fn object(&self) -> &ObjectRef<'a> {
        static NONE: ObjectRef<'static> = ObjectRef {
            resource: None,
            namespace: None,
            name: None,
            api_group: None,
            api_version: None,
            subresource: None,
        };
        self.object_ref.as_ref().unwrap_or(&NONE)
    }

    /// The `authorization.k8s.io/reason` annotation, when logged and not empty.
    pub fn authorization_reason(&self) -> Option<String> {
        let a: Annotations<'_> = serde_json::from_str(self.annotations?.get()).ok()?;
        a.authorization_reason
            .filter(|r| !r.is_empty())
            .map(|r| r.into_owned())
    }

    /// The time the request arrived (the stage's time if that is missing).
    pub fn time(&self) -> &str {
        self.request_received
            .as_deref()
            .or(self.stage_timestamp.as_deref())
            .unwrap_or("")
    }
}

/// Microseconds since the Unix epoch of an RFC 3339 time as the API server writes it
/// (`2026-11-23T15:25:01.158585Z`).
pub fn micros(time: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}
