//! Sets of IP addresses (IPv4 and IPv6) for `ipBlock` peers, `loadBalancerSourceRanges` and the
//! external address ranges a connection list names.
//!
//! CIDR text is parsed by the `ipnet` crate; the sets are interval sets ([`Ranges`]) per address
//! family, so `cidr` minus `except` and the partition of the address space are exact.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::ranges::Ranges;

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

/// A set of IP addresses of both families.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IpSet {
    pub v4: Ranges<u32>,
    pub v6: Ranges<u128>,
}

/// Why a CIDR was refused (never quoting it: the message names what was expected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CidrError;

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32")
    }
}

impl IpSet {
    /// No address.
    pub fn empty() -> Self {
        IpSet::default()
    }

    /// Every IPv4 address (what netpol-analyzer calls the whole external world).
    pub fn all_v4() -> Self {
        IpSet {
            v4: Ranges::full(),
            v6: Ranges::empty(),
        }
    }

    /// Every address of both families.
    pub fn all() -> Self {
        IpSet {
            v4: Ranges::full(),
            v6: Ranges::full(),
        }
    }

    /// The addresses of a CIDR (host bits are ignored, as the API server's sloppy parser does).
    pub fn parse_cidr(text: &str) -> Result<IpSet, CidrError> {
        let net: IpNet = text.trim().parse().map_err(|_| CidrError)?;
        Ok(match net.trunc() {
            IpNet::V4(n) => IpSet {
                v4: Ranges::range(u32::from(n.network()), u32::from(n.broadcast())),
                v6: Ranges::empty(),
            },
            IpNet::V6(n) => IpSet {
                v4: Ranges::empty(),
                v6: Ranges::range(u128::from(n.network()), u128::from(n.broadcast())),
            },
        })
    }

    /// One address.
    pub fn addr(ip: IpAddr) -> IpSet {
        match ip {
            IpAddr::V4(a) => IpSet {
                v4: Ranges::range(u32::from(a), u32::from(a)),
                v6: Ranges::empty(),
            },
            IpAddr::V6(a) => IpSet {
                v4: Ranges::empty(),
                v6: Ranges::range(u128::from(a), u128::from(a)),
            },
        }
    }

    /// An address or a CIDR.
    pub fn parse_addr_or_cidr(text: &str) -> Result<IpSet, CidrError> {
        match text.trim().parse::<IpAddr>() {
            Ok(ip) => Ok(IpSet::addr(ip)),
            Err(_) => IpSet::parse_cidr(text),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn union(&self, o: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.union(&o.v4),
            v6: self.v6.union(&o.v6),
        }
    }

    pub fn intersect(&self, o: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.intersect(&o.v4),
            v6: self.v6.intersect(&o.v6),
        }
    }

    pub fn subtract(&self, o: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.subtract(&o.v4),
            v6: self.v6.subtract(&o.v6),
        }
    }

    pub fn is_subset(&self, o: &IpSet) -> bool {
        self.v4.is_subset(&o.v4) && self.v6.is_subset(&o.v6)
    }

    /// Whether the set holds any address of `family`.
    pub fn has(&self, family: Family) -> bool {
        match family {
            Family::V4 => !self.v4.is_empty(),
            Family::V6 => !self.v6.is_empty(),
        }
    }

    /// Each contiguous range as its own set, IPv4 first.
    pub fn split(&self) -> Vec<IpSet> {
        let v4 = self.v4.ranges().iter().map(|&(lo, hi)| IpSet {
            v4: Ranges::range(lo, hi),
            v6: Ranges::empty(),
        });
        let v6 = self.v6.ranges().iter().map(|&(lo, hi)| IpSet {
            v4: Ranges::empty(),
            v6: Ranges::range(lo, hi),
        });
        v4.chain(v6).collect()
    }
}

impl fmt::Display for IpSet {
    /// Ranges as netpol-analyzer writes them: `10.0.0.0-10.255.255.255`, several joined by ", ".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for &(lo, hi) in self.v4.ranges() {
            parts.push(format!("{}-{}", Ipv4Addr::from(lo), Ipv4Addr::from(hi)));
        }
        for &(lo, hi) in self.v6.ranges() {
            parts.push(format!("{}-{}", Ipv6Addr::from(lo), Ipv6Addr::from(hi)));
        }
        f.write_str(&parts.join(", "))
    }
}

/// The coarsest partition of `universe` into contiguous ranges such that each of `blocks` is a
/// union of parts: the ranges between consecutive block edges. This is what netpol-analyzer's
/// disjoint IP blocks come to (an edge is always where membership of some block changes, so
/// two neighbouring parts never belong to the same blocks).
pub fn partition(blocks: &[IpSet], universe: &IpSet) -> Vec<IpSet> {
    let mut out = Vec::new();
    let cuts4 = edges(blocks.iter().map(|b| &b.v4));
    for &(lo, hi) in universe.v4.ranges() {
        for (a, b) in cut(lo, hi, &cuts4) {
            out.push(IpSet {
                v4: Ranges::range(a, b),
                v6: Ranges::empty(),
            });
        }
    }
    let cuts6 = edges(blocks.iter().map(|b| &b.v6));
    for &(lo, hi) in universe.v6.ranges() {
        for (a, b) in cut(lo, hi, &cuts6) {
            out.push(IpSet {
                v4: Ranges::empty(),
                v6: Ranges::range(a, b),
            });
        }
    }
    out
}

/// Sorted starts of parts: every range's first address and the address after its last.
fn edges<'a, T: crate::ranges::Bound + 'a>(sets: impl Iterator<Item = &'a Ranges<T>>) -> Vec<T> {
    let mut v = Vec::new();
    for s in sets {
        for &(lo, hi) in s.ranges() {
            v.push(lo);
            if let Some(n) = crate::ranges::Bound::succ(hi) {
                v.push(n);
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// `lo..=hi` cut at every edge inside it.
fn cut<T: crate::ranges::Bound>(lo: T, hi: T, edges: &[T]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    let mut start = lo;
    let first = edges.partition_point(|&e| e <= lo);
    for &e in &edges[first..] {
        if e > hi {
            break;
        }
        if let Some(p) = crate::ranges::Bound::pred(e) {
            out.push((start, p));
        }
        start = e;
    }
    out.push((start, hi));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_minus_except_renders_as_ranges() {
        let b = IpSet::parse_cidr("10.0.0.0/8").unwrap();
        let e = IpSet::parse_cidr("10.10.0.0/16").unwrap();
        assert_eq!(
            b.subtract(&e).to_string(),
            "10.0.0.0-10.9.255.255, 10.11.0.0-10.255.255.255"
        );
        assert!(IpSet::parse_cidr("10.0.0.0/33").is_err());
        assert!(IpSet::parse_cidr("not a cidr").is_err());
        // Host bits are dropped.
        assert_eq!(
            IpSet::parse_cidr("10.1.2.3/8").unwrap(),
            IpSet::parse_cidr("10.0.0.0/8").unwrap()
        );
    }

    #[test]
    fn ipv6_blocks() {
        let b = IpSet::parse_cidr("2001:db8::/32").unwrap();
        let e = IpSet::parse_cidr("2001:db8:1::/48").unwrap();
        let s = b.subtract(&e);
        assert!(!s.has(Family::V4) && s.has(Family::V6));
        let inside = IpSet::addr("2001:db8:2::1".parse().unwrap());
        let excepted = IpSet::addr("2001:db8:1::1".parse().unwrap());
        assert!(inside.is_subset(&s) && !excepted.is_subset(&s));
    }

    #[test]
    fn partition_matches_netpol_analyzer() {
        let b = IpSet::parse_cidr("10.0.0.0/8")
            .unwrap()
            .subtract(&IpSet::parse_cidr("10.10.0.0/16").unwrap());
        let parts: Vec<String> = partition(&b.split(), &IpSet::all_v4())
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            parts,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.9.255.255",
                "10.10.0.0-10.10.255.255",
                "10.11.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        assert_eq!(
            partition(&[], &IpSet::all_v4())[0].to_string(),
            "0.0.0.0-255.255.255.255"
        );
    }
}
