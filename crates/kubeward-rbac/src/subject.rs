//! Who a question is about: users, groups and service accounts, and the groups Kubernetes
//! adds to every authenticated identity.

use std::fmt;

/// A subject as bindings name it. A `User` named `system:serviceaccount:NS:NAME` is that
/// service account (the authorizer compares user names), so it is read as one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "kind")]
pub enum SubjectKey {
    User { name: String },
    Group { name: String },
    ServiceAccount { namespace: String, name: String },
}

pub const SA_USER_PREFIX: &str = "system:serviceaccount:";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

impl SubjectKey {
    pub fn user(name: &str) -> SubjectKey {
        match name
            .strip_prefix(SA_USER_PREFIX)
            .and_then(|rest| rest.split_once(':'))
        {
            Some((ns, sa)) if !ns.is_empty() && !sa.is_empty() => SubjectKey::ServiceAccount {
                namespace: ns.to_string(),
                name: sa.to_string(),
            },
            _ => SubjectKey::User {
                name: name.to_string(),
            },
        }
    }

    pub fn group(name: &str) -> SubjectKey {
        SubjectKey::Group {
            name: name.to_string(),
        }
    }

    pub fn service_account(namespace: &str, name: &str) -> SubjectKey {
        SubjectKey::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The key a binding subject stands for; `None` when it can never apply (an unknown kind,
    /// a ServiceAccount without a namespace in a ClusterRoleBinding).
    pub fn of_binding_subject(kind: &str, name: &str, namespace: &str) -> Option<SubjectKey> {
        match kind {
            "User" => Some(SubjectKey::user(name)),
            "Group" => Some(SubjectKey::group(name)),
            "ServiceAccount" if !namespace.is_empty() => {
                Some(SubjectKey::service_account(namespace, name))
            }
            _ => None,
        }
    }

    /// Parse `User:alice`, `Group:devs`, `ServiceAccount:ns:name` (also `sa:ns:name`,
    /// `ServiceAccount:ns/name`, and a bare `system:serviceaccount:ns:name`).
    pub fn parse(text: &str) -> Result<SubjectKey, String> {
        let bad = || {
            format!(
                "invalid subject {text:?} (expected User:NAME, Group:NAME or ServiceAccount:NAMESPACE:NAME)"
            )
        };
        if text.starts_with(SA_USER_PREFIX) {
            return match SubjectKey::user(text) {
                k @ SubjectKey::ServiceAccount { .. } => Ok(k),
                _ => Err(bad()),
            };
        }
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        match kind.to_ascii_lowercase().as_str() {
            "user" | "u" => Ok(SubjectKey::user(rest)),
            "group" | "g" => Ok(SubjectKey::group(rest)),
            "serviceaccount" | "sa" => {
                let (ns, name) = rest
                    .split_once(':')
                    .or_else(|| rest.split_once('/'))
                    .ok_or_else(bad)?;
                if ns.is_empty() || name.is_empty() {
                    return Err(bad());
                }
                Ok(SubjectKey::service_account(ns, name))
            }
            _ => Err(bad()),
        }
    }

    /// The identity this subject authenticates as: a user or service account with the groups
    /// Kubernetes adds to every one of them (`system:authenticated`; `system:serviceaccounts`
    /// and `system:serviceaccounts:NS` for service accounts), plus `extra_groups`. A group
    /// stands for what its membership alone grants.
    pub fn identity(&self, extra_groups: &[String]) -> Identity {
        let (user, mut groups) = match self {
            SubjectKey::User { name } => (Some(name.clone()), vec![AUTHENTICATED.to_string()]),
            SubjectKey::Group { name } => (None, vec![name.clone()]),
            SubjectKey::ServiceAccount { namespace, name } => (
                Some(format!("{SA_USER_PREFIX}{namespace}:{name}")),
                vec![
                    ALL_SERVICE_ACCOUNTS.to_string(),
                    format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
                    AUTHENTICATED.to_string(),
                ],
            ),
        };
        for g in extra_groups {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        Identity { user, groups }
    }

    pub fn namespace(&self) -> Option<&str> {
        match self {
            SubjectKey::ServiceAccount { namespace, .. } => Some(namespace),
            _ => None,
        }
    }

    /// `User:alice`, `ServiceAccount:ci:deployer`: the form [`SubjectKey::parse`] reads.
    pub fn spec(&self) -> String {
        match self {
            SubjectKey::User { name } => format!("User:{name}"),
            SubjectKey::Group { name } => format!("Group:{name}"),
            SubjectKey::ServiceAccount { namespace, name } => {
                format!("ServiceAccount:{namespace}:{name}")
            }
        }
    }

    /// Part of Kubernetes itself: a `system:` user or group, or a kube-system service account.
    pub fn is_system(&self) -> bool {
        match self {
            SubjectKey::User { name } | SubjectKey::Group { name } => name.starts_with("system:"),
            SubjectKey::ServiceAccount { namespace, .. } => namespace == "kube-system",
        }
    }
}

impl fmt::Display for SubjectKey {
    /// `User "alice"`, `ServiceAccount "ci/deployer"`, as the existing RBAC messages write them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectKey::User { name } => write!(f, "User {name:?}"),
            SubjectKey::Group { name } => write!(f, "Group {name:?}"),
            SubjectKey::ServiceAccount { namespace, name } => {
                write!(f, "ServiceAccount \"{namespace}/{name}\"")
            }
        }
    }
}

/// What the authorizer sees of a requester: a user name (none for a bare group) and groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user: Option<String>,
    pub groups: Vec<String>,
}

impl Identity {
    /// The binding subjects that apply to this identity.
    pub fn keys(&self) -> Vec<SubjectKey> {
        let mut keys: Vec<SubjectKey> = self.user.iter().map(|u| SubjectKey::user(u)).collect();
        keys.extend(self.groups.iter().map(|g| SubjectKey::group(g)));
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(
            SubjectKey::parse("User:alice").unwrap(),
            SubjectKey::user("alice")
        );
        assert_eq!(
            SubjectKey::parse("Group:system:masters").unwrap(),
            SubjectKey::group("system:masters")
        );
        for s in [
            "ServiceAccount:ci:deployer",
            "sa:ci:deployer",
            "ServiceAccount:ci/deployer",
            "system:serviceaccount:ci:deployer",
            "User:system:serviceaccount:ci:deployer",
        ] {
            assert_eq!(
                SubjectKey::parse(s).unwrap(),
                SubjectKey::service_account("ci", "deployer"),
                "{s}"
            );
        }
        for s in [
            "alice",
            "User:",
            "Robot:x",
            "ServiceAccount:ci",
            "sa::x",
            "system:serviceaccount:ci",
        ] {
            assert!(SubjectKey::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn identities_carry_implicit_groups() {
        let id = SubjectKey::service_account("ci", "d").identity(&[]);
        assert_eq!(id.user.as_deref(), Some("system:serviceaccount:ci:d"));
        assert_eq!(
            id.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:ci",
                "system:authenticated"
            ]
        );
        let id = SubjectKey::user("alice").identity(&["devs".to_string()]);
        assert_eq!(id.groups, ["system:authenticated", "devs"]);
        assert_eq!(SubjectKey::group("g").identity(&[]).user, None);
    }
}
