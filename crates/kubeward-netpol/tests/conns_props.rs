//! Connection sets behave as sets: union and intersection agree with a plain set of
//! (protocol, port) pairs, and obey the laws of sets.

use std::collections::BTreeSet;

use kubeward_netpol::ranges::Ranges;
use kubeward_netpol::{ConnSet, Protocol};
use proptest::prelude::*;

/// Ports are drawn from a small window (and its edges) so that ranges overlap and touch often.
fn port() -> impl Strategy<Value = u16> {
    prop_oneof![1u16..40, Just(1u16), Just(65535u16), 65500u16..=65535]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Sctp)
    ]
}

fn conn_set() -> impl Strategy<Value = ConnSet> {
    prop::collection::vec((protocol(), port(), port()), 0..6).prop_map(|parts| {
        parts.into_iter().fold(ConnSet::none(), |acc, (p, a, b)| {
            acc.union(&ConnSet::of(p, Ranges::range(a.min(b), a.max(b))))
        })
    })
}

/// The points the model checks: every port of the window and the edges.
fn points() -> Vec<(Protocol, u16)> {
    let ports: Vec<u16> = (0u16..42).chain(65498..=65535).collect();
    Protocol::ALL
        .iter()
        .flat_map(|&p| ports.iter().map(move |&n| (p, n)))
        .collect()
}

fn model(c: &ConnSet) -> BTreeSet<(Protocol, u16)> {
    points()
        .into_iter()
        .filter(|&(p, n)| c.contains(p, n))
        .collect()
}

proptest! {
    #[test]
    fn union_and_intersection_are_set_operations(a in conn_set(), b in conn_set()) {
        let (ma, mb) = (model(&a), model(&b));
        prop_assert_eq!(model(&a.union(&b)), ma.union(&mb).copied().collect::<BTreeSet<_>>());
        prop_assert_eq!(model(&a.intersect(&b)), ma.intersection(&mb).copied().collect::<BTreeSet<_>>());
    }

    #[test]
    fn laws(a in conn_set(), b in conn_set(), c in conn_set()) {
        prop_assert_eq!(a.union(&b), b.union(&a));
        prop_assert_eq!(a.intersect(&b), b.intersect(&a));
        prop_assert_eq!(a.union(&b).union(&c), a.union(&b.union(&c)));
        prop_assert_eq!(a.intersect(&b).intersect(&c), a.intersect(&b.intersect(&c)));
        prop_assert_eq!(a.intersect(&b.union(&c)), a.intersect(&b).union(&a.intersect(&c)));
        prop_assert_eq!(a.union(&a), a.clone());
        prop_assert_eq!(a.union(&ConnSet::none()), a.clone());
        prop_assert_eq!(a.intersect(&ConnSet::all()), a.clone());
        prop_assert!(a.intersect(&b).is_subset(&a));
        prop_assert!(a.is_subset(&a.union(&b)));
        // Port 0 is never a connection.
        prop_assert!(!a.contains(Protocol::Tcp, 0));
        // The rendering names exactly the set: equal sets, equal text.
        prop_assert_eq!(a.union(&b).to_string(), b.union(&a).to_string());
    }
}
