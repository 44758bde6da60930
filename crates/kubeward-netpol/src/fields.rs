//! Small readers of typed fields shared by the object readers: each refuses what the API server
//! would refuse with a located message that names the field and what was expected (a wrong
//! value may be a credential, so it is never quoted).

use kubeward_yaml::{NodeRef, Problem};

use crate::conns::Protocol;

/// A child that is present and not null.
pub fn child<'a>(node: NodeRef<'a>, key: &str) -> Option<NodeRef<'a>> {
    node.get(key).filter(|n| !n.is_null())
}

/// The items of a list field; a present field that is not a list is a problem (and no items).
pub fn list<'a>(
    node: NodeRef<'a>,
    key: &str,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Vec<NodeRef<'a>> {
    match child(node, key) {
        None => Vec::new(),
        Some(l) if l.is_seq() => l.items().collect(),
        Some(l) => {
            problems.push(expected(l, field, "a list"));
            Vec::new()
        }
    }
}

/// A problem: `field` must be `what`, found its type.
pub fn expected(node: NodeRef<'_>, field: &str, what: &str) -> Problem {
    Problem {
        pos: node.pos(),
        message: format!(
            "`{field}` must be {what}, found {}",
            node.value_type().describe()
        ),
    }
}

/// A port number 1-65535.
pub fn port_number(node: NodeRef<'_>, field: &str, problems: &mut Vec<Problem>) -> Option<u16> {
    match node.as_i64() {
        Some(n) if (1..=65535).contains(&n) => u16::try_from(n).ok(),
        Some(_) => {
            problems.push(Problem {
                pos: node.pos(),
                message: format!("`{field}` must be a port number from 1 to 65535"),
            });
            None
        }
        None => {
            problems.push(expected(node, field, "a port number from 1 to 65535"));
            None
        }
    }
}

/// `protocol` of a port (TCP when absent).
pub fn protocol(node: NodeRef<'_>, field: &str, problems: &mut Vec<Problem>) -> Option<Protocol> {
    match child(node, "protocol") {
        None => Some(Protocol::Tcp),
        Some(p) => match p.as_str().and_then(Protocol::parse) {
            Some(proto) => Some(proto),
            None => {
                problems.push(Problem {
                    pos: p.pos(),
                    message: format!("`{field}.protocol` must be TCP, UDP or SCTP"),
                });
                None
            }
        },
    }
}

/// Whether `name` is a valid port name (an IANA service name: at most 15 lowercase letters,
/// digits and single inner hyphens, with at least one letter), as the API server requires.
pub fn valid_port_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// A port given as a number or a name (`targetPort`, a policy's `port`).
pub enum IntOrName<'a> {
    Number(u16),
    Name(&'a str),
}

/// Reads a number-or-name port field.
pub fn int_or_name<'a>(
    node: NodeRef<'a>,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Option<IntOrName<'a>> {
    if node.as_i64().is_some() {
        return port_number(node, field, problems).map(IntOrName::Number);
    }
    match node.as_str() {
        Some(name) if valid_port_name(name) => Some(IntOrName::Name(name)),
        Some(_) => {
            problems.push(Problem {
                pos: node.pos(),
                message: format!(
                    "`{field}` must be a port number or a port name (up to 15 lowercase letters, digits and hyphens, with a letter)"
                ),
            });
            None
        }
        None => {
            problems.push(expected(node, field, "a port number or a port name"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names() {
        for ok in ["http", "web-8080", "a", "metrics2"] {
            assert!(valid_port_name(ok), "{ok}");
        }
        for bad in ["", "80", "HTTP", "-a", "a-", "a--b", "sixteen-chars-xx"] {
            assert!(!valid_port_name(bad), "{bad}");
        }
    }
}
