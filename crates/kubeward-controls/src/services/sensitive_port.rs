use kubeward_model::FieldPath;

use crate::services::{mitre, nsa, service};
use crate::{control, pss::frameworks, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags each port of a Service reachable from outside the cluster (`type: NodePort`,
    /// `type: LoadBalancer` unless made internal by a cloud provider annotation, or any
    /// Service with `externalIPs`) whose `port` or numeric `targetPort` is a well-known
    /// administration or data-store port: 22 (SSH), 2375 and 2376 (Docker API), 2379 and
    /// 2380 (etcd), 6443 (Kubernetes API), 10250 and 10255 (kubelet), 3306 (MySQL), 5432
    /// (PostgreSQL), 6379 (Redis), 27017 (MongoDB), 9200 (Elasticsearch), 11211
    /// (Memcached). A named `targetPort` is not resolved.
    ///
    /// ## Why it matters
    /// These services are the first thing Internet-wide scanners probe, and many of them
    /// ship without authentication (Redis, Memcached, Elasticsearch, the Docker API, the
    /// kubelet read-only port) or with a long history of credential stuffing (SSH,
    /// databases). An exposed etcd, Docker or kubelet API is direct control of the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   type: LoadBalancer
    ///   ports:
    ///   - port: 6379            # flagged
    /// ```
    ///
    /// ## How to fix
    /// Keep data stores and admin interfaces on `ClusterIP` Services; reach them from
    /// outside through a VPN, a bastion or `kubectl port-forward`. If they must be
    /// published, use an internal load balancer with `loadBalancerSourceRanges`.
    pub struct SensitivePort;
    id: "KW505",
    name: "sensitive-port-exposed",
    title: "Administration or data-store port exposed outside the cluster",
    severity: High,
    remediation: "Publish the port only on a ClusterIP Service, or behind an internal load balancer with loadBalancerSourceRanges.",
    frameworks: frameworks(
        None,
        &[nsa::NETWORK_SEPARATION],
        &[],
        &[mitre::EXTERNAL_REMOTE_SERVICES, mitre::NETWORK_DISCOVERY],
    ),
}

const SENSITIVE: &[(i64, &str)] = &[
    (22, "SSH"),
    (2375, "Docker API"),
    (2376, "Docker API over TLS"),
    (2379, "etcd client"),
    (2380, "etcd peer"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (6443, "Kubernetes API"),
    (9200, "Elasticsearch"),
    (10250, "kubelet API"),
    (10255, "kubelet read-only API"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
];

fn sensitive(
    n: Option<kubeward_yaml::NodeRef<'_>>,
) -> Option<(kubeward_yaml::NodeRef<'_>, i64, &'static str)> {
    let n = n?;
    let p = n.as_i64()?;
    SENSITIVE
        .iter()
        .find(|(port, _)| *port == p)
        .map(|(port, what)| (n, *port, *what))
}

impl Control for SensitivePort {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(svc) = service(t) else { return };
        let Some(how) = svc.exposure() else { return };
        let Some(ports) = svc.spec.get("ports").filter(|p| p.is_seq()) else {
            return;
        };
        let base = FieldPath::from("spec.ports");
        for (i, p) in ports.items().enumerate().filter(|(_, p)| p.is_map()) {
            let port = p.get("port");
            if let Some((n, num, what)) = sensitive(port) {
                cx.report(
                    n,
                    base.index(i).key("port"),
                    format!("port {num} ({what}) is exposed outside the cluster through {how}"),
                );
            } else if let Some((n, num, what)) = sensitive(p.get("targetPort")) {
                let via = port
                    .and_then(|n| n.as_i64())
                    .map(|p| format!(" as port {p}"))
                    .unwrap_or_default();
                cx.report(
                    n,
                    base.index(i).key("targetPort"),
                    format!(
                        "targetPort {num} ({what}) is exposed outside the cluster{via} through {how}"
                    ),
                );
            }
        }
    }
}
