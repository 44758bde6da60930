//! Connection sets: for each protocol NetworkPolicies know (TCP, UDP, SCTP), the set of
//! destination ports, rendered the way np-guard's netpol-analyzer renders them ("TCP 8080",
//! "TCP 1-100,UDP 53", "All Connections", "No Connections") so the upstream truth tables
//! compare line for line.

use std::fmt;

use serde::Serialize;

use crate::ranges::Ranges;

/// A transport protocol of a NetworkPolicy port (the API allows only these three).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Protocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// In the order the renderer needs (alphabetical: SCTP, TCP, UDP).
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// The protocol named as the API names it (`TCP`, `UDP`, `SCTP`), case-sensitive like the
    /// API server's validation.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    fn slot(self) -> usize {
        match self {
            Protocol::Sctp => 0,
            Protocol::Tcp => 1,
            Protocol::Udp => 2,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Ports 1 to 65535: port 0 is not a port a connection can use (the API refuses it).
pub fn all_ports() -> Ranges<u16> {
    Ranges::range(1, u16::MAX)
}

/// A set of (protocol, port) pairs. Canonical, so `==` is set equality.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnSet {
    /// Indexed by [`Protocol::slot`]: SCTP, TCP, UDP.
    ports: [Ranges<u16>; 3],
}

impl ConnSet {
    /// No connections.
    pub fn none() -> Self {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> Self {
        ConnSet {
            ports: [all_ports(), all_ports(), all_ports()],
        }
    }

    /// `ports` of one protocol (clipped to 1-65535).
    pub fn of(protocol: Protocol, ports: Ranges<u16>) -> Self {
        let mut c = ConnSet::none();
        c.ports[protocol.slot()] = ports.intersect(&all_ports());
        c
    }

    /// One port of one protocol (none for port 0).
    pub fn port(protocol: Protocol, port: u16) -> Self {
        ConnSet::of(protocol, Ranges::range(port, port))
    }

    /// The ports of one protocol.
    pub fn ports(&self, protocol: Protocol) -> &Ranges<u16> {
        &self.ports[protocol.slot()]
    }

    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(Ranges::is_empty)
    }

    /// Whether everything is allowed.
    pub fn is_all(&self) -> bool {
        self.ports.iter().all(|p| *p == all_ports())
    }

    /// Whether `port` of `protocol` is in the set.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports[protocol.slot()].contains(port)
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].union(&other.ports[i])),
        }
    }

    /// `self ∩ other`.
    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].intersect(&other.ports[i])),
        }
    }

    /// Adds `other` in place.
    pub fn add(&mut self, other: &ConnSet) {
        *self = self.union(other);
    }

    /// Whether every connection of `self` is in `other`.
    pub fn is_subset(&self, other: &ConnSet) -> bool {
        (0..3).all(|i| self.ports[i].is_subset(&other.ports[i]))
    }
}

impl fmt::Display for ConnSet {
    /// As netpol-analyzer writes it: `All Connections`, `No Connections`, or per protocol in
    /// alphabetical order `PROTO p1,lo-hi` joined by commas (`TCP 8080,9090,UDP 53`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for p in Protocol::ALL {
            let r = self.ports(p);
            if r.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{p} ")?;
            for (i, &(lo, hi)) in r.ranges().iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if lo == hi {
                    write!(f, "{lo}")?;
                } else {
                    write!(f, "{lo}-{hi}")?;
                }
            }
        }
        Ok(())
    }
}

impl Serialize for ConnSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_netpol_analyzer() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let c = ConnSet::port(Protocol::Tcp, 8080)
            .union(&ConnSet::port(Protocol::Tcp, 9090))
            .union(&ConnSet::port(Protocol::Udp, 8080));
        assert_eq!(c.to_string(), "TCP 8080,9090,UDP 8080");
        let c = ConnSet::of(Protocol::Tcp, Ranges::range(8099, 8099))
            .union(&ConnSet::of(Protocol::Tcp, Ranges::range(9001, 9090)));
        assert_eq!(c.to_string(), "TCP 8099,9001-9090");
        let c = ConnSet::of(Protocol::Sctp, Ranges::range(8956, 8956))
            .union(&ConnSet::of(Protocol::Tcp, all_ports()));
        assert_eq!(c.to_string(), "SCTP 8956,TCP 1-65535");
    }

    #[test]
    fn port_zero_is_no_connection() {
        assert!(ConnSet::port(Protocol::Tcp, 0).is_empty());
        let every = ConnSet::of(Protocol::Tcp, Ranges::full())
            .union(&ConnSet::of(Protocol::Udp, Ranges::full()))
            .union(&ConnSet::of(Protocol::Sctp, Ranges::full()));
        assert!(every.is_all());
    }
}
