//! `kubeward netpol`: which connections NetworkPolicies allow (`reach`), and whether one is
//! allowed and by which policy and rule (`can`). The model is kubeward-netpol's; the inputs are
//! read like `kubeward scan` reads them (files, directories, `-`).

use std::io::Write;

use anyhow::Result;
use kubeward_engine::{collect_sources, read_whole};
use kubeward_netpol::ip::Family;
use kubeward_netpol::model::Direction;
use kubeward_netpol::{ConnSet, Endpoint, IpSet, NetModel, Network, Protocol, Side};
use kubeward_yaml::Limits;
use serde_json::{json, Value};

use crate::cli::{NetpolCanArgs, NetpolCommand, NetpolReachArgs};
use crate::commands::open_output;

pub fn run(command: NetpolCommand) -> Result<u8> {
    match command {
        NetpolCommand::Reach(a) => reach(a),
        NetpolCommand::Can(a) => can(a),
    }
}

/// The network of the inputs; input errors are printed (file:line:column) and counted.
fn load(paths: &[String], namespace: &str) -> (Network, usize) {
    let args = if paths.is_empty() {
        vec![".".to_string()]
    } else {
        paths.to_vec()
    };
    let mut errors = 0;
    let (sources, source_errors) = collect_sources(&args);
    for e in source_errors {
        eprintln!("kubeward: error: {e}");
        errors += 1;
    }
    let limits = Limits::default();
    let mut model = NetModel::in_namespace(namespace);
    for source in &sources {
        let piece = read_whole(source, limits.max_document_bytes);
        for e in &piece.errors {
            eprintln!("kubeward: error: {e}");
            errors += 1;
        }
        for p in model.read_chunks(&piece.name, &piece.bytes, &piece.chunks, &limits) {
            eprintln!("kubeward: error: {}:{}: {}", piece.name, p.pos, p.message);
            errors += 1;
        }
    }
    let network = model.finish();
    for (loc, message) in network.problems() {
        eprintln!("kubeward: error: {loc}: {message}");
        errors += 1;
    }
    (network, errors)
}

/// Exit 2 when the input had errors (the answer is still given), else `code`.
fn done(errors: usize, code: u8) -> Result<u8> {
    Ok(if errors > 0 { 2 } else { code })
}

fn reach(a: NetpolReachArgs) -> Result<u8> {
    let (network, errors) = load(&a.paths, &a.namespace);
    let conns = network.connections();
    let mut out = open_output(a.output.as_deref())?;
    if a.format == "json" {
        let v = json!({"connections": conns, "errors": errors});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        for c in &conns {
            writeln!(out, "{c}")?;
        }
    }
    out.flush()?;
    done(errors, 0)
}

/// A usage error of `can`: printed, exit 2.
fn usage(message: String) -> Result<u8> {
    eprintln!("kubeward: error: {message}");
    Ok(2)
}

/// FROM or TO: `external` (every outside address), an address or CIDR, or a workload.
fn endpoint(network: &Network, spec: &str) -> Result<Vec<Endpoint>, String> {
    if spec == "external" {
        return Ok(vec![Endpoint::External(IpSet::all())]);
    }
    if let Ok(set) = IpSet::parse_addr_or_cidr(spec) {
        return Ok(vec![Endpoint::External(set)]);
    }
    match network.find(spec).as_slice() {
        [] => Err(format!(
            "no workload {spec:?} in the inputs (expected NAMESPACE/NAME, NAMESPACE/NAME[Kind], NAME, `external`, an IP address or a CIDR)"
        )),
        [one] => Ok(vec![Endpoint::Workload(*one)]),
        many => Err(format!(
            "{spec:?} names {} workloads ({}); say which with NAMESPACE/NAME[Kind]",
            many.len(),
            many.iter()
                .filter_map(|&i| network.workloads().get(i).map(|w| w.display()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// PORT: `8080`, `udp/53`, `http` or `tcp/http` (a name resolves on the destination).
fn port(network: &Network, spec: &str, dst: &Endpoint) -> Result<(Protocol, u16), String> {
    let (proto, rest) = match spec.split_once('/') {
        Some((p, r)) => (
            Protocol::parse(&p.to_ascii_uppercase()).ok_or_else(|| {
                format!("unknown protocol in PORT {spec:?} (expected tcp, udp or sctp)")
            })?,
            r,
        ),
        None => (Protocol::Tcp, spec),
    };
    if let Ok(n) = rest.parse::<u32>() {
        return match u16::try_from(n) {
            Ok(n) if n > 0 => Ok((proto, n)),
            _ => Err(format!("PORT {spec:?} is out of range (1-65535)")),
        };
    }
    let Endpoint::Workload(w) = dst else {
        return Err(format!(
            "a named PORT ({spec:?}) needs a workload as TO: names resolve on its containers"
        ));
    };
    let w = network
        .workloads()
        .get(*w)
        .ok_or_else(|| "internal error: unknown workload".to_string())?;
    match w.named_port(rest) {
        Some((n, p)) if p == proto => Ok((proto, n)),
        Some((_, p)) => Err(format!(
            "the port named {rest:?} of {} is {p}, not {proto}",
            w.display()
        )),
        None => Err(format!(
            "no container of {} declares a port named {rest:?}",
            w.display()
        )),
    }
}

fn endpoint_name(network: &Network, e: &Endpoint) -> String {
    match e {
        Endpoint::Workload(w) => network
            .workloads()
            .get(*w)
            .map_or_else(String::new, |w| w.display()),
        Endpoint::External(set) => kubeward_netpol::connlist::external_name(set),
        Endpoint::IngressController => kubeward_netpol::connlist::INGRESS_CONTROLLER.into(),
    }
}

/// The questions to ask: an external endpoint is cut into the ranges policies tell apart.
fn questions(network: &Network, src: &Endpoint, dst: &Endpoint) -> Vec<(Endpoint, Endpoint)> {
    let split = |set: &IpSet, d: Direction| -> Vec<Endpoint> {
        let mut ranges = network.external_ranges(d);
        // IPv6 as one range when no rule names IPv6 addresses.
        if !ranges.iter().any(|r| r.has(Family::V6)) {
            ranges.push(IpSet {
                v4: Default::default(),
                v6: kubeward_netpol::ranges::Ranges::full(),
            });
        }
        ranges
            .into_iter()
            .map(|r| r.intersect(set))
            .filter(|r| !r.is_empty())
            .map(Endpoint::External)
            .collect()
    };
    match (src, dst) {
        (Endpoint::External(s), _) => split(s, Direction::Ingress)
            .into_iter()
            .map(|s| (s, dst.clone()))
            .collect(),
        (_, Endpoint::External(d)) => split(d, Direction::Egress)
            .into_iter()
            .map(|d| (src.clone(), d))
            .collect(),
        _ => vec![(src.clone(), dst.clone())],
    }
}

fn can(a: NetpolCanArgs) -> Result<u8> {
    let (network, errors) = load(&a.paths, &a.namespace);
    let (src, dst) = match (endpoint(&network, &a.from), endpoint(&network, &a.to)) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => return usage(e),
    };
    let (Some(src), Some(dst)) = (src.into_iter().next(), dst.into_iter().next()) else {
        return usage("nothing to evaluate".into());
    };
    if matches!((&src, &dst), (Endpoint::External(_), Endpoint::External(_))) {
        return usage("FROM and TO cannot both be outside the cluster".into());
    }
    let (proto, number) = match port(&network, &a.port, &dst) {
        Ok(p) => p,
        Err(e) => return usage(e),
    };
    let want = ConnSet::port(proto, number);
    let mut answers = Vec::new();
    for (s, d) in questions(&network, &src, &dst) {
        let v = network.evaluate(&s, &d);
        let ok = v.allowed.contains(proto, number);
        answers.push((s, d, v, ok));
    }
    let allowed = answers.iter().any(|(.., ok)| *ok);
    // Explain the allowed ranges, or (denied) the first: isolation does not depend on range.
    let shown: Vec<_> = if allowed {
        answers.iter().filter(|(.., ok)| *ok).collect()
    } else {
        answers.iter().take(1).collect()
    };
    let mut out = open_output(a.output.as_deref())?;
    if a.format == "json" {
        let items: Vec<Value> = shown
            .iter()
            .map(|(s, d, v, ok)| {
                json!({
                    "from": endpoint_name(&network, s),
                    "to": endpoint_name(&network, d),
                    "allowed": ok,
                    "connections": v.allowed,
                    "egress": side_json(&network, &v.egress, &want),
                    "ingress": side_json(&network, &v.ingress, &want),
                })
            })
            .collect();
        let doc = json!({
            "allowed": allowed,
            "from": a.from,
            "to": a.to,
            "port": want,
            "answers": items,
            "errors": errors,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for (s, d, v, ok) in shown {
            writeln!(
                out,
                "{}: {} => {} : {want}",
                if *ok { "allowed" } else { "denied" },
                endpoint_name(&network, s),
                endpoint_name(&network, d)
            )?;
            for (side, who) in [(&v.egress, s), (&v.ingress, d)] {
                writeln!(out, "  {}", side_text(&network, side, who, &want))?;
            }
        }
    }
    out.flush()?;
    done(errors, if allowed { 0 } else { 1 })
}

/// `NetworkPolicy ns/name (file:line:col)`.
fn policy_name(network: &Network, i: u32) -> String {
    network
        .policies()
        .get(i as usize)
        .map_or_else(String::new, |p| {
            format!("NetworkPolicy {} ({})", p.display(), p.loc)
        })
}

/// One side of the answer in a sentence: not isolated, allowed by which rules, or isolated by
/// which policies with no rule allowing `want`.
fn side_text(network: &Network, side: &Side, who: &Endpoint, want: &ConnSet) -> String {
    let dir = side.direction.as_str().to_lowercase();
    let who = endpoint_name(network, who);
    if side.isolated_by.is_empty() {
        return match who.ends_with("[External]") || who.starts_with('{') {
            true => format!("{dir} of {who}: outside NetworkPolicies' reach"),
            false => {
                format!("{dir} of {who}: not isolated (no NetworkPolicy selects it for {dir})")
            }
        };
    }
    let rules: Vec<String> = side
        .rules
        .iter()
        .filter(|r| !r.conns.intersect(want).is_empty())
        .filter_map(|r| {
            let p = network.policies().get(r.policy as usize)?;
            let rule = p.rules(r.direction).get(r.rule)?;
            Some(format!(
                "NetworkPolicy {} {} rule #{} ({}) allows {}",
                p.display(),
                dir,
                r.rule + 1,
                rule.loc,
                r.conns
            ))
        })
        .collect();
    if !rules.is_empty() {
        return format!("{dir} of {who}: {}", rules.join("; "));
    }
    let by: Vec<String> = side
        .isolated_by
        .iter()
        .map(|&i| policy_name(network, i))
        .collect();
    format!(
        "{dir} of {who}: isolated by {}; no {dir} rule of them allows {want}",
        by.join(", ")
    )
}

fn side_json(network: &Network, side: &Side, want: &ConnSet) -> Value {
    let policy = |i: u32| {
        network
            .policies()
            .get(i as usize)
            .map(|p| json!({"namespace": p.namespace, "name": p.name, "location": p.loc}))
    };
    json!({
        "isolated": !side.isolated_by.is_empty(),
        "isolated_by": side.isolated_by.iter().filter_map(|&i| policy(i)).collect::<Vec<_>>(),
        "allowed": side.allowed,
        "rules": side.rules.iter().filter(|r| !r.conns.intersect(want).is_empty()).filter_map(|r| {
            let p = network.policies().get(r.policy as usize)?;
            let rule = p.rules(r.direction).get(r.rule)?;
            Some(json!({
                "policy": policy(r.policy),
                "direction": r.direction,
                "rule": r.rule,
                "location": rule.loc,
                "connections": r.conns,
            }))
        }).collect::<Vec<_>>(),
    })
}
