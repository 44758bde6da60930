//! Structure-aware variant of `scan`, seeded with real manifests: a custom mutator parses
//! the input with kubeward-yaml, edits the object trees the way a misconfiguration would
//! (a security field set or removed, a key moved, a value of the wrong type, a credential in
//! an env value, another kind), and renders them back with kubeward-cluster's YAML renderer.
//! Inputs that do not parse fall back to libFuzzer's byte mutations. The target runs the
//! whole engine as `scan` does, and checks that the renderer round-trips: what
//! `render::to_yaml` writes reads back as the same JSON.
#![no_main]

use kubeward_fuzz::{d01_shape, scan::scan_and_check, text_of};
use kubeward_yaml::{parse_str, Limits};
use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};
use serde_json::{json, Map, Value};

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    if d01_shape(&text) {
        return;
    }
    scan_and_check(&text);
    round_trip(&text);
});

/// Every mapping document, rendered by `to_yaml` and read again, is the same JSON.
fn round_trip(text: &str) {
    let parsed = parse_str(text, &Limits::default());
    for doc in parsed.documents.iter().take(8) {
        if doc.node_count() > 5_000 {
            continue;
        }
        let value = doc.root().to_json();
        if !value.is_object() {
            continue;
        }
        let yaml = kubeward_cluster::render::to_yaml(&value);
        let again = parse_str(&yaml, &Limits::default());
        assert!(
            again.error.is_none(),
            "rendered YAML does not parse: {:?}\n{yaml}",
            again.error
        );
        assert_eq!(
            again.documents.len(),
            1,
            "rendered YAML is one document:\n{yaml}"
        );
        let back = again.documents[0].root().to_json();
        assert_eq!(back, value, "render::to_yaml round trip:\n{yaml}");
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &[
    "privileged",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "allowPrivilegeEscalation",
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "readOnlyRootFilesystem",
    "capabilities",
    "add",
    "drop",
    "seccompProfile",
    "type",
    "localhostProfile",
    "appArmorProfile",
    "seLinuxOptions",
    "procMount",
    "sysctls",
    "windowsOptions",
    "hostProcess",
    "securityContext",
    "hostPort",
    "containerPort",
    "ports",
    "env",
    "envFrom",
    "value",
    "valueFrom",
    "secretKeyRef",
    "name",
    "command",
    "args",
    "image",
    "imagePullPolicy",
    "automountServiceAccountToken",
    "serviceAccountName",
    "volumes",
    "hostPath",
    "path",
    "emptyDir",
    "sizeLimit",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "initContainers",
    "ephemeralContainers",
    "containers",
    "template",
    "spec",
    "metadata",
    "annotations",
    "labels",
    "namespace",
    "kubeward.io/ignore",
    "shareProcessNamespace",
    "nodeName",
    "rules",
    "verbs",
    "resources",
    "apiGroups",
    "subjects",
    "roleRef",
    "kind",
    "data",
    "stringData",
    "externalIPs",
    "loadBalancerSourceRanges",
    "nodePort",
    "tls",
    "ingress",
    "egress",
    "podSelector",
    "policyTypes",
    "webhooks",
    "failurePolicy",
    "timeoutSeconds",
    "sideEffects",
    "namespaceSelector",
    "matchLabels",
    "selector",
    "jobTemplate",
    "items",
    "readinessProbe",
    "livenessProbe",
    "httpGet",
    "host",
    "tcpSocket",
    "<<",
];

const KINDS: &[(&str, &str)] = &[
    ("v1", "Pod"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("v1", "List"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("extensions/v1beta1", "Deployment"),
    ("v1", "LimitRange"),
    ("v1", "ResourceQuota"),
];

fn scalar(rng: &mut Rng) -> Value {
    let strings = [
        "true",
        "ALL",
        "SYS_ADMIN",
        "NET_RAW",
        "Unconfined",
        "RuntimeDefault",
        "Localhost",
        "Unmasked",
        "*",
        "/",
        "/var/run/docker.sock",
        "/etc",
        "/proc",
        "kube-system",
        "default",
        "system:masters",
        "system:anonymous",
        "system:authenticated",
        "cluster-admin",
        "nginx:latest",
        "nginx",
        "registry.example.com/app@sha256:0",
        "Always",
        "Ignore",
        "Fail",
        "None",
        "Some",
        "LoadBalancer",
        "NodePort",
        "0.0.0.0/0",
        "secrets",
        "pods/exec",
        "create",
        "get",
        "escalate",
        "bind",
        "impersonate",
        "kwS3cr3tPw-Jk8Df2Gs6",
        "API_PASSWORD=kwS3cr3tEnv-Qa1Ws2",
        "--password=kwS3cr3tArg-9",
        "--anonymous-auth=true",
        "--profiling",
        "kube-apiserver",
        "kubelet",
        "KW101: accepted",
        "",
        "é",
        "\u{7}",
    ];
    match rng.below(8) {
        0 => Value::Bool(rng.below(2) == 0),
        1 => json!(rng.below(70_000) as i64 - 5),
        2 => json!(739184625501_i64),
        3 => Value::Null,
        4 => json!(1.5),
        _ => Value::String(rng.pick(&strings).to_string()),
    }
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    if depth > 3 {
        return scalar(rng);
    }
    match rng.below(6) {
        0 => {
            let mut m = Map::new();
            for _ in 0..1 + rng.below(3) {
                m.insert(rng.pick(KEYS).to_string(), value(rng, depth + 1));
            }
            Value::Object(m)
        }
        1 => Value::Array(
            (0..1 + rng.below(3))
                .map(|_| value(rng, depth + 1))
                .collect(),
        ),
        _ => scalar(rng),
    }
}

/// JSON pointers of every node of `v` (at most a few thousand).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    if out.len() > 4_000 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(c, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn mutate(rng: &mut Rng, docs: &mut Vec<Value>) {
    if docs.is_empty() || rng.below(10) == 0 {
        let (api, kind) = *rng.pick(KINDS);
        docs.push(json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}, "spec": value(rng, 0)}));
        return;
    }
    let d = rng.below(docs.len());
    let mut ptrs = Vec::new();
    pointers(&docs[d], String::new(), &mut ptrs);
    let target = rng.pick(&ptrs).clone();
    let op = rng.below(9);
    let donor = {
        let other = rng.pick(&ptrs).clone();
        docs[d].pointer(&other).cloned().unwrap_or(Value::Null)
    };
    let Some(node) = docs[d].pointer_mut(&target) else {
        return;
    };
    match (op, node) {
        (0 | 1, Value::Object(m)) => {
            m.insert(rng.pick(KEYS).to_string(), value(rng, 1));
        }
        (2, Value::Object(m)) if !m.is_empty() => {
            let k = m
                .keys()
                .nth(rng.below(m.len()))
                .cloned()
                .unwrap_or_default();
            m.remove(&k);
        }
        (3, Value::Array(a)) if !a.is_empty() => {
            let i = rng.below(a.len());
            let item = a[i].clone();
            a.insert(i, item);
        }
        (4, Value::Array(a)) if !a.is_empty() => {
            a.remove(rng.below(a.len()));
        }
        (5, Value::Object(m)) => {
            let (api, kind) = *rng.pick(KINDS);
            if m.contains_key("kind") {
                m.insert("apiVersion".into(), json!(api));
                m.insert("kind".into(), json!(kind));
            } else {
                m.insert(rng.pick(KEYS).to_string(), donor);
            }
        }
        (6, node) => *node = donor,
        (7, node) => *node = value(rng, 2),
        (_, node) => *node = scalar(rng),
    }
    if rng.below(16) == 0 && docs.len() > 1 {
        let i = rng.below(docs.len());
        docs.remove(i);
    }
}

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng(u64::from(seed) | 1 << 40);
    if rng.below(4) == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    let Ok(text) = std::str::from_utf8(&data[..size]) else {
        return fuzzer_mutate(data, size, max_size);
    };
    if d01_shape(text) {
        return fuzzer_mutate(data, size, max_size);
    }
    let parsed = parse_str(text, &Limits::default());
    if parsed
        .documents
        .iter()
        .map(|d| d.node_count())
        .sum::<usize>()
        > 20_000
    {
        return fuzzer_mutate(data, size, max_size);
    }
    let mut docs: Vec<Value> = parsed
        .documents
        .iter()
        .map(|d| d.root().to_json())
        .filter(|v| v.is_object())
        .collect();
    if docs.is_empty() && parsed.error.is_some() {
        return fuzzer_mutate(data, size, max_size);
    }
    for _ in 0..1 + rng.below(4) {
        mutate(&mut rng, &mut docs);
    }
    let out: Vec<String> = docs.iter().map(kubeward_cluster::render::to_yaml).collect();
    let out = out.join("---\n");
    if out.len() > max_size {
        return fuzzer_mutate(data, size, max_size);
    }
    data[..out.len()].copy_from_slice(out.as_bytes());
    out.len()
});
