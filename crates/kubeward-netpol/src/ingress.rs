//! What Ingresses, OpenShift Routes and Gateway API routes let in: from the ingress controller,
//! through a Service, to the pods it selects, on the target ports of the Service ports the
//! route names (TCP). The same resolution as netpol-analyzer's ingress analyzer.

use std::collections::HashMap;

use crate::conns::{ConnSet, Protocol};
use crate::model::{BackendPort, Route, Service, ServicePort, TargetPort, Workload};
use crate::network::Network;

/// How strictly a target port must exist on the pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortCheck {
    /// The pod must declare the port as a containerPort (netpol-analyzer's rule, used for the
    /// connection list so it agrees with the upstream truth tables).
    Declared,
    /// Any target port counts (what the Service actually forwards to).
    Any,
}

/// One route of traffic in through a Service, to one workload.
#[derive(Clone, Debug)]
pub struct RoutedTo {
    /// Index into [`Network::routes`].
    pub route: usize,
    /// Index into [`Network::services`].
    pub service: usize,
    pub workload: usize,
    /// The TCP ports of the workload it reaches.
    pub conns: ConnSet,
}

impl Network {
    /// Every (route, Service, workload) with the TCP ports the route reaches on the workload.
    pub fn routed(&self, check: PortCheck) -> Vec<RoutedTo> {
        let mut services: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, s) in self.services().iter().enumerate() {
            services
                .entry((s.namespace.as_str(), s.name.as_str()))
                .or_insert(i);
        }
        let mut out = Vec::new();
        for (ri, r) in self.routes().iter().enumerate() {
            out.extend(self.route_targets(ri, r, &services, check));
        }
        out
    }

    fn route_targets(
        &self,
        ri: usize,
        r: &Route,
        services: &HashMap<(&str, &str), usize>,
        check: PortCheck,
    ) -> Vec<RoutedTo> {
        let mut out = Vec::new();
        for b in &r.backends {
            let Some(&si) = services.get(&(b.namespace.as_str(), b.service.as_str())) else {
                continue;
            };
            let Some(svc) = self.services().get(si) else {
                continue;
            };
            let ports = service_ports(svc, &b.port);
            for wi in self.selected_by_service(svc) {
                let Some(w) = self.workloads().get(wi) else {
                    continue;
                };
                let mut conns = ConnSet::none();
                for sp in &ports {
                    if let Some(port) = access_port(sp, w, check) {
                        conns.add(&ConnSet::port(Protocol::Tcp, port));
                    }
                }
                if !conns.is_empty() {
                    out.push(RoutedTo {
                        route: ri,
                        service: si,
                        workload: wi,
                        conns,
                    });
                }
            }
        }
        out
    }
}

/// The Service ports a backend names (the first match, as netpol-analyzer takes it).
pub fn service_ports<'a>(svc: &'a Service, port: &BackendPort) -> Vec<&'a ServicePort> {
    let first =
        |f: &dyn Fn(&ServicePort) -> bool| svc.ports.iter().find(|p| f(p)).into_iter().collect();
    match port {
        BackendPort::Any => svc.ports.iter().collect(),
        BackendPort::Number(n) => first(&|p| p.port == *n || p.target == TargetPort::Number(*n)),
        BackendPort::Name(s) => first(&|p| p.name.as_deref() == Some(&**s)),
        BackendPort::Target(n) => first(&|p| p.port == *n || p.target == TargetPort::Number(*n)),
        BackendPort::TargetName(s) => {
            first(&|p| p.name.as_deref() == Some(&**s) || p.target == TargetPort::Named(s.clone()))
        }
    }
}

/// The pod port a Service port forwards to on workload `w`, if it reaches one.
pub fn access_port(sp: &ServicePort, w: &Workload, check: PortCheck) -> Option<u16> {
    let port = match &sp.target {
        TargetPort::Same => sp.port,
        TargetPort::Number(n) => *n,
        TargetPort::Named(name) => match w.named_port(name) {
            Some((n, Protocol::Tcp)) => n,
            _ => return None,
        },
    };
    let declared = w.virtual_machine || w.ports.iter().any(|p| p.port == port);
    (check == PortCheck::Any || declared).then_some(port)
}
