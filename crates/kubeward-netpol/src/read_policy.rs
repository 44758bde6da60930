//! NetworkPolicy objects to [`Policy`] facts, with the API server's validation: whatever it would
//! refuse is a located problem, and the refused part matches nothing (never everything).

use std::sync::Arc;

use kubeward_model::{LabelSelector, Object};
use kubeward_yaml::{NodeRef, Problem};

use crate::fields::{child, expected, int_or_name, list, port_number, protocol, IntOrName};
use crate::ip::{Family, IpSet};
use crate::model::{Direction, Loc, Policy, PortSpec, Rule, RulePeer, RulePort};
use crate::selector;

/// Reads a NetworkPolicy in `namespace`.
pub fn read(
    o: &Object<'_>,
    namespace: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> Policy {
    let loc = |n: NodeRef<'_>| Loc {
        file: file.clone(),
        pos: n.pos(),
    };
    let mut policy = Policy {
        namespace: namespace.to_string(),
        name: o.name.to_string(),
        loc: loc(o.root),
        pod_selector: LabelSelector::default(),
        isolates_ingress: true,
        isolates_egress: false,
        ingress: Vec::new(),
        egress: Vec::new(),
    };
    let Some(spec) = child(o.root, "spec") else {
        // No spec: an empty podSelector and no rules, i.e. deny all ingress to the namespace.
        return policy;
    };
    if !spec.is_map() {
        problems.push(expected(spec, "spec", "a mapping"));
        // Select nothing: a policy that cannot be read must not isolate pods either.
        policy.pod_selector = never();
        return policy;
    }
    if let Some(ps) = child(spec, "podSelector") {
        policy.pod_selector = selector::read(ps, "spec.podSelector", problems);
    }
    for d in [Direction::Ingress, Direction::Egress] {
        let peers_key = match d {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        let rules = list(spec, d.field(), &format!("spec.{}", d.field()), problems)
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let field = format!("spec.{}[{i}]", d.field());
                read_rule(r, peers_key, &field, file, problems)
            })
            .collect();
        match d {
            Direction::Ingress => policy.ingress = rules,
            Direction::Egress => policy.egress = rules,
        }
    }
    let types = list(spec, "policyTypes", "spec.policyTypes", problems);
    if types.is_empty() {
        // The API's defaulting: Ingress always, Egress when the policy has egress rules.
        policy.isolates_ingress = true;
        policy.isolates_egress = !policy.egress.is_empty();
    } else {
        policy.isolates_ingress = false;
        for t in types {
            match t.as_str() {
                Some("Ingress") => policy.isolates_ingress = true,
                Some("Egress") => policy.isolates_egress = true,
                _ => problems.push(Problem {
                    pos: t.pos(),
                    message: "`spec.policyTypes` items must be Ingress or Egress".into(),
                }),
            }
        }
    }
    policy
}

/// A selector that selects nothing.
fn never() -> LabelSelector {
    LabelSelector {
        match_labels: Default::default(),
        match_expressions: vec![selector::never()],
    }
}

fn read_rule(
    r: NodeRef<'_>,
    peers_key: &str,
    field: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> Rule {
    let loc = Loc {
        file: file.clone(),
        pos: r.value_pos(),
    };
    if !r.is_map() {
        if !r.is_null() {
            problems.push(expected(r, field, "a mapping"));
            // Unreadable: matches nothing.
            return Rule {
                loc,
                all_peers: false,
                peers: Vec::new(),
                all_ports: false,
                ports: Vec::new(),
            };
        }
        // `- {}` written as a bare `-`: every peer, every port.
        return Rule {
            loc,
            all_peers: true,
            peers: Vec::new(),
            all_ports: true,
            ports: Vec::new(),
        };
    }
    let peer_nodes = list(r, peers_key, &format!("{field}.{peers_key}"), problems);
    let bad_peers = child(r, peers_key).is_some_and(|n| !n.is_seq());
    let peers: Vec<RulePeer> = peer_nodes
        .iter()
        .enumerate()
        .map(|(i, p)| read_peer(*p, &format!("{field}.{peers_key}[{i}]"), file, problems))
        .collect();
    let port_nodes = list(r, "ports", &format!("{field}.ports"), problems);
    let bad_ports = child(r, "ports").is_some_and(|n| !n.is_seq());
    let ports: Vec<RulePort> = port_nodes
        .iter()
        .enumerate()
        .filter_map(|(i, p)| read_port(*p, &format!("{field}.ports[{i}]"), file, problems))
        .collect();
    Rule {
        loc,
        all_peers: peer_nodes.is_empty() && !bad_peers,
        peers,
        all_ports: port_nodes.is_empty() && !bad_ports,
        ports,
    }
}

fn read_peer(
    p: NodeRef<'_>,
    field: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> RulePeer {
    let loc = Loc {
        file: file.clone(),
        pos: p.value_pos(),
    };
    if !p.is_map() {
        problems.push(expected(p, field, "a mapping"));
        return RulePeer::Nothing;
    }
    let pods = child(p, "podSelector");
    let namespaces = child(p, "namespaceSelector");
    let ip = child(p, "ipBlock");
    match (pods, namespaces, ip) {
        (None, None, None) => {
            problems.push(Problem {
                pos: p.value_pos(),
                message: format!(
                    "`{field}` must set podSelector, namespaceSelector or ipBlock (the API refuses an empty peer)"
                ),
            });
            RulePeer::Nothing
        }
        (Some(_), _, Some(i)) | (_, Some(_), Some(i)) => {
            problems.push(Problem {
                pos: i.pos(),
                message: format!(
                    "`{field}.ipBlock` cannot be combined with podSelector or namespaceSelector"
                ),
            });
            RulePeer::Nothing
        }
        (None, None, Some(i)) => read_ip_block(i, &format!("{field}.ipBlock"), loc, problems),
        (pods, namespaces, None) => RulePeer::Selectors {
            namespaces: namespaces
                .map(|n| selector::read(n, &format!("{field}.namespaceSelector"), problems)),
            pods: pods.map(|n| selector::read(n, &format!("{field}.podSelector"), problems)),
            loc,
        },
    }
}

fn read_ip_block(i: NodeRef<'_>, field: &str, loc: Loc, problems: &mut Vec<Problem>) -> RulePeer {
    if !i.is_map() {
        problems.push(expected(i, field, "a mapping"));
        return RulePeer::Nothing;
    }
    let Some(cidr_node) = child(i, "cidr") else {
        problems.push(Problem {
            pos: i.pos(),
            message: format!("`{field}.cidr` is required"),
        });
        return RulePeer::Nothing;
    };
    let Some(mut block) = cidr_node.as_str().and_then(|t| IpSet::parse_cidr(t).ok()) else {
        problems.push(Problem {
            pos: cidr_node.pos(),
            message: format!("`{field}.cidr` must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32"),
        });
        return RulePeer::Nothing;
    };
    let whole = block.clone();
    for (k, e) in list(i, "except", &format!("{field}.except"), problems)
        .into_iter()
        .enumerate()
    {
        let Some(hole) = e.as_str().and_then(|t| IpSet::parse_cidr(t).ok()) else {
            problems.push(Problem {
                pos: e.pos(),
                message: format!(
                    "`{field}.except[{k}]` must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32"
                ),
            });
            // An exception that cannot be read: nothing of the block can be trusted to match.
            return RulePeer::Nothing;
        };
        let same_family = [Family::V4, Family::V6]
            .iter()
            .all(|&f| !hole.has(f) || whole.has(f));
        if !same_family || !hole.is_subset(&whole) || hole == whole {
            problems.push(Problem {
                pos: e.pos(),
                message: format!(
                    "`{field}.except[{k}]` must be a strict subset of `{field}.cidr`, of the same address family"
                ),
            });
        }
        block = block.subtract(&hole);
    }
    RulePeer::IpBlock { block, loc }
}

fn read_port(
    p: NodeRef<'_>,
    field: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> Option<RulePort> {
    if !p.is_map() {
        problems.push(expected(p, field, "a mapping"));
        return None;
    }
    let protocol = protocol(p, field, problems)?;
    let end = child(p, "endPort");
    let port = match child(p, "port") {
        None => {
            if let Some(e) = end {
                problems.push(Problem {
                    pos: e.pos(),
                    message: format!("`{field}.endPort` needs a numeric `port`"),
                });
                return None;
            }
            PortSpec::All
        }
        Some(n) => match int_or_name(n, &format!("{field}.port"), problems)? {
            IntOrName::Number(start) => match end {
                None => PortSpec::Range(start, start),
                Some(e) => {
                    let stop = port_number(e, &format!("{field}.endPort"), problems)?;
                    if stop < start {
                        problems.push(Problem {
                            pos: e.pos(),
                            message: format!(
                                "`{field}.endPort` must be greater than or equal to `port`"
                            ),
                        });
                        return None;
                    }
                    PortSpec::Range(start, stop)
                }
            },
            IntOrName::Name(name) => {
                if let Some(e) = end {
                    problems.push(Problem {
                        pos: e.pos(),
                        message: format!("`{field}.endPort` cannot be used with a named `port`"),
                    });
                    return None;
                }
                PortSpec::Named(name.into())
            }
        },
    };
    Some(RulePort {
        protocol,
        port,
        loc: Loc {
            file: file.clone(),
            pos: p.value_pos(),
        },
    })
}
