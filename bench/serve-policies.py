#!/usr/bin/env python3
"""Write the policies of the `serve` benchmark with policies (BENCHMARKS.md): 20 Gatekeeper
constraints (the first sample constraint of the first 20 library templates, in name order,
with `match` widened to Deployments and Pods so that each is evaluated on the benchmark's
Deployment CREATE) and 20 ValidatingAdmissionPolicies with a Deny binding each, all matching
Deployments, with the kind of checks teams write (labels, replicas, images, resources,
security context, probes).

usage: serve-policies.py LIBRARY_DIR OUT_DIR
"""
import os
import sys

import yaml

lib, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
templates = []
for root, _, files in os.walk(lib):
    if "template.yaml" in files and "samples" in os.listdir(root):
        templates.append(root)
templates.sort()
n = 0
for d in templates:
    if n == 20:
        break
    samples = sorted(os.listdir(os.path.join(d, "samples")))
    constraint = None
    for s in samples:
        p = os.path.join(d, "samples", s, "constraint.yaml")
        if os.path.exists(p):
            constraint = yaml.safe_load(open(p))
            break
    if constraint is None:
        continue
    spec = constraint.setdefault("spec", {})
    spec["match"] = {"kinds": [{"apiGroups": ["apps", ""], "kinds": ["Deployment", "Pod"]}]}
    spec["enforcementAction"] = "warn"
    n += 1
    name = os.path.basename(d)
    with open(os.path.join(out, f"gk-{n:02}-{name}.yaml"), "w") as f:
        f.write(open(os.path.join(d, "template.yaml")).read().rstrip() + "\n---\n")
        yaml.safe_dump(constraint, f)

CHECKS = [
    ("has(object.metadata.labels) && 'team' in object.metadata.labels", "a team label is required"),
    ("object.spec.replicas <= 50", "at most 50 replicas"),
    ("object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))", "no latest tags"),
    ("object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))", "images from registry.example.com"),
    ("object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits)", "memory limits"),
    ("object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests)", "cpu requests"),
    ("has(object.spec.template.spec.securityContext) && object.spec.template.spec.securityContext.runAsNonRoot == true", "runAsNonRoot"),
    ("!has(object.spec.template.spec.hostNetwork) || !object.spec.template.spec.hostNetwork", "no hostNetwork"),
    ("object.spec.template.spec.containers.all(c, has(c.readinessProbe))", "readiness probes"),
    ("object.spec.template.spec.containers.all(c, has(c.livenessProbe))", "liveness probes"),
    ("!has(object.spec.template.spec.volumes) || object.spec.template.spec.volumes.all(v, !has(v.hostPath))", "no hostPath"),
    ("object.spec.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)", "not privileged"),
    ("object.metadata.name.size() <= 63", "short names"),
    ("object.spec.template.spec.containers.size() <= 5", "at most 5 containers"),
    ("has(object.spec.template.spec.serviceAccountName) && object.spec.template.spec.serviceAccountName != 'default'", "own service account"),
    ("object.spec.template.spec.containers.all(c, !has(c.env) || c.env.all(e, !e.name.contains('PASSWORD') || has(e.valueFrom)))", "passwords from secrets"),
    ("object.spec.template.spec.containers.all(c, !has(c.ports) || c.ports.all(p, p.containerPort > 1024))", "unprivileged ports"),
    ("has(object.metadata.labels) && 'app.kubernetes.io/name' in object.metadata.labels", "app name label"),
    ("object.spec.revisionHistoryLimit <= 10", "history limit"),
    ("object.spec.template.spec.containers.all(c, quantity(c.resources.limits.memory).compareTo(quantity('4Gi')) <= 0)", "memory at most 4Gi"),
]
for i, (expr, msg) in enumerate(CHECKS, 1):
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": f"bench-{i:02}"},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                    "operations": ["CREATE", "UPDATE"], "resources": ["deployments"]}]},
            "validations": [{"expression": expr, "message": msg}],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": f"bench-{i:02}"},
        "spec": {"policyName": f"bench-{i:02}", "validationActions": ["Deny"]},
    }
    with open(os.path.join(out, f"vap-{i:02}.yaml"), "w") as f:
        yaml.safe_dump_all([policy, binding], f)
print(f"{n} constraints, {len(CHECKS)} policies in {out}")
