#!/usr/bin/env python3
"""Write the raw seeds of every fuzz target into OUT/<target>/ (default /tmp/kubeward-fuzz-seeds).

Sources (see README.md for licences): ../shared/corpus (real manifests), ../shared/psa-fixtures
(upstream PSA test pods), ../shared/hostile-inputs (the defects of issue 13), the repo's own test
data (crates/*/fixtures, examples/, the node tests' command lines), and small hand-made seeds
below. The committed corpora are these seeds minimised with `cargo fuzz cmin` (README.md).

Usage: python3 fuzz/make-seeds.py [OUT]   (from the repository root)
"""

import glob
import gzip
import hashlib
import json
import os
import random
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/kubeward-fuzz-seeds"
MAX = 64 * 1024  # larger files slow every execution; big-input cases have their own tests
random.seed(13)


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files(pattern, limit=None, seed_sample=True):
    paths = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    paths = [p for p in paths if os.path.getsize(p) <= MAX]
    if limit and len(paths) > limit:
        paths = sorted(random.sample(paths, limit)) if seed_sample else paths[:limit]
    return paths


# --- manifests -------------------------------------------------------------------------
CANARY_ENV = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod, annotations: {kubeward.io/ignore: "KW102: accepted"}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: ["--password=kwS3cr3tArg-Zx81", "--db-pass", "kwS3cr3tArg-Yw72"]
        securityContext: {privileged: true, runAsUser: 0}
        env:
        - name: DB_PASSWORD
          value: kwS3cr3tPw-Jk8Df2Gs6Lq0
        - name: PIN_PASSWORD
          value: 739184625501
        - "API_PASSWORD=kwS3cr3tEnv-Qa1Ws2Ed3"
        - name: TOKEN
          value: [kwS3cr3tList-1]
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: kwS3cr3tData-Pq9, pin: 739184625501}
data: {token: a3dTM2NyM3RCYXNlNjQ=}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {DB_PASSWORD: kwS3cr3tCm-77, port: 5432}
"""
ANCHORS = """apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  securityContext: &sc {runAsNonRoot: true}
  containers:
  - &c {name: a, image: "x:1", securityContext: *sc}
  - <<: *c
    name: b
"""
KEYS_1K = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k}\ndata:\n" + "".join(
    f"  k{i}: v\n" for i in range(1000)
) + "  k7: dup\n"

manifests = []
for p in files(f"{SHARED}/corpus/**/*.y*ml", 160):
    manifests.append(read(p))
for p in files(f"{SHARED}/psa-fixtures/*/v1.37/*/*.yaml", 80):
    manifests.append(read(p))
for p in files(f"{SHARED}/psa-fixtures/*/v1.[0-9]/*/*.yaml", 20):
    manifests.append(read(p))
for p in files(f"{ROOT}/crates/kubeward-controls/fixtures/KW[1-9]??/*.yaml"):
    manifests.append(read(p))
for p in files(f"{ROOT}/examples/**/*.yaml"):
    manifests.append(read(p))
hostile = []
for d in ["D01", "D02", "D05", "D06", "D07", "D09", "D10"]:
    for p in files(f"{SHARED}/hostile-inputs/{d}-*/**/*"):
        if not p.endswith((".md", ".sh", ".py", ".log", ".gz")):
            hostile.append(read(p))
small = [CANARY_ENV, ANCHORS, KEYS_1K, "", "---\n", "...\n", "%YAML 1.2\n---\na: 1\n",
         "a: !!binary aGk=\n", "[1, {a: b}]\n", "a:\n  b:\n    c: [\n    ]\n"]
for m in manifests + hostile + small:
    put("yaml", m)
    put("scan", m)
    put("scan_structured", m)

# --- admission reviews ------------------------------------------------------------------
def review(obj, op="CREATE", ns="team-a", sub=None, old=None, user="alice"):
    kind = obj.get("kind", "") if isinstance(obj, dict) else ""
    req = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": kind.lower() + "s"},
        "namespace": ns,
        "name": "x",
        "operation": op,
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": old,
        "dryRun": False,
    }
    if sub:
        req["subResource"] = sub
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})


objs = []
for m in manifests[:200] + [CANARY_ENV.encode()]:
    try:
        for doc in yaml.safe_load_all(m):
            if isinstance(doc, dict) and "kind" in doc:
                objs.append(doc)
    except Exception:
        pass
random.shuffle(objs)
for i, o in enumerate(objs[:150]):
    ns = ["team-a", "lax", "odd", "kube-system", ""][i % 5]
    put("admission", review(o, ns=ns))
pod = next(o for o in objs if o.get("kind") == "Pod")
put("admission", review(pod, op="UPDATE", old=pod))
put("admission", review(pod, op="UPDATE", sub="ephemeralcontainers", old=pod))
put("admission", review(pod, op="DELETE"))
put("admission", review(pod, user="system:admin"))
put("admission", review({**pod, "spec": {**pod.get("spec", {}), "runtimeClassName": "kata"}}))
put("admission", review(None))
put("admission", review("not an object"))
put("admission", '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}')
put("admission", '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","dryRun":"kwS3cr3tDry"}}')
for p in files(f"{SHARED}/hostile-inputs/D09-*/*.json"):
    put("admission", review(json.loads(read(p))))
    put("admission", b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","namespace":"team-a","object":' + read(p) + b"}}")
keys = {f"k{i}": "v" for i in range(500)}
put("admission", review({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "k"}, "data": keys}))

# --- audit lines ------------------------------------------------------------------------
for p in files(f"{ROOT}/crates/kubeward-controls/fixtures/KW10??/*.jsonl"):
    put("audit", read(p))
put("audit", read(f"{SHARED}/hostile-inputs/D02-secret-leak-in-error-messages/audit-leak.log"))
try:
    with gzip.open(f"{SHARED}/hostile-inputs/D12-truncated-gzip-loses-last-chunk/trunc-0.1.gz") as f:
        head = f.read(200_000)
except (EOFError, OSError):
    head = b""
lines = head.split(b"\n")[:-1]
for i in range(0, min(len(lines), 400), 20):
    put("audit", b"\n".join(lines[i:i + 20]) + b"\n")
put("audit", b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","responseStatus":{"code":"kwS3cr3tCode"}}\n')
put("audit", b"\xff\xfe not utf-8\r\n{\"kind\":\"Event\"")

# --- kubeconfig -------------------------------------------------------------------------
KUBECONFIG = """apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENCK3dJSkFLSEhJRzEKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    tls-server-name: kubernetes
- name: plain
  cluster: {server: "http://localhost:8080", insecure-skip-tls-verify: true}
users:
- name: dev
  user: {token: kwS3cr3tToken-abc123}
- name: basic
  user: {username: admin, password: kwS3cr3tPass-9}
- name: cert
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
    client-key-data: a3dTM2NyM3RLZXk=
contexts:
- name: dev
  context: {cluster: dev, user: dev, namespace: team-a}
- name: basic
  context: {cluster: plain, user: basic}
- name: cert
  context: {cluster: dev, user: cert}
- name: dangling
  context: {cluster: nowhere, user: nobody}
"""
put("kubeconfig", KUBECONFIG)
put("kubeconfig", KUBECONFIG.replace("current-context: dev\n", ""))
put("kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
put("kubeconfig", KUBECONFIG + "---\napiVersion: v1\nkind: Config\ncurrent-context: basic\n")
put("kubeconfig", json.dumps(yaml.safe_load(KUBECONFIG)))

# --- config files -----------------------------------------------------------------------
KUBEWARD_YAML = """failOn: high
frameworks: [nsa, cis, pss-restricted]
pssVersion: v1.30
controls:
  enable: [KW101, privileged-container, KW401]
  disable: [KW301]
severity: {KW101: low, KW205: critical}
allowedRegistries: [registry.example.com]
requireImagePullAlways: true
exclude:
- paths: ["deploy/**", "*.yaml"]
  namespaces: [kube-*]
  kinds: [Deployment]
  names: ["web-{a,b}"]
  controls: [KW101]
  reason: accepted by the platform team
  expires: 2030-01-31
- reason: old
  expires: 2020-02-30
audit:
  authFailures: {threshold: 5, window: 90s}
  trustedUsers: ["system:kube-*", "ci-[a-z]*"]
"""
put("config", KUBEWARD_YAML)
put("config", "audit:\n  authFailures: {threshold: 0, window: 18446744073709551615h}\n")
put("config", "exclude:\n- {reason: x, paths: ['[']}\n")
put("config", "failOn: kwS3cr3t\nframeworks: banana\n")
WEBHOOK_YAML = """defaults: {enforce: baseline, warn: restricted, audit: all}
allMinSeverity: medium
pssVersion: latest
exemptions: {namespaces: [kube-system], usernames: ["system:admin"], runtimeClasses: [kata]}
onError: allow
controls: {enable: [], disable: [KW301]}
severity: {KW101: low}
allowedRegistries: [ghcr.io/acme]
requireImagePullAlways: false
namespaces:
  team-a: {kubeward.io/enforce: restricted, other/label: x}
"""
put("config", WEBHOOK_YAML)
put("config", "defaults: {enforce: nope}\nonError: maybe\nunknown: 1\n")
for p in files(f"{ROOT}/docs/**/*.yaml") + files(f"{ROOT}/deploy/**/*.yaml"):
    put("config", read(p))

# --- RBAC -------------------------------------------------------------------------------
rbac_docs = []
for p in files(f"{ROOT}/crates/kubeward-rbac/fixtures/**/*.yaml"):
    rbac_docs.append(read(p))
for p in files(f"{ROOT}/crates/kubeward-controls/fixtures/KW[56]??/*.yaml"):
    rbac_docs.append(read(p))
for p in files(f"{SHARED}/corpus/**/*.y*ml"):
    b = read(p)
    if b"rbac.authorization.k8s.io" in b and len(b) < 16_000:
        rbac_docs.append(b)
rbac_docs = rbac_docs[:120]
subjects = ["User:alice", "Group:system:authenticated", "ServiceAccount:kube-system:default",
            "sa:ci/deployer", "system:serviceaccount:team-a:builder", "u:system:serviceaccount:a:b",
            "User:", "bogus", "g:devs"]
requests = ["get secrets", "create pods/exec", "get /metrics", "list deployments.apps", "create deploy x team-a",
            "escalate clusterroles.rbac.authorization.k8s.io", "impersonate users", "get po/log name ns",
            "* *", "get widgets.example.com/status", "update csr/approval"]
for i, doc in enumerate(rbac_docs):
    put("rbac_subject", subjects[i % len(subjects)].encode() + b"\nUser alice default extra-group\n" + doc)
    put("rbac_resource", requests[i % len(requests)].encode() + b"\n" + doc)

# --- node flags -------------------------------------------------------------------------
KUBELET_CONFIG = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
authorization: {mode: AlwaysAllow}
readOnlyPort: 10255
featureGates: {RotateKubeletServerCertificate: false, SeccompDefault: true}
tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
podPidsLimit: "4096"
streamingConnectionIdleTimeout: 0s
"""
lines_ = [
    "/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml --anonymous-auth --feature-gates=A=true,B=false --feature-gates B=true",
    "hyperkube kubelet --config /var/lib/kubelet/config.yaml --read-only-port 0 -- --profiling=false",
    "kube-apiserver --anonymous-auth=false --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,AlwaysPullImages --profiling false --tls-cipher-suites=A,B --audit-log-maxage=30",
    "kube-controller-manager --bind-address=0.0.0.0 --profiling --terminated-pod-gc-threshold=10 --use_service_account_credentials=true",
    "kube-scheduler -profiling=false --bind-address 127.0.0.1:10259",
    "etcd --client-cert-auth=true --auto-tls --peer-auto-tls=false --cert-file= --key-file",
    "kube-proxy --config=/var/lib/kubelet/config.yaml --metrics-bind-address=0.0.0.0:10249",
    "hyperkube apiserver --insecure-port=0 --",
]
for line in lines_:
    put("node_flags", line + "\n" + KUBELET_CONFIG)
    put("node_flags", line + "\n")
put("node_flags", lines_[0] + "\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\n")
put("node_flags", lines_[0] + "\n[not, a, mapping]\n")
put("node_flags", lines_[0] + "\nkind: Other\n")
for p in files(f"{ROOT}/crates/kubeward-controls/fixtures/KW92?/*.yaml"):
    try:
        for doc in yaml.safe_load_all(read(p)):
            for c in ((doc or {}).get("spec") or {}).get("containers", []):
                words = (c.get("command") or []) + (c.get("args") or [])
                if words:
                    put("node_flags", " ".join(str(w) for w in words) + "\n" + KUBELET_CONFIG)
    except Exception:
        pass

# --- images and vulnerability data (kubeward-image, kubeward-vulndb) ---------------------
# versions: two versions separated by NUL, from OSV's ordering fixtures (tests/data/versions).
VDIR = f"{ROOT}/crates/kubeward-vulndb/tests/data/versions"
for p in files(f"{VDIR}/*-versions.txt"):
    pairs = []
    for line in read(p).decode("utf-8", "replace").splitlines():
        for op in (" < ", " = ", " > "):
            if op in line:
                a, b = line.split(op, 1)
                pairs.append((a.strip(), b.strip()))
                break
    for a, b in pairs[:: max(1, len(pairs) // 40)]:
        put("versions", f"{a}\0{b}")
# osv: a format byte (even: JSON, odd: YAML) and a record.
for p in files(f"{ROOT}/crates/kubeward-vulndb/tests/data/osv/**/*.json") + files(
    f"{ROOT}/crates/kubeward-image/tests/data/osv/*.json"
):
    data = read(p)
    put("osv", b"\x00" + data)
    try:
        put("osv", b"\x01" + yaml.safe_dump(json.loads(data)).encode())
    except Exception:
        pass
# image_metadata: a byte choosing the file (0xff: an SBOM; else the index into PATHS of
# fuzz_targets/image_metadata.rs) and its content.
for p in files(f"{ROOT}/crates/kubeward-image/tests/data/sbom/*.json"):
    put("image_metadata", b"\xff" + read(p))
for p in files(f"{ROOT}/crates/kubeward-image/tests/data/apk/*.installed"):
    put("image_metadata", b"\x02" + read(p))
if os.path.isfile("/var/lib/dpkg/status"):
    status = read("/var/lib/dpkg/status")
    put("image_metadata", b"\x00" + status[: MAX - 1].rsplit(b"\n\n", 1)[0] + b"\n")
put("image_metadata", b"\x01Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\nSource: base-files (12.4)\n")
put("image_metadata", b"\x04PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
put("image_metadata", b"\x05Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\nLicense: BSD\nClassifier: License :: OSI Approved :: BSD License\n\nbody\n")
put("image_metadata", b"\x06Metadata-Version: 1.0\nName: six\nVersion: 1.16.0\nLicense-Expression: MIT\n")
put("image_metadata", b'\x07{"name": "@scope/pkg", "version": "1.2.3", "license": "(MIT OR Apache-2.0)"}')
import io
import zipfile

_jar = io.BytesIO()
with zipfile.ZipFile(_jar, "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: app\r\nImplementation-Version: 1.0\r\n")
    z.writestr("META-INF/maven/org.example/app/pom.properties", "groupId=org.example\nartifactId=app\nversion=1.0\n")
    _inner = io.BytesIO()
    with zipfile.ZipFile(_inner, "w") as zi:
        zi.writestr("META-INF/maven/org.apache.commons/commons-lang3/pom.properties", "groupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.12.0\n")
    z.writestr("BOOT-INF/lib/commons-lang3-3.12.0.jar", _inner.getvalue())
put("image_metadata", b"\x09" + _jar.getvalue())
put("image_metadata", b"\x0aFormat: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n")

for t in sorted(os.listdir(OUT)):
    n = len(os.listdir(os.path.join(OUT, t)))
    print(f"{t}: {n} seeds")
