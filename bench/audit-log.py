#!/usr/bin/env python3
"""Generate a realistic Kubernetes audit log (audit.k8s.io/v1 Event JSON lines) of about SIZE
megabytes, deterministically, for `kubeward audit` benchmarks (BENCHMARKS.md).

The mix follows a real API server's log under the policy `kubeward audit policy` prints
(event shapes copied from kube-apiserver v1.20's own log): mostly Kubernetes' components
(controller manager and scheduler reads, lease and status updates, kubelets' node status
patches and token requests, watches with ResponseStarted + ResponseComplete stages), people
and CI with kubectl (gets, lists, applies of Deployments logged at Request level with their
body, RBAC changes at RequestResponse), some 403s, and a few attacks (exec, secret reads,
cluster-admin bindings, privileged pods) so that the detections have work to do.

usage: audit-log.py SIZE_MB > audit.log
"""
import json
import random
import sys

rnd = random.Random(42)
KUBECTL = "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625"
KCM = {"username": "system:kube-controller-manager", "groups": ["system:authenticated"]}
SCHED = {"username": "system:kube-scheduler", "groups": ["system:authenticated"]}
NODES = [{"username": f"system:node:node-{i}", "groups": ["system:nodes", "system:authenticated"]} for i in range(20)]
PEOPLE = [{"username": f"{n}@example.com", "groups": ["oidc:platform", "system:authenticated"]} for n in ["alice", "bob", "carol", "dave"]]
CI = {"username": "system:serviceaccount:ci:deployer", "uid": "5b1c2e6e-8f0c-4a9e-9d61-7c1a3f0b2d11",
      "groups": ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]}
NAMESPACES = ["prod", "staging", "payments", "web", "data", "monitoring", "kube-system"]
uid = 0
sec = 0


def audit_id():
    global uid
    uid += 1
    return "%08x-%04x-4%03x-a%03x-%012x" % (uid, uid % 65536, uid % 4096, (uid * 7) % 4096, uid * 2654435761 % (1 << 48))


def ts():
    global sec
    sec += rnd.random() * 0.002
    s = int(sec)
    return "2026-11-23T%02d:%02d:%02d.%06dZ" % (s // 3600 % 24, s // 60 % 60, s % 60, int((sec - s) * 1e6))


def status(code):
    if code < 400:
        return {"metadata": {}, "code": code}
    return {"metadata": {}, "status": "Failure", "reason": "Forbidden" if code == 403 else "NotFound", "code": code}


def ev(level, verb, uri, user, obj, code=200, req=None, resp=None, stage="ResponseComplete", ua=KUBECTL, ip="10.0.0.10"):
    e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": audit_id(), "stage": stage,
         "requestURI": uri, "verb": verb, "user": user, "sourceIPs": [ip], "userAgent": ua}
    if obj:
        e["objectRef"] = obj
    e["responseStatus"] = status(code)
    if req is not None and level in ("Request", "RequestResponse"):
        e["requestObject"] = req
    if resp is not None and level == "RequestResponse":
        e["responseObject"] = resp
    t = ts()
    e["requestReceivedTimestamp"] = t
    e["stageTimestamp"] = t
    # RBAC names the binding that allowed a request (quotes escaped in the log); members of
    # system:masters are allowed before RBAC and get an empty reason.
    reason = ""
    if code != 403 and not user["username"].endswith("@example.com"):
        name = user["username"]
        reason = f'RBAC: allowed by ClusterRoleBinding "{name}" of ClusterRole "{name}" to User "{name}"'
    e["annotations"] = {"authorization.k8s.io/decision": "allow" if code != 403 else "forbid", "authorization.k8s.io/reason": reason}
    return json.dumps(e, separators=(",", ":")).replace("&", "\\u0026")


def ref(resource, ns=None, name=None, group=None, sub=None, rv=None):
    o = {"resource": resource}
    if ns:
        o["namespace"] = ns
    if name:
        o["name"] = name
    if rv:
        o["resourceVersion"] = rv
    if group:
        o["apiGroup"] = group
    o["apiVersion"] = "v1"
    if sub:
        o["subresource"] = sub
    return o


def deployment(ns, name, privileged=False):
    sc = {"privileged": True} if privileged else {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": name, "namespace": ns, "labels": {"app": name, "team": "platform"}, "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"serviceAccountName": name, "containers": [{"name": name, "image": f"ghcr.io/acme/{name}:v1.{rnd.randint(0, 99)}.0",
                              "ports": [{"containerPort": 8080, "protocol": "TCP"}], "env": [{"name": "LOG_LEVEL", "value": "info"}],
                              "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                              "securityContext": sc, "imagePullPolicy": "IfNotPresent"}]}},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}}}


def node_status(node):
    return {"status": {"conditions": [{"type": t, "status": "False" if t != "Ready" else "True", "lastHeartbeatTime": "2026-11-23T10:00:00Z",
                                       "reason": "Kubelet" + t, "message": "kubelet is posting ready status"} for t in ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]]}}


def line():
    r = rnd.random()
    ns = rnd.choice(NAMESPACES)
    if r < 0.22:  # leader election and lease renewals
        who = rnd.choice([KCM, SCHED] + NODES)
        name = who["username"].split(":")[-1]
        return ev("Metadata", "update", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}", who,
                  ref("leases", "kube-node-lease", name, "coordination.k8s.io"), ua="kubelet/v1.29.3 (linux/amd64) kubernetes/6813625")
    if r < 0.40:  # controller reads
        res = rnd.choice(["pods", "replicasets", "deployments", "endpoints", "serviceaccounts", "configmaps"])
        return ev("Metadata", "get", f"/api/v1/namespaces/{ns}/{res}/x-{rnd.randint(0, 500)}", KCM, ref(res, ns, f"x-{rnd.randint(0, 500)}"),
                  ua="kube-controller-manager/v1.29.3 (linux/amd64) kubernetes/6813625/system:serviceaccount:kube-system:replicaset-controller", ip="10.0.0.2")
    if r < 0.55:  # kubelets patching node status (Metadata: the body is not logged)
        node = rnd.choice(NODES)
        name = node["username"].split(":")[-1]
        return ev("Metadata", "patch", f"/api/v1/nodes/{name}/status?timeout=10s", node, ref("nodes", None, name, sub="status"),
                  ua="kubelet/v1.29.3 (linux/amd64) kubernetes/6813625", ip=f"10.0.1.{rnd.randint(1, 20)}")
    if r < 0.63:  # kubelets reading secrets and requesting tokens for their pods
        node = rnd.choice(NODES)
        if rnd.random() < 0.5:
            return ev("Metadata", "get", f"/api/v1/namespaces/{ns}/secrets/app-tls", node, ref("secrets", ns, "app-tls"), ua="kubelet/v1.29.3", ip="10.0.1.3")
        return ev("Metadata", "create", f"/api/v1/namespaces/{ns}/serviceaccounts/default/token", node, ref("serviceaccounts", ns, "default", sub="token"), 201, ua="kubelet/v1.29.3", ip="10.0.1.3")
    if r < 0.75:  # watches: two stages each
        who = rnd.choice([KCM, SCHED])
        res = rnd.choice(["pods", "nodes", "services", "persistentvolumeclaims"])
        stage = rnd.choice(["ResponseStarted", "ResponseComplete"])
        return ev("Metadata", "watch", f"/api/v1/{res}?allowWatchBookmarks=true&resourceVersion=12345&timeout=7m&watch=true", who, ref(res), stage=stage)
    if r < 0.88:  # people and CI reading
        who = rnd.choice(PEOPLE + [CI])
        res = rnd.choice(["pods", "deployments", "services", "events", "configmaps"])
        return ev("Metadata", rnd.choice(["get", "list"]), f"/api/v1/namespaces/{ns}/{res}?limit=500", who, ref(res, ns), ip="192.0.2.10")
    if r < 0.97:  # CI applying Deployments (Request level: body logged)
        name = rnd.choice(["api", "web", "worker", "billing", "search"])
        d = deployment(ns, name, privileged=rnd.random() < 0.002)
        return ev("Request", rnd.choice(["create", "update"]), f"/apis/apps/v1/namespaces/{ns}/deployments/{name}?fieldManager=kubectl-client-side-apply", CI,
                  ref("deployments", ns, name, "apps"), 200, req=d, ip="192.0.2.20")
    if r < 0.99:  # denied attempts
        who = rnd.choice(PEOPLE)
        return ev("Metadata", "list", f"/api/v1/namespaces/kube-system/secrets", who, ref("secrets", "kube-system"), 403, ip="192.0.2.10")
    # rare: RBAC changes at RequestResponse, exec, secret reads by people
    who = rnd.choice(PEOPLE)
    k = rnd.random()
    if k < 0.3:
        crb = {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": f"b-{uid}"},
               "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": who["username"]}],
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": rnd.choice(["view", "view", "edit", "cluster-admin"])}}
        return ev("RequestResponse", "create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", who,
                  ref("clusterrolebindings", None, crb["metadata"]["name"], "rbac.authorization.k8s.io"), 201, req=crb, resp=crb)
    if k < 0.6:
        return ev("Request", "create", f"/api/v1/namespaces/{ns}/pods/web-0/exec?command=sh&stdin=true&stdout=true&tty=true", who,
                  ref("pods", ns, "web-0", sub="exec"), 101)
    return ev("Metadata", "get", f"/api/v1/namespaces/{ns}/secrets/db-password", who, ref("secrets", ns, "db-password"))


def main():
    target = int(sys.argv[1]) << 20
    out = sys.stdout
    written = 0
    while written < target:
        chunk = "\n".join(line() for _ in range(2000)) + "\n"
        out.write(chunk)
        written += len(chunk)


if __name__ == "__main__":
    main()
