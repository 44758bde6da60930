//! Pod-bearing objects to [`Workload`] facts: labels, container ports, host networking and the
//! service account of the pod template (or of the Pod), and for Pods the controller that owns
//! them, by which they are grouped.

use std::sync::Arc;

use kubeward_model::{labels, Object};
use kubeward_yaml::{NodeRef, Problem};

use crate::fields::{child, expected, list, port_number, protocol, valid_port_name};
use crate::model::{ContainerPort, Loc, Workload};

/// The controller of a Pod (`ownerReferences` item with `controller: true`), when it is not a
/// Node (mirror pods of static pods stay on their own, as netpol-analyzer keeps them).
pub struct Owner<'a> {
    pub kind: &'a str,
    pub name: &'a str,
}

/// The owner of a Pod object, if any.
pub fn owner<'a>(o: &Object<'a>) -> Option<Owner<'a>> {
    let refs = o.metadata()?.get("ownerReferences")?;
    let r = refs
        .items()
        .find(|r| r.get("controller").and_then(|c| c.as_bool()) == Some(true))?;
    let kind = r.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let name = r
        .get("name")
        .and_then(|k| k.as_str())
        .filter(|n| !n.is_empty())?;
    (kind != "Node").then_some(Owner { kind, name })
}

/// Reads a pod-bearing object (any kind `Object::pod` knows, or a KubeVirt VirtualMachine).
/// `None` for other kinds.
pub fn read(
    o: &Object<'_>,
    namespace: &str,
    file: &Arc<str>,
    problems: &mut Vec<Problem>,
) -> Option<Workload> {
    let loc = Loc {
        file: file.clone(),
        pos: o.root.pos(),
    };
    if o.group() == "kubevirt.io" && o.kind == "VirtualMachine" {
        let meta = o.root.get_path(&["spec", "template", "metadata"]);
        return Some(Workload {
            namespace: namespace.to_string(),
            name: o.name.to_string(),
            kind: o.kind.to_string(),
            labels: labels(meta.and_then(|m| m.get("labels")).filter(|l| l.is_map())),
            ports: Vec::new(),
            host_network: false,
            host_ports: Vec::new(),
            service_account: "default".into(),
            virtual_machine: true,
            loc,
        });
    }
    if o.kind == "PodTemplate" {
        return None;
    }
    let pod = o.pod()?;
    let mut w = Workload {
        namespace: namespace.to_string(),
        name: o.name.to_string(),
        kind: o.kind.to_string(),
        labels: labels(
            pod.meta
                .and_then(|m| m.get("labels"))
                .filter(|l| l.is_map()),
        ),
        ports: Vec::new(),
        host_network: pod.field("hostNetwork").and_then(|h| h.as_bool()) == Some(true),
        host_ports: Vec::new(),
        service_account: pod
            .field("serviceAccountName")
            .or_else(|| pod.field("serviceAccount"))
            .and_then(|s| s.as_str())
            .unwrap_or("default")
            .to_string(),
        virtual_machine: false,
        loc,
    };
    // Only regular containers serve traffic: init containers have exited, and ephemeral
    // containers cannot declare ports.
    for c in pod
        .containers()
        .filter(|c| c.kind == kubeward_model::ContainerKind::Container)
    {
        let base = c.path.to_string();
        for (i, p) in list(c.node, "ports", &format!("{base}.ports"), problems)
            .into_iter()
            .enumerate()
        {
            read_port(p, &format!("{base}.ports[{i}]"), &mut w, problems);
        }
    }
    Some(w)
}

fn read_port(p: NodeRef<'_>, field: &str, w: &mut Workload, problems: &mut Vec<Problem>) {
    if !p.is_map() {
        problems.push(expected(p, field, "a mapping"));
        return;
    }
    let Some(proto) = protocol(p, field, problems) else {
        return;
    };
    if let Some(h) = child(p, "hostPort") {
        if let Some(n) = port_number(h, &format!("{field}.hostPort"), problems) {
            w.host_ports.push((n, proto));
        }
    }
    let Some(cp) = child(p, "containerPort") else {
        problems.push(Problem {
            pos: p.value_pos(),
            message: format!("`{field}.containerPort` is required"),
        });
        return;
    };
    let Some(port) = port_number(cp, &format!("{field}.containerPort"), problems) else {
        return;
    };
    let name = match child(p, "name") {
        None => None,
        Some(n) => match n.as_str() {
            Some(s) if valid_port_name(s) => Some(s.into()),
            _ => {
                problems.push(Problem {
                    pos: n.pos(),
                    message: format!(
                        "`{field}.name` must be a port name (up to 15 lowercase letters, digits and hyphens, with a letter)"
                    ),
                });
                None
            }
        },
    };
    w.ports.push(ContainerPort {
        name,
        port,
        protocol: proto,
    });
}
