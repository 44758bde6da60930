//! The NetworkPolicy semantics, one rule of the Kubernetes API at a time, on small manifests.

use std::sync::Arc;

use kubeward_netpol::exposure::EntryKind;
use kubeward_netpol::{ConnSet, Endpoint, IpSet, NetModel, Network, Protocol};
use kubeward_yaml::{Limits, Problem};

fn net(yaml: &str) -> (Network, Vec<Problem>) {
    let mut m = NetModel::default();
    let problems = m.read_text(&Arc::from("t.yaml"), yaml, &Limits::default());
    (m.finish(), problems)
}

fn w(n: &Network, spec: &str) -> Endpoint {
    let found = n.find(spec);
    assert_eq!(found.len(), 1, "{spec}: {found:?}");
    Endpoint::Workload(found[0])
}

fn ext(ip: &str) -> Endpoint {
    Endpoint::External(IpSet::addr(ip.parse().unwrap()))
}

fn allowed(n: &Network, a: &Endpoint, b: &Endpoint) -> String {
    n.allowed(a, b).to_string()
}

const PODS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: shop}
spec:
  template:
    metadata: {labels: {app: front, tier: web}}
    spec:
      containers:
      - name: c
        ports:
        - {name: http, containerPort: 8080}
        - {name: dns, containerPort: 53, protocol: UDP}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: c
        ports:
        - {name: http, containerPort: 9090}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: probe, namespace: ops}
spec:
  template:
    metadata: {labels: {app: probe}}
    spec:
      containers: [{name: c}]
"#;

/// The 1-based line of `text` that holds `needle`.
fn line_in(text: &str, needle: &str) -> u32 {
    let i = text.lines().position(|l| l.contains(needle)).unwrap();
    i as u32 + 1
}

fn with(policies: &str) -> Network {
    let (n, problems) = net(&format!("{PODS}\n---\n{policies}"));
    assert!(problems.is_empty(), "{problems:?}");
    n
}

#[test]
fn unselected_pods_are_open_both_ways() {
    let n = with("");
    let all = "All Connections";
    assert_eq!(allowed(&n, &w(&n, "shop/front"), &w(&n, "shop/api")), all);
    assert_eq!(allowed(&n, &ext("203.0.113.9"), &w(&n, "shop/api")), all);
    assert_eq!(allowed(&n, &w(&n, "ops/probe"), &ext("8.8.8.8")), all);
}

#[test]
fn policies_add_up_and_ingress_without_rules_denies() {
    let n = with(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: front}}}]
    ports: [{port: 9090}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: front}}}]
    ports: [{port: 53, protocol: UDP}, {port: 100, endPort: 110, protocol: SCTP}]
"#,
    );
    let (front, api) = (w(&n, "shop/front"), w(&n, "shop/api"));
    assert_eq!(allowed(&n, &front, &api), "SCTP 100-110,TCP 9090,UDP 53");
    assert_eq!(allowed(&n, &api, &front), "No Connections");
    assert_eq!(allowed(&n, &w(&n, "ops/probe"), &api), "No Connections");
    // Egress was not isolated by any of them.
    assert_eq!(allowed(&n, &api, &ext("1.1.1.1")), "All Connections");
    let v = n.evaluate(&front, &api);
    assert_eq!(v.ingress.isolated_by.len(), 3);
    assert_eq!(v.ingress.rules.len(), 2);
    assert!(v.egress.isolated_by.is_empty());
}

#[test]
fn egress_and_ingress_must_both_allow() {
    let n = with(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: front}}
  egress:
  - to: [{podSelector: {}}]
    ports: [{port: 9000, endPort: 9095}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - ports: [{port: 9090}, {port: 9100}]
"#,
    );
    // No policyTypes: Egress is implied by the egress rules of "out", and Ingress too (so
    // front is isolated for ingress as well).
    let (front, api) = (w(&n, "shop/front"), w(&n, "shop/api"));
    assert_eq!(allowed(&n, &front, &api), "TCP 9090");
    assert_eq!(allowed(&n, &front, &ext("1.1.1.1")), "No Connections");
    assert_eq!(allowed(&n, &api, &front), "No Connections");
    // `from` missing: every source, external ones too.
    assert_eq!(allowed(&n, &ext("1.1.1.1"), &api), "TCP 9090,9100");
}

#[test]
fn namespace_and_pod_selectors_in_one_peer_or_in_two() {
    let n = with(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: and, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [ops]}]}
      podSelector: {matchLabels: {app: front}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: or, namespace: shop}
spec:
  podSelector: {matchLabels: {app: front}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}
    - podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [api]}]}
"#,
    );
    let (front, api, probe) = (w(&n, "shop/front"), w(&n, "shop/api"), w(&n, "ops/probe"));
    // "and": a pod labelled app=front in namespace ops; there is none.
    assert_eq!(allowed(&n, &front, &api), "No Connections");
    assert_eq!(allowed(&n, &probe, &api), "No Connections");
    // "or": every pod of ops, or pods of shop that are not app=api.
    assert_eq!(allowed(&n, &probe, &front), "All Connections");
    assert_eq!(allowed(&n, &api, &front), "No Connections");
    assert_eq!(allowed(&n, &ext("10.0.0.1"), &front), "No Connections");
}

#[test]
fn empty_peer_list_and_empty_rule_list() {
    let n = with(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: any, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: []
    ports: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: none, namespace: shop}
spec:
  podSelector: {matchLabels: {app: front}}
  policyTypes: [Ingress, Egress]
  ingress: []
  egress: []
"#,
    );
    let (front, api) = (w(&n, "shop/front"), w(&n, "shop/api"));
    assert_eq!(allowed(&n, &w(&n, "ops/probe"), &api), "All Connections");
    assert_eq!(allowed(&n, &ext("192.0.2.1"), &api), "All Connections");
    assert_eq!(allowed(&n, &api, &front), "No Connections");
    assert_eq!(allowed(&n, &front, &api), "No Connections");
}

#[test]
fn ip_blocks_with_except_match_only_external_addresses() {
    let n = with(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ips, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.10.0.0/16]}
    - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:bad::/48"]}
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 443}]
"#,
    );
    let api = w(&n, "shop/api");
    assert_eq!(allowed(&n, &ext("10.1.2.3"), &api), "All Connections");
    assert_eq!(allowed(&n, &ext("10.10.2.3"), &api), "No Connections");
    assert_eq!(allowed(&n, &ext("11.0.0.1"), &api), "No Connections");
    assert_eq!(allowed(&n, &ext("2001:db8:1::1"), &api), "All Connections");
    assert_eq!(allowed(&n, &ext("2001:db8:bad::1"), &api), "No Connections");
    // Pods' addresses are unknown: an ipBlock never selects a pod, even 0.0.0.0/0.
    assert_eq!(allowed(&n, &w(&n, "shop/front"), &api), "No Connections");
    assert_eq!(allowed(&n, &api, &w(&n, "shop/front")), "No Connections");
    assert_eq!(allowed(&n, &api, &ext("8.8.8.8")), "TCP 443");
    // The external ranges of the connection list: IPv6 appears because a rule names it.
    let lines: Vec<String> = n.connections().iter().map(|c| c.to_string()).collect();
    assert!(
        lines.contains(
            &"10.0.0.0-10.9.255.255[External] => shop/api[Deployment] : All Connections"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2001:db8::-2001:db8:bad:ffff")
                || l.starts_with(
                    "2001:db8::-2001:db8:bac:ffff:ffff:ffff:ffff:ffff[External] => shop/api"
                )),
        "{lines:#?}"
    );
}

#[test]
fn named_ports_resolve_on_each_destination() {
    let n = with(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: named, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: http}, {port: dns, protocol: UDP}, {port: dns}]
"#,
    );
    let (front, api) = (w(&n, "shop/front"), w(&n, "shop/api"));
    // front: http is 8080/TCP, dns is 53/UDP (TCP "dns" does not match a UDP port).
    assert_eq!(allowed(&n, &api, &front), "TCP 8080,UDP 53");
    // api: http is 9090, no dns.
    assert_eq!(allowed(&n, &front, &api), "TCP 9090");
}

#[test]
fn pods_of_one_controller_are_one_workload() {
    let (n, problems) = net(r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-abc12
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, controller: true}]
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-def34
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, controller: true}]
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: lone}
spec: {containers: [{name: c}]}
"#);
    assert!(problems.is_empty(), "{problems:?}");
    let names: Vec<String> = n.workloads().iter().map(|w| w.display()).collect();
    assert_eq!(names, ["default/web-5d4f[ReplicaSet]", "default/lone[Pod]"]);
}

const BAD: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector:
        matchExpressions: [{key: app, operator: Equals, values: [front]}]
  - from: [{ipBlock: {cidr: 10.0.0.300/8}}]
  - ports: [{port: 70000}]
  - ports: [{port: nosuchport}]
"#;

#[test]
fn bad_input_is_located_and_never_opens_more() {
    let text = format!("{PODS}\n---\n{BAD}");
    let (n, problems) = net(&text);
    let msgs: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.pos, p.message))
        .collect();
    assert_eq!(problems.len(), 3, "{msgs:#?}");
    assert!(msgs[0].contains("operator"), "{msgs:#?}");
    assert!(
        msgs[1].contains("cidr") && !msgs[1].contains("10.0.0.300"),
        "{msgs:#?}"
    );
    assert!(msgs[2].contains("port number from 1 to 65535"), "{msgs:#?}");
    // The line and column point at the field.
    assert_eq!(
        problems[0].pos.line,
        line_in(&text, "operator: Equals"),
        "{msgs:#?}"
    );
    // The unknown named port is found once every workload is known.
    assert_eq!(n.problems().len(), 1);
    assert!(n.problems()[0].1.contains("no container"));
    // Nothing is let in by the broken rules.
    assert_eq!(
        allowed(&n, &w(&n, "shop/front"), &w(&n, "shop/api")),
        "No Connections"
    );
    assert_eq!(
        allowed(&n, &ext("10.0.0.1"), &w(&n, "shop/api")),
        "No Connections"
    );
}

const EXPOSED: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: front-lb, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: front}
  loadBalancerSourceRanges: [203.0.113.0/24]
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: web, port: 80, targetPort: 9090}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: shop}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: api, port: {name: web}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front, namespace: shop}
spec:
  podSelector: {matchLabels: {app: front}}
  ingress:
  - from: [{ipBlock: {cidr: 203.0.113.0/25}}]
    ports: [{port: 8080}]
"#;

#[test]
fn exposure_through_load_balancer_and_ingress() {
    let n = with(EXPOSED);
    let ex = n.exposure();
    let front = ex
        .iter()
        .find(|e| e.name == "shop/front[Deployment]")
        .unwrap();
    assert_eq!(front.entry_points.len(), 1);
    let lb = &front.entry_points[0];
    assert_eq!(lb.kind, EntryKind::LoadBalancer);
    assert_eq!(lb.ports, ConnSet::port(Protocol::Tcp, 8080));
    assert_eq!(lb.allowed, ConnSet::port(Protocol::Tcp, 8080));
    assert_eq!(lb.sources, "203.0.113.0-203.0.113.255");
    assert!(front.exposed);
    assert_eq!(front.from_pods, ConnSet::none());
    let api = ex
        .iter()
        .find(|e| e.name == "shop/api[Deployment]")
        .unwrap();
    assert_eq!(api.entry_points.len(), 1);
    assert_eq!(api.entry_points[0].ports.to_string(), "TCP 9090");
    let text = format!("{PODS}\n---\n{EXPOSED}");
    assert_eq!(
        api.entry_points[0].loc.pos.line,
        line_in(&text, "kind: Ingress") - 1
    );
    assert_eq!(api.from_pods, ConnSet::all());
    let probe = ex
        .iter()
        .find(|e| e.name == "ops/probe[Deployment]")
        .unwrap();
    assert!(!probe.exposed && probe.entry_points.is_empty());
}
