//! Services and the objects that route outside traffic to them (Ingress, OpenShift Route,
//! Gateway API routes) to [`Service`] and [`Route`] facts.

use std::sync::Arc;

use kubeward_model::{labels, Object};
use kubeward_yaml::{NodeRef, Problem};

use crate::fields::{child, expected, int_or_name, list, port_number, protocol, IntOrName};
use crate::ip::IpSet;
use crate::model::{
    Backend, BackendPort, Loc, Route, RouteKind, Service, ServicePort, ServiceType, TargetPort,
};

fn loc(file: &Arc<str>, n: NodeRef<'_>) -> Loc {
    Loc {
        file: file.clone(),
        pos: n.pos(),
    }
}

/// Reads a Service.
pub fn read_service(
    o: &Object<'_>,
    namespace: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> Service {
    let mut svc = Service {
        namespace: namespace.to_string(),
        name: o.name.to_string(),
        loc: loc(file, o.root),
        kind: ServiceType::ClusterIP,
        selector: None,
        ports: Vec::new(),
        source_ranges: IpSet::empty(),
        has_source_ranges: false,
        external_ips: Vec::new(),
    };
    let Some(spec) = child(o.root, "spec").filter(|s| s.is_map()) else {
        return svc;
    };
    if let Some(t) = child(spec, "type") {
        svc.kind = match t.as_str() {
            Some("ClusterIP") => ServiceType::ClusterIP,
            Some("NodePort") => ServiceType::NodePort,
            Some("LoadBalancer") => ServiceType::LoadBalancer,
            Some("ExternalName") => ServiceType::ExternalName,
            _ => {
                problems.push(Problem {
                    pos: t.pos(),
                    message:
                        "`spec.type` must be ClusterIP, NodePort, LoadBalancer or ExternalName"
                            .into(),
                });
                ServiceType::ClusterIP
            }
        };
    }
    // An empty selector is no selector: the endpoints are managed elsewhere.
    svc.selector = child(spec, "selector")
        .filter(|s| s.is_map() && !s.is_empty())
        .map(|s| labels(Some(s)));
    for (i, p) in list(spec, "ports", "spec.ports", problems)
        .into_iter()
        .enumerate()
    {
        let field = format!("spec.ports[{i}]");
        if !p.is_map() {
            problems.push(expected(p, &field, "a mapping"));
            continue;
        }
        let Some(proto) = protocol(p, &field, problems) else {
            continue;
        };
        let Some(port) =
            child(p, "port").and_then(|n| port_number(n, &format!("{field}.port"), problems))
        else {
            continue;
        };
        let target = match child(p, "targetPort") {
            None => TargetPort::Same,
            Some(t) => match int_or_name(t, &format!("{field}.targetPort"), problems) {
                Some(IntOrName::Number(n)) => TargetPort::Number(n),
                Some(IntOrName::Name(s)) => TargetPort::Named(s.into()),
                None => continue,
            },
        };
        svc.ports.push(ServicePort {
            name: child(p, "name").and_then(|n| n.as_str()).map(Into::into),
            port,
            target,
            protocol: proto,
            node_port: child(p, "nodePort")
                .and_then(|n| port_number(n, &format!("{field}.nodePort"), problems)),
            loc: loc(file, p),
        });
    }
    for (i, r) in list(
        spec,
        "loadBalancerSourceRanges",
        "spec.loadBalancerSourceRanges",
        problems,
    )
    .into_iter()
    .enumerate()
    {
        svc.has_source_ranges = true;
        match r.as_str().and_then(|t| IpSet::parse_cidr(t).ok()) {
            Some(set) => svc.source_ranges = svc.source_ranges.union(&set),
            None => problems.push(Problem {
                pos: r.pos(),
                message: format!(
                    "`spec.loadBalancerSourceRanges[{i}]` must be a CIDR such as 203.0.113.0/24"
                ),
            }),
        }
    }
    svc.external_ips = list(spec, "externalIPs", "spec.externalIPs", problems)
        .into_iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    svc
}

/// The kind of a routing object, if `o` is one.
pub fn route_kind(o: &Object<'_>) -> Option<RouteKind> {
    match (o.group(), o.kind) {
        ("networking.k8s.io" | "extensions", "Ingress") => Some(RouteKind::Ingress),
        ("route.openshift.io", "Route") => Some(RouteKind::Route),
        ("gateway.networking.k8s.io", "HTTPRoute") => Some(RouteKind::HTTPRoute),
        ("gateway.networking.k8s.io", "GRPCRoute") => Some(RouteKind::GRPCRoute),
        ("gateway.networking.k8s.io", "TLSRoute") => Some(RouteKind::TLSRoute),
        ("gateway.networking.k8s.io", "TCPRoute") => Some(RouteKind::TCPRoute),
        _ => None,
    }
}

/// Reads an Ingress, Route or Gateway API route (`kind` from [`route_kind`]).
pub fn read_route(
    o: &Object<'_>,
    kind: RouteKind,
    namespace: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> Route {
    let mut route = Route {
        kind,
        namespace: namespace.to_string(),
        name: o.name.to_string(),
        loc: loc(file, o.root),
        backends: Vec::new(),
    };
    let Some(spec) = child(o.root, "spec").filter(|s| s.is_map()) else {
        return route;
    };
    let mut add = |service: Option<&str>, ns: &str, port: BackendPort, at: NodeRef<'_>| {
        if let Some(service) = service.filter(|s| !s.is_empty()) {
            route.backends.push(Backend {
                namespace: ns.to_string(),
                service: service.to_string(),
                port,
                loc: loc(file, at),
            });
        }
    };
    match kind {
        RouteKind::Ingress => {
            let mut backends: Vec<NodeRef<'_>> = Vec::new();
            backends.extend(child(spec, "defaultBackend").or_else(|| child(spec, "backend")));
            for r in list(spec, "rules", "spec.rules", problems) {
                let paths = r.get_path(&["http", "paths"]).filter(|p| p.is_seq());
                for p in paths.into_iter().flat_map(|p| p.items()) {
                    backends.extend(child(p, "backend"));
                }
            }
            for b in backends {
                if let Some(s) = child(b, "service") {
                    // networking.k8s.io/v1: service.name and service.port.{number,name}.
                    let port = child(s, "port");
                    let port = match (
                        port.and_then(|p| child(p, "number")),
                        port.and_then(|p| child(p, "name")).and_then(|n| n.as_str()),
                    ) {
                        (Some(n), _) => {
                            match port_number(n, "backend.service.port.number", problems) {
                                Some(n) => BackendPort::Number(n),
                                None => continue,
                            }
                        }
                        (None, Some(name)) => BackendPort::Name(name.into()),
                        (None, None) => BackendPort::Any,
                    };
                    add(
                        child(s, "name").and_then(|n| n.as_str()),
                        namespace,
                        port,
                        b,
                    );
                } else if let Some(name) = child(b, "serviceName").and_then(|n| n.as_str()) {
                    // extensions/v1beta1: serviceName and servicePort (number or name).
                    let port = match child(b, "servicePort").map(|p| (p.as_i64(), p.as_str())) {
                        Some((Some(n), _)) => match u16::try_from(n) {
                            Ok(n) if n > 0 => BackendPort::Number(n),
                            _ => continue,
                        },
                        Some((None, Some(s))) => BackendPort::Name(s.into()),
                        _ => BackendPort::Any,
                    };
                    add(Some(name), namespace, port, b);
                }
            }
        }
        RouteKind::Route => {
            let port = match spec
                .get_path(&["port", "targetPort"])
                .filter(|t| !t.is_null())
            {
                None => BackendPort::Any,
                Some(t) => match (t.as_i64(), t.as_str()) {
                    (Some(n), _) => match u16::try_from(n) {
                        Ok(n) if n > 0 => BackendPort::Target(n),
                        _ => BackendPort::Any,
                    },
                    (None, Some(s)) => BackendPort::TargetName(s.into()),
                    _ => BackendPort::Any,
                },
            };
            let mut targets: Vec<NodeRef<'_>> = child(spec, "to").into_iter().collect();
            targets.extend(list(
                spec,
                "alternateBackends",
                "spec.alternateBackends",
                problems,
            ));
            for t in targets {
                let kind = t.get("kind").and_then(|k| k.as_str()).unwrap_or("Service");
                if kind == "Service" || kind.is_empty() {
                    add(
                        t.get("name").and_then(|n| n.as_str()),
                        namespace,
                        port.clone(),
                        t,
                    );
                }
            }
        }
        _ => {
            for r in list(spec, "rules", "spec.rules", problems) {
                for b in list(r, "backendRefs", "spec.rules[].backendRefs", problems) {
                    let group = b.get("group").and_then(|g| g.as_str()).unwrap_or("");
                    let kind = b.get("kind").and_then(|k| k.as_str()).unwrap_or("Service");
                    if !group.is_empty() || kind != "Service" {
                        continue;
                    }
                    let ns = b
                        .get("namespace")
                        .and_then(|n| n.as_str())
                        .unwrap_or(namespace);
                    let port = match child(b, "port") {
                        Some(p) => match port_number(p, "backendRefs[].port", problems) {
                            Some(n) => BackendPort::Number(n),
                            None => continue,
                        },
                        None => BackendPort::Any,
                    };
                    add(b.get("name").and_then(|n| n.as_str()), ns, port, b);
                }
            }
        }
    }
    route
}
