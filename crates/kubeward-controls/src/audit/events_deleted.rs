use super::{audit_detection, mitre, nsa};
use crate::control;
use crate::pss::frameworks;

control! {
    /// ## What it does
    /// Flags `delete` and `deletecollection` of `events` (core and `events.k8s.io`) by
    /// identities that are not system components (events expire on their own; nobody needs to
    /// delete them). A denied attempt is reported one severity lower.
    ///
    /// ## Why it matters
    /// Events record what happened to pods: scheduling, image pulls, failures, evictions.
    /// Deleting them hides an attacker's activity from the people investigating it (ATT&CK T1070).
    ///
    /// ## Example
    /// ```json
    /// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/events","verb":"deletecollection","user":{"username":"mallory"},"objectRef":{"resource":"events","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200}}
    /// ```
    ///
    /// ## How to fix
    /// Rely on the audit log for what the events showed; find out who deleted them and why.
    pub struct EventsDeleted;
    id: "KW1013",
    name: "audit-events-deleted",
    title: "Kubernetes events deleted",
    severity: Medium,
    remediation: "Find out why events were deleted; restrict delete on events to the components that need it.",
    frameworks: frameworks(None, &[nsa::AUDIT], &[], &[mitre::INDICATOR_REMOVAL]),
}

audit_detection!(EventsDeleted);
