#!/usr/bin/env python3
"""Generate N realistic Kubernetes objects as one multi-document YAML stream (deterministic).

The mix follows what real application manifests hold (see ../shared/corpus): Deployments
with 1-3 containers, probes, resources, env and volumes; Services; ConfigMaps;
ServiceAccounts; RBAC; StatefulSets, DaemonSets, Jobs, CronJobs; Ingresses; NetworkPolicies.
About half the workloads are hardened, half are not, so controls both pass and fail.

usage: generate.py N > objects.yaml
"""
import random
import sys

rnd = random.Random(42)
IMAGES = ["nginx:1.27.2", "redis:7.4", "ghcr.io/acme/api:v2.3.1", "registry.k8s.io/pause:3.10",
          "quay.io/prometheus/node-exporter:v1.8.2", "busybox:latest", "postgres:16", "envoyproxy/envoy:v1.31.2"]


def container(name, hardened, indent):
    p = " " * indent
    lines = [f"{p}- name: {name}",
             f"{p}  image: {rnd.choice(IMAGES)}",
             f"{p}  imagePullPolicy: IfNotPresent",
             f"{p}  args: [\"--port=8080\", \"--log-level=info\"]",
             f"{p}  ports:",
             f"{p}  - name: http",
             f"{p}    containerPort: 8080",
             f"{p}    protocol: TCP",
             f"{p}  env:",
             f"{p}  - name: LOG_FORMAT",
             f"{p}    value: json",
             f"{p}  - name: POD_NAME",
             f"{p}    valueFrom:",
             f"{p}      fieldRef: {{fieldPath: metadata.name}}",
             f"{p}  resources:",
             f"{p}    requests: {{cpu: 100m, memory: 128Mi}}",
             f"{p}    limits: {{cpu: \"1\", memory: 256Mi}}",
             f"{p}  livenessProbe:",
             f"{p}    httpGet: {{path: /healthz, port: http}}",
             f"{p}    initialDelaySeconds: 10",
             f"{p}  readinessProbe:",
             f"{p}    httpGet: {{path: /ready, port: http}}",
             f"{p}  volumeMounts:",
             f"{p}  - {{name: config, mountPath: /etc/app, readOnly: true}}",
             f"{p}  - {{name: tmp, mountPath: /tmp}}"]
    if hardened:
        lines += [f"{p}  securityContext:",
                  f"{p}    allowPrivilegeEscalation: false",
                  f"{p}    readOnlyRootFilesystem: true",
                  f"{p}    capabilities: {{drop: [ALL]}}"]
    elif rnd.random() < 0.1:
        lines += [f"{p}  securityContext:", f"{p}    privileged: true"]
    return lines


def pod_spec(name, hardened, indent):
    p = " " * indent
    out = [f"{p}serviceAccountName: {name}"]
    if hardened:
        out += [f"{p}securityContext:", f"{p}  runAsNonRoot: true", f"{p}  runAsUser: 10001",
                f"{p}  seccompProfile: {{type: RuntimeDefault}}"]
    out.append(f"{p}containers:")
    for i in range(rnd.choice([1, 1, 2, 3])):
        out += container(f"{name}-{i}", hardened, indent)
    out += [f"{p}volumes:", f"{p}- name: config", f"{p}  configMap: {{name: {name}}}",
            f"{p}- name: tmp", f"{p}  emptyDir: {{}}"]
    if not hardened and rnd.random() < 0.05:
        out += [f"{p}- name: host", f"{p}  hostPath: {{path: /var/run/docker.sock}}"]
    return out


def meta(kind, api, name, ns):
    return [f"apiVersion: {api}", f"kind: {kind}", "metadata:", f"  name: {name}", f"  namespace: {ns}",
            "  labels:", f"    app.kubernetes.io/name: {name}", "    app.kubernetes.io/part-of: shop",
            "  annotations:", f"    description: generated object {name}"]


def workload(kind, api, name, ns):
    hardened = rnd.random() < 0.5
    out = meta(kind, api, name, ns) + ["spec:"]
    if kind == "CronJob":
        out += ["  schedule: \"*/5 * * * *\"", "  jobTemplate:", "    spec:", "      template:",
                "        metadata:", f"          labels: {{app: {name}}}", "        spec:",
                "          restartPolicy: OnFailure"]
        return out + pod_spec(name, hardened, 10)
    if kind != "Job":
        out += ["  selector:", "    matchLabels:", f"      app: {name}"]
    if kind in ("Deployment", "StatefulSet"):
        out.append(f"  replicas: {rnd.randint(1, 5)}")
    out += ["  template:", "    metadata:", "      labels:", f"        app: {name}", "    spec:"]
    if kind == "Job":
        out.append("      restartPolicy: Never")
    return out + pod_spec(name, hardened, 6)


def obj(i):
    ns = f"team-{i % 100}"
    name = f"svc-{i}"
    r = rnd.random()
    if r < 0.30:
        return workload("Deployment", "apps/v1", name, ns)
    if r < 0.33:
        return workload("StatefulSet", "apps/v1", name, ns)
    if r < 0.35:
        return workload("DaemonSet", "apps/v1", name, ns)
    if r < 0.37:
        return workload("Job", "batch/v1", name, ns)
    if r < 0.39:
        return workload("CronJob", "batch/v1", name, ns)
    if r < 0.62:
        t = rnd.choice(["ClusterIP", "ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"])
        return meta("Service", "v1", name, ns) + ["spec:", f"  type: {t}", "  selector:", f"    app: {name}",
                                                   "  ports:", "  - name: http", "    port: 80", "    targetPort: http"]
    if r < 0.75:
        return meta("ConfigMap", "v1", name, ns) + ["data:", "  app.yaml: |", "    server:", "      port: 8080",
                                                     "    logging:", "      level: info", "  FEATURE_FLAGS: \"a,b,c\""]
    if r < 0.84:
        return meta("ServiceAccount", "v1", name, ns) + ["automountServiceAccountToken: false"]
    if r < 0.89:
        return meta("Role", "rbac.authorization.k8s.io/v1", name, ns) + [
            "rules:", "- apiGroups: [\"\"]", "  resources: [configmaps, services]", "  verbs: [get, list, watch]"]
    if r < 0.94:
        return meta("RoleBinding", "rbac.authorization.k8s.io/v1", name, ns) + [
            "roleRef:", "  apiGroup: rbac.authorization.k8s.io", "  kind: Role", f"  name: {name}",
            "subjects:", "- kind: ServiceAccount", f"  name: {name}", f"  namespace: {ns}"]
    if r < 0.97:
        return meta("Ingress", "networking.k8s.io/v1", name, ns) + [
            "spec:", "  ingressClassName: nginx", "  rules:", f"  - host: {name}.example.com", "    http:",
            "      paths:", "      - path: /", "        pathType: Prefix", "        backend:",
            "          service:", f"            name: {name}", "            port: {number: 80}"]
    return meta("NetworkPolicy", "networking.k8s.io/v1", name, ns) + [
        "spec:", "  podSelector:", "    matchLabels:", f"      app: {name}", "  policyTypes: [Ingress]",
        "  ingress:", "  - from:", "    - podSelector: {matchLabels: {role: frontend}}"]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    out = sys.stdout
    for i in range(n):
        out.write("---\n")
        out.write("\n".join(obj(i)))
        out.write("\n")


if __name__ == "__main__":
    main()
