//! How kubeward-netpol's Services pack ([`crate::pack`]): a scan keeps every Service until it
//! knows whether a NetworkPolicy needs the network model (the end of the scan); kept as the
//! network model's own values, 22,841 Services took 14 MB of the scan's peak, packed they
//! take a few. Each field in declaration order.

use std::sync::Arc;

use kubeward_netpol::model::{Loc, Service, ServicePort, ServiceType, TargetPort};
use kubeward_netpol::ranges::Ranges;
use kubeward_netpol::{IpSet, Protocol};

use crate::pack::{Pack, Reader, Writer};

impl Pack for Loc {
    fn pack(&self, w: &mut Writer<'_>) {
        w.file(&self.file);
        w.put(&self.pos);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        let file: Arc<str> = r.file()?;
        Some(Loc {
            file,
            pos: r.get()?,
        })
    }
}

const SERVICE_TYPES: [ServiceType; 4] = [
    ServiceType::ClusterIP,
    ServiceType::NodePort,
    ServiceType::LoadBalancer,
    ServiceType::ExternalName,
];

const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

impl Pack for u16 {
    fn pack(&self, w: &mut Writer<'_>) {
        w.u64(u64::from(*self));
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        u16::try_from(r.u64()?).ok()
    }
}

impl Pack for TargetPort {
    fn pack(&self, w: &mut Writer<'_>) {
        match self {
            TargetPort::Same => w.u64(0),
            TargetPort::Number(n) => {
                w.u64(1);
                w.put(n);
            }
            TargetPort::Named(s) => {
                w.u64(2);
                w.put(s);
            }
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        match r.u64()? {
            0 => Some(TargetPort::Same),
            1 => Some(TargetPort::Number(r.get()?)),
            2 => Some(TargetPort::Named(r.get()?)),
            _ => None,
        }
    }
}

impl Pack for ServicePort {
    fn pack(&self, w: &mut Writer<'_>) {
        w.put(&self.name);
        w.put(&self.port);
        w.put(&self.target);
        w.variant(&self.protocol, &PROTOCOLS);
        w.put(&self.node_port);
        w.put(&self.loc);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(ServicePort {
            name: r.get()?,
            port: r.get()?,
            target: r.get()?,
            protocol: r.variant(&PROTOCOLS)?,
            node_port: r.get()?,
            loc: r.get()?,
        })
    }
}

/// An address range bound as two varints (high and low halves).
fn put_u128(w: &mut Writer<'_>, v: u128) {
    w.u64((v >> 64) as u64);
    w.u64(v as u64);
}

fn get_u128(r: &mut Reader<'_>) -> Option<u128> {
    let hi = u128::from(r.u64()?);
    let lo = u128::from(r.u64()?);
    Some(hi << 64 | lo)
}

impl Pack for IpSet {
    fn pack(&self, w: &mut Writer<'_>) {
        let v4 = self.v4.ranges();
        w.u64(v4.len() as u64);
        for &(lo, hi) in v4 {
            w.u64(u64::from(lo));
            w.u64(u64::from(hi));
        }
        let v6 = self.v6.ranges();
        w.u64(v6.len() as u64);
        for &(lo, hi) in v6 {
            put_u128(w, lo);
            put_u128(w, hi);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        let n = usize::try_from(r.u64()?).ok()?;
        let mut v4 = Vec::new();
        for _ in 0..n {
            v4.push((r.u32()?, r.u32()?));
        }
        let n = usize::try_from(r.u64()?).ok()?;
        let mut v6 = Vec::new();
        for _ in 0..n {
            v6.push((get_u128(r)?, get_u128(r)?));
        }
        Some(IpSet {
            v4: Ranges::from_ranges(v4),
            v6: Ranges::from_ranges(v6),
        })
    }
}

impl Pack for Service {
    fn pack(&self, w: &mut Writer<'_>) {
        w.put(&self.namespace);
        w.put(&self.name);
        w.put(&self.loc);
        w.variant(&self.kind, &SERVICE_TYPES);
        w.put(&self.selector);
        w.put(&self.ports);
        w.put(&self.source_ranges);
        w.put(&self.has_source_ranges);
        w.put(&self.external_ips);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(Service {
            namespace: r.get()?,
            name: r.get()?,
            loc: r.get()?,
            kind: r.variant(&SERVICE_TYPES)?,
            selector: r.get()?,
            ports: r.get()?,
            source_ranges: r.get()?,
            has_source_ranges: r.get()?,
            external_ips: r.get()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::Packed;

    /// Every Service the network model reads comes back equal from its packed form.
    #[test]
    fn services_round_trip() {
        let text = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web, tier: front}
  loadBalancerSourceRanges: [203.0.113.0/24, "2001:db8::/32", 198.51.100.7/32]
  externalIPs: [192.0.2.10]
  ports:
  - {name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080}
  - {port: 53, targetPort: 5353, protocol: UDP}
  - {port: 9000, protocol: SCTP}
---
apiVersion: v1
kind: Service
metadata: {name: bare}
spec: {type: ExternalName}
---
apiVersion: v1
kind: Service
metadata: {name: nodes, namespace: shop}
spec: {type: NodePort, selector: {}}
"#;
        let file: Arc<str> = Arc::from("services.yaml");
        let model = kubeward_netpol::NetModel::in_namespace("team");
        let mut services = Vec::new();
        for doc in kubeward_yaml::parse_str(text, &Default::default()).documents {
            for item in kubeward_model::objects_in(&doc) {
                if let kubeward_model::Item::Object(o) = item {
                    services.extend(model.read_service(&o, &file));
                }
            }
        }
        assert_eq!(services.len(), 3);
        assert!(!services[0].source_ranges.is_empty());
        let packed: Packed<Service> = services.iter().cloned().collect();
        let back: Vec<Service> = packed.into_iter_decoded().collect();
        assert_eq!(format!("{back:?}"), format!("{services:?}"));
    }
}
