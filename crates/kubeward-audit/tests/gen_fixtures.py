# Writes the audit fixtures (crates/kubeward-controls/fixtures/KW10xx/{pass,fail}.jsonl): audit
# events in the exact shape kube-apiserver v1.20 writes them (key order, \u0026 escapes, stages,
# 401s only at ResponseStarted), copied from a real log of the testkit's API server.
# Usage: python3 crates/kubeward-audit/tests/gen_fixtures.py crates/kubeward-controls/fixtures
import json, uuid, os, sys, random
random.seed(7)
OUT = sys.argv[1]
t0 = [0]
def ts():
    t0[0] += 1
    s = t0[0]
    return "2026-11-23T15:%02d:%02d.%06dZ" % (s // 60 % 60, s % 60, random.randint(0, 999999))
ADMIN = {"username": "admin", "uid": "uid-admin", "groups": ["system:masters", "system:authenticated"]}
DEV = {"username": "dev-user", "uid": "uid-dev-user", "groups": ["developers", "system:authenticated"]}
MALLORY = {"username": "mallory", "uid": "uid-mallory", "groups": ["system:authenticated"]}
ANON = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
KCM = {"username": "system:kube-controller-manager", "groups": ["system:authenticated"]}
NODE = {"username": "system:node:node-1", "groups": ["system:nodes", "system:authenticated"]}
SA = lambda ns, n: {"username": "system:serviceaccount:%s:%s" % (ns, n), "uid": str(uuid.UUID(int=random.getrandbits(128))), "groups": ["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"]}
KUBECTL = "kubectl/v1.20.2 (linux/amd64) kubernetes/faecb19"
def status(code):
    if code < 400: return {"metadata": {}, "code": code}
    reason = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 400: "BadRequest"}.get(code, "InternalError")
    return {"metadata": {}, "status": "Failure", "reason": reason, "code": code}
def ev(level, verb, uri, user, obj=None, code=200, req=None, resp=None, imp=None, stage="ResponseComplete", ip="10.0.0.5", ua=KUBECTL, reason=""):
    e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": str(uuid.UUID(int=random.getrandbits(128))),
         "stage": stage, "requestURI": uri, "verb": verb, "user": user}
    if imp: e["impersonatedUser"] = imp
    e["sourceIPs"] = [ip]
    e["userAgent"] = ua
    if obj: e["objectRef"] = obj
    e["responseStatus"] = status(code)
    if level in ("Request", "RequestResponse") and req is not None: e["requestObject"] = req
    if level == "RequestResponse" and resp is not None: e["responseObject"] = resp
    t = ts()
    e["requestReceivedTimestamp"] = t
    e["stageTimestamp"] = t
    if code != 401:
        e["annotations"] = {"authorization.k8s.io/decision": "allow" if code != 403 else "forbid", "authorization.k8s.io/reason": reason}
    # Go's encoder escapes these, as the API server's log shows (\u0026 in query strings).
    return json.dumps(e, separators=(",", ":")).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
def ref(resource, ns=None, name=None, group=None, version="v1", sub=None):
    o = {"resource": resource}
    if ns: o["namespace"] = ns
    if name: o["name"] = name
    if group: o["apiGroup"] = group
    o["apiVersion"] = version
    if sub: o["subresource"] = sub
    return o
LEVELS = ["Metadata", "Request", "RequestResponse"]
files = {}
def add(cid, kind, *lines):
    files.setdefault((cid, kind), []).extend(lines)
def c(text):  # a comment line (fixture harness blanks it)
    return "# " + text

# KW1001 anonymous allowed
for L in LEVELS:
    add("KW1001", "fail", c(L + ": anonymous list of secrets allowed"),
        ev(L, "list", "/api/v1/namespaces/default/secrets", ANON, ref("secrets", "default"), 200, reason='RBAC: allowed by ClusterRoleBinding "oops" of ClusterRole "view" to Group "system:unauthenticated"'),
        c(L + ": a user in group system:unauthenticated reading a configmap"),
        ev(L, "get", "/api/v1/namespaces/kube-system/configmaps/cluster-info", {"username": "system:anonymous", "groups": ["system:unauthenticated"]}, ref("configmaps", "kube-system", "cluster-info"), 200))
    add("KW1001", "pass", c(L + ": anonymous request denied"),
        ev(L, "list", "/api/v1/namespaces", ANON, ref("namespaces"), 403),
        c(L + ": public health and version endpoints"),
        ev(L, "get", "/version", ANON, None, 200, reason='RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"'),
        ev(L, "get", "/healthz", ANON, None, 200),
        ev(L, "get", "/readyz?verbose", ANON, None, 200),
        ev(L, "get", "/livez/ping", ANON, None, 200),
        c(L + ": authenticated user"),
        ev(L, "list", "/api/v1/namespaces/default/secrets", ADMIN, ref("secrets", "default"), 200))
add("KW1001", "pass", c("not the final stage: ResponseStarted of an allowed watch is judged at ResponseComplete"),
    ev("Metadata", "watch", "/api/v1/namespaces/default/pods?watch=true", ANON, ref("pods", "default"), 200, stage="ResponseStarted"),
    c("RequestReceived carries no response code"),
    ev("Metadata", "list", "/api/v1/pods", ANON, ref("pods"), 200, stage="RequestReceived").replace(',"responseStatus":{"metadata":{},"code":200}', ''))

# KW1002 exec/attach
for L in LEVELS:
    add("KW1002", "fail", c(L + ": exec allowed (101 Switching Protocols)"),
        ev(L, "create", "/api/v1/namespaces/prod/pods/web-0/exec?command=sh&container=web&stdin=true&stdout=true&tty=true", DEV, ref("pods", "prod", "web-0", sub="exec"), 101),
        c(L + ": attach with get, failed (no kubelet)"),
        ev(L, "get", "/api/v1/namespaces/prod/pods/web-0/attach?container=web&stdin=true", ADMIN, ref("pods", "prod", "web-0", sub="attach"), 404),
        c(L + ": exec denied by RBAC (reported one severity lower)"),
        ev(L, "create", "/api/v1/namespaces/kube-system/pods/etcd-0/exec?command=cat&command=%2Fetc%2Fshadow", MALLORY, ref("pods", "kube-system", "etcd-0", sub="exec"), 403))
    add("KW1002", "pass", c(L + ": pod reads and logs are not exec"),
        ev(L, "get", "/api/v1/namespaces/prod/pods/web-0", DEV, ref("pods", "prod", "web-0"), 200),
        ev(L, "get", "/api/v1/namespaces/prod/pods/web-0/log?container=web", DEV, ref("pods", "prod", "web-0", sub="log"), 200),
        c(L + ": an exec subresource of another resource is not a pod exec"),
        ev(L, "create", "/apis/example.com/v1/namespaces/prod/things/x/exec", DEV, ref("things", "prod", "x", group="example.com", sub="exec"), 200))

# KW1003 portforward
for L in LEVELS:
    add("KW1003", "fail", c(L + ": port-forward allowed"),
        ev(L, "create", "/api/v1/namespaces/db/pods/pg-0/portforward", DEV, ref("pods", "db", "pg-0", sub="portforward"), 101),
        c(L + ": port-forward with get, denied"),
        ev(L, "get", "/api/v1/namespaces/db/pods/pg-0/portforward", MALLORY, ref("pods", "db", "pg-0", sub="portforward"), 403))
    add("KW1003", "pass", c(L + ": service proxy is not a port-forward"),
        ev(L, "get", "/api/v1/namespaces/db/services/pg:5432/proxy/", DEV, ref("services", "db", "pg:5432", sub="proxy"), 200))

# KW1004 secrets
for L in LEVELS:
    add("KW1004", "fail", c(L + ": a person reads one secret"),
        ev(L, "get", "/api/v1/namespaces/prod/secrets/db-password", DEV, ref("secrets", "prod", "db-password"), 200),
        c(L + ": a workload service account lists all secrets"),
        ev(L, "list", "/api/v1/secrets?limit=500", SA("web", "default"), ref("secrets"), 200, ua="python-requests/2.31"),
        c(L + ": watch, denied (one severity lower)"),
        ev(L, "watch", "/api/v1/namespaces/kube-system/secrets?watch=true", MALLORY, ref("secrets", "kube-system"), 403),
        c(L + ": a system component impersonated by a person is not a system component"),
        ev(L, "get", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef", ADMIN, ref("secrets", "kube-system", "bootstrap-token-abcdef"), 200, imp={"username": "system:kube-controller-manager"}))
    add("KW1004", "pass", c(L + ": system components read secrets all the time"),
        ev(L, "get", "/api/v1/namespaces/prod/secrets/db-password", NODE, ref("secrets", "prod", "db-password"), 200, ua="kubelet/v1.20.2 (linux/amd64) kubernetes/faecb19"),
        ev(L, "list", "/api/v1/secrets?limit=500&resourceVersion=0", KCM, ref("secrets"), 200, ua="kube-controller-manager/v1.20.2 (linux/amd64) kubernetes/faecb19/shared-informers"),
        ev(L, "get", "/api/v1/namespaces/kube-system/secrets/x", SA("kube-system", "generic-garbage-collector"), ref("secrets", "kube-system", "x"), 200),
        c(L + ": writing a secret is not reading it; a configmap is not a secret"),
        ev(L, "create", "/api/v1/namespaces/prod/secrets", DEV, ref("secrets", "prod", "x"), 201),
        ev(L, "get", "/api/v1/namespaces/prod/configmaps/app", DEV, ref("configmaps", "prod", "app"), 200),
        c(L + ": a Secret of another API group is not a core secret"),
        ev(L, "get", "/apis/external-secrets.io/v1/namespaces/prod/secrets/x", DEV, ref("secrets", "prod", "x", group="external-secrets.io"), 200))

# KW1005 privileged workloads
priv_pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x", "namespace": "default", "creationTimestamp": None}, "spec": {"volumes": [{"name": "root", "hostPath": {"path": "/", "type": ""}}], "containers": [{"name": "c", "image": "alpine", "command": ["sleep", "1d"], "resources": {}, "volumeMounts": [{"name": "root", "mountPath": "/host"}], "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "Always", "securityContext": {"privileged": True}}], "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "hostNetwork": True, "hostPID": True, "securityContext": {}, "schedulerName": "default-scheduler", "enableServiceLinks": True}, "status": {}}
ds = {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": {"name": "agent", "namespace": "kube-system", "creationTimestamp": None}, "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"hostIPC": True, "containers": [{"name": "a", "image": "evil/agent:1", "resources": {}}]}}, "updateStrategy": {}}, "status": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}}
safe_pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "ok", "namespace": "default"}, "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": False}}]}}
for L in ["Request", "RequestResponse"]:
    add("KW1005", "fail", c(L + ": privileged pod with host namespaces and a hostPath of / (one finding per field)"),
        ev(L, "create", "/api/v1/namespaces/default/pods", MALLORY, ref("pods", "default", "x"), 201, req=priv_pod, resp=priv_pod),
        c(L + ": a DaemonSet sharing the host IPC namespace, denied (one severity lower)"),
        ev(L, "create", "/apis/apps/v1/namespaces/kube-system/daemonsets?fieldManager=kubectl-create", DEV, ref("daemonsets", "kube-system", "agent", group="apps"), 403, req=ds, resp=None))
add("KW1005", "fail", c("RequestResponse: a patch is judged on the stored object in the response"),
    ev("RequestResponse", "patch", "/api/v1/namespaces/default/pods/x", MALLORY, ref("pods", "default", "x"), 200, req={"spec": {"hostPID": True}}, resp=priv_pod))
for L in LEVELS:
    add("KW1005", "pass", c(L + ": a pod without privileges"),
        ev(L, "create", "/api/v1/namespaces/default/pods", DEV, ref("pods", "default", "ok"), 201, req=safe_pod, resp=safe_pod),
        c(L + ": pods the controllers create from templates (the template was judged)"),
        ev(L, "create", "/api/v1/namespaces/kube-system/pods", SA("kube-system", "daemon-set-controller"), ref("pods", "kube-system", "agent-x"), 201, req=priv_pod, resp=priv_pod))
add("KW1005", "pass", c("Metadata: the body is not logged, nothing to judge (the recommended policy logs it)"),
    ev("Metadata", "create", "/api/v1/namespaces/default/pods", MALLORY, ref("pods", "default", "x"), 201, req=priv_pod),
    c("Request: a patch body alone is not an object"),
    ev("Request", "patch", "/api/v1/namespaces/default/pods/x", MALLORY, ref("pods", "default", "x"), 200, req={"spec": {"hostPID": True}}),
    c("a status update is a subresource"),
    ev("RequestResponse", "update", "/api/v1/namespaces/default/pods/x/status", NODE, ref("pods", "default", "x", sub="status"), 200, req=priv_pod, resp=priv_pod))

# KW1006 RBAC
crb = {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "evil", "creationTimestamp": None}, "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "mallory"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}
wild = {"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "everything", "creationTimestamp": None}, "rules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]}
view = {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "pod-reader", "namespace": "prod", "creationTimestamp": None}, "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]}
for L in ["Request", "RequestResponse"]:
    add("KW1006", "fail", c(L + ": a binding to cluster-admin"),
        ev(L, "create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create", DEV, ref("clusterrolebindings", name="evil", group="rbac.authorization.k8s.io"), 201, req=crb, resp=crb),
        c(L + ": a wildcard ClusterRole, update denied"),
        ev(L, "update", "/apis/rbac.authorization.k8s.io/v1/clusterroles/everything", MALLORY, ref("clusterroles", name="everything", group="rbac.authorization.k8s.io"), 403, req=wild, resp=None))
add("KW1006", "fail", c("RequestResponse: a patch judged on the stored object"),
    ev("RequestResponse", "patch", "/apis/rbac.authorization.k8s.io/v1/clusterroles/everything", DEV, ref("clusterroles", name="everything", group="rbac.authorization.k8s.io"), 200, req={"rules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]}, resp=wild),
    c("Metadata: an RBAC change whose body was not logged (one severity lower, says so)"),
    ev("Metadata", "create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", DEV, ref("clusterrolebindings", name="evil", group="rbac.authorization.k8s.io"), 201, req=crb),
    c("Request: a patch without the stored object cannot be judged (one severity lower, says so)"),
    ev("Request", "patch", "/apis/rbac.authorization.k8s.io/v1/clusterroles/everything", DEV, ref("clusterroles", name="everything", group="rbac.authorization.k8s.io"), 200, req={"rules": []}))
for L in LEVELS:
    add("KW1006", "pass", c(L + ": the API server bootstraps its own roles and bindings"),
        ev(L, "create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {"username": "system:apiserver", "uid": "46915238-017a-4b03-9438-0422e31d34f5", "groups": ["system:masters"]}, ref("clusterrolebindings", name="cluster-admin", group="rbac.authorization.k8s.io"), 201, req=crb, resp=crb, ua="kube-apiserver/v1.20.2 (linux/amd64) kubernetes/faecb19"),
        c(L + ": reading RBAC is not changing it"),
        ev(L, "get", "/apis/rbac.authorization.k8s.io/v1/clusterroles/everything", DEV, ref("clusterroles", name="everything", group="rbac.authorization.k8s.io"), 200))
for L in ["Request", "RequestResponse"]:
    add("KW1006", "pass", c(L + ": a narrow Role"),
        ev(L, "create", "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles", DEV, ref("roles", "prod", "pod-reader", group="rbac.authorization.k8s.io"), 201, req=view, resp=view))

# KW1007 token requests
for L in LEVELS:
    tr = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "metadata": {"creationTimestamp": None}, "spec": {"audiences": None, "expirationSeconds": 3600, "boundObjectRef": None}, "status": {"token": "", "expirationTimestamp": None}}
    add("KW1007", "fail", c(L + ": kubectl create token"),
        ev(L, "create", "/api/v1/namespaces/kube-system/serviceaccounts/admin/token", DEV, ref("serviceaccounts", "kube-system", "admin", sub="token"), 201, req=tr),
        c(L + ": denied"),
        ev(L, "create", "/api/v1/namespaces/kube-system/serviceaccounts/admin/token", MALLORY, ref("serviceaccounts", "kube-system", "admin", sub="token"), 403, req=tr))
    add("KW1007", "pass", c(L + ": the kubelet requests tokens for its pods"),
        ev(L, "create", "/api/v1/namespaces/prod/serviceaccounts/default/token", NODE, ref("serviceaccounts", "prod", "default", sub="token"), 201, req=tr, ua="kubelet/v1.20.2 (linux/amd64) kubernetes/faecb19"),
        c(L + ": reading a service account is not requesting a token"),
        ev(L, "get", "/api/v1/namespaces/prod/serviceaccounts/default", DEV, ref("serviceaccounts", "prod", "default"), 200))

# KW1008 impersonation
for L in LEVELS:
    add("KW1008", "fail", c(L + ": impersonating a user and a group (kubectl --as --as-group)"),
        ev(L, "list", "/api/v1/namespaces/default/pods", {"username": "ci-bot", "groups": ["ci", "system:authenticated"]}, ref("pods", "default"), 200, imp={"username": "admin", "groups": ["system:masters"]}),
        c(L + ": impersonation denied"),
        ev(L, "get", "/api/v1/nodes", DEV, ref("nodes"), 403, imp={"username": "system:admin", "groups": ["system:authenticated"]}))
    add("KW1008", "pass", c(L + ": no impersonation"),
        ev(L, "list", "/api/v1/namespaces/default/pods", DEV, ref("pods", "default"), 200),
        c(L + ": the API server's own front proxy identity is a system component"),
        ev(L, "get", "/api/v1/namespaces/default/pods", {"username": "system:kube-controller-manager"}, ref("pods", "default"), 200, imp={"username": "system:serviceaccount:kube-system:x"}))

# KW1009 bursts: 10 failures in 60 s per user (default rule)
for i, L in enumerate(LEVELS):
    lines = [c(L + ": ten 403s for one user from one address within a minute (one burst per user, one per address)")]
    for k in range(10):
        lines.append(ev(L, "list", "/api/v1/namespaces/kube-system/%s" % ["secrets", "configmaps", "pods", "serviceaccounts", "roles"][k % 5], SA("web", "default"), ref(["secrets", "configmaps", "pods", "serviceaccounts", "roles"][k % 5], "kube-system"), 403, ip="10.0.3.%d" % (7 + i)))
    add("KW1009", "fail", *lines)
t0[0] += 600
lines = [c("Metadata: ten 401s (bad token) from one address: ResponseStarted is their only stage; no user")]
for k in range(10):
    lines.append(ev("Metadata", "list", "/api/v1/namespaces", {}, ref("namespaces"), 401, stage="ResponseStarted", ip="203.0.113.9", ua="curl/7.88.1"))
add("KW1009", "fail", *lines)
t0[0] += 600
lines = [c("nine 403s for one user within a minute: below the threshold")]
for k in range(9):
    lines.append(ev("Metadata", "get", "/api/v1/namespaces/prod/secrets/s%d" % k, DEV, ref("secrets", "prod", "s%d" % k), 403, ip="10.1.0.%d" % k))
t0[0] += 600
lines.append(c("twelve 403s, one every 10 s: never ten in a minute"))
for k in range(12):
    t0[0] += 9
    lines.append(ev("Request", "get", "/api/v1/namespaces/prod/pods/p%d" % k, MALLORY, ref("pods", "prod", "p%d" % k), 403, ip="10.2.0.%d" % k))
lines.append(c("system components failing at startup (RBAC not ready) are not counted"))
for k in range(12):
    lines.append(ev("RequestResponse", "list", "/api/v1/pods", KCM, ref("pods"), 403, ip="127.0.0.1"))
lines.append(c("ten 404s are not authorization failures"))
for k in range(10):
    lines.append(ev("Metadata", "get", "/api/v1/namespaces/prod/pods/gone", DEV, ref("pods", "prod", "gone"), 404, ip="10.3.0.1"))
add("KW1009", "pass", *lines)

# KW1010 webhooks
vwc = {"kind": "ValidatingWebhookConfiguration", "apiVersion": "admissionregistration.k8s.io/v1", "metadata": {"name": "kubeward", "creationTimestamp": None}, "webhooks": [{"name": "kubeward.example.com", "clientConfig": {"url": "https://203.0.113.9/validate"}, "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "*"}], "failurePolicy": "Ignore", "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}
for L in LEVELS:
    add("KW1010", "fail", c(L + ": a validating webhook deleted"),
        ev(L, "delete", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kubeward", MALLORY, ref("validatingwebhookconfigurations", name="kubeward", group="admissionregistration.k8s.io"), 200),
        c(L + ": a mutating webhook created"),
        ev(L, "create", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", DEV, ref("mutatingwebhookconfigurations", name="inject", group="admissionregistration.k8s.io"), 201, req=vwc, resp=vwc),
        c(L + ": a patch, denied"),
        ev(L, "patch", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kubeward", MALLORY, ref("validatingwebhookconfigurations", name="kubeward", group="admissionregistration.k8s.io"), 403, req={"webhooks": [{"name": "kubeward.example.com", "failurePolicy": "Ignore"}]}))
    add("KW1010", "pass", c(L + ": reading webhook configurations"),
        ev(L, "list", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", DEV, ref("validatingwebhookconfigurations", group="admissionregistration.k8s.io"), 200),
        c(L + ": a kube-system controller updating its caBundle"),
        ev(L, "update", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/inject", SA("kube-system", "ca-injector"), ref("mutatingwebhookconfigurations", name="inject", group="admissionregistration.k8s.io"), 200, req=vwc, resp=vwc))

# KW1011 nodes/proxy
for L in LEVELS:
    add("KW1011", "fail", c(L + ": running a command through the kubelet"),
        ev(L, "create", "/api/v1/nodes/node-1/proxy/run/kube-system/etcd-0/etcd?cmd=ls", SA("monitoring", "agent"), ref("nodes", name="node-1", sub="proxy"), 200, ua="Go-http-client/1.1"),
        c(L + ": a get through the proxy, not found"),
        ev(L, "get", "/api/v1/nodes/node-1/proxy/pods", DEV, ref("nodes", name="node-1", sub="proxy"), 404))
    add("KW1011", "pass", c(L + ": node metrics and stats are separate subresources"),
        ev(L, "get", "/api/v1/nodes/node-1/proxy/metrics", SA("kube-system", "metrics-server"), ref("nodes", name="node-1", sub="proxy"), 200),
        ev(L, "get", "/api/v1/nodes/node-1", DEV, ref("nodes", name="node-1"), 200))

# KW1012 CSR approval
for L in LEVELS:
    csr = {"kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1", "metadata": {"name": "mallory"}, "spec": {"request": "LS0tLS1CRUdJTi...", "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"], "username": "mallory", "groups": ["system:authenticated"]}, "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "KubectlApprove", "message": "This CSR was approved by kubectl certificate approve.", "lastUpdateTime": "2026-11-23T15:00:00Z", "lastTransitionTime": None}]}}
    add("KW1012", "fail", c(L + ": kubectl certificate approve"),
        ev(L, "update", "/apis/certificates.k8s.io/v1/certificatesigningrequests/mallory/approval", DEV, ref("certificatesigningrequests", name="mallory", group="certificates.k8s.io", sub="approval"), 200, req=csr, resp=csr),
        c(L + ": a patch of the approval, denied"),
        ev(L, "patch", "/apis/certificates.k8s.io/v1/certificatesigningrequests/mallory/approval", MALLORY, ref("certificatesigningrequests", name="mallory", group="certificates.k8s.io", sub="approval"), 403, req={"status": {"conditions": [{"type": "Approved", "status": "True"}]}}))
    add("KW1012", "pass", c(L + ": the controller manager approves kubelet certificates"),
        ev(L, "update", "/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-abcde/approval", SA("kube-system", "certificate-controller"), ref("certificatesigningrequests", name="csr-abcde", group="certificates.k8s.io", sub="approval"), 200, req=csr, resp=csr),
        c(L + ": creating a CSR is not approving it"),
        ev(L, "create", "/apis/certificates.k8s.io/v1/certificatesigningrequests", DEV, ref("certificatesigningrequests", name="mallory", group="certificates.k8s.io"), 201, req=csr, resp=csr))

# KW1013 events deleted
for L in LEVELS:
    add("KW1013", "fail", c(L + ": all events of a namespace deleted"),
        ev(L, "deletecollection", "/api/v1/namespaces/default/events", MALLORY, ref("events", "default"), 200),
        c(L + ": one event deleted through events.k8s.io, denied"),
        ev(L, "delete", "/apis/events.k8s.io/v1/namespaces/default/events/web-0.17a", DEV, ref("events", "default", "web-0.17a", group="events.k8s.io"), 403))
    add("KW1013", "pass", c(L + ": components write events"),
        ev(L, "create", "/api/v1/namespaces/default/events", KCM, ref("events", "default", "web-0.17a"), 201),
        ev(L, "patch", "/api/v1/namespaces/default/events/web-0.17a", NODE, ref("events", "default", "web-0.17a"), 200),
        c(L + ": reading events"),
        ev(L, "list", "/api/v1/namespaces/default/events", DEV, ref("events", "default"), 200),
        c(L + ": deleting a pod is not deleting events"),
        ev(L, "delete", "/api/v1/namespaces/default/pods/web-0", DEV, ref("pods", "default", "web-0"), 200))

for (cid, kind), lines in files.items():
    d = os.path.join(OUT, cid)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, kind + ".jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
print(len(files))
