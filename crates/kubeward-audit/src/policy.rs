//! The audit Policy `kubeward audit policy` prints.

/// A recommended `audit.k8s.io/v1` Policy: what the detections need, nothing secret, and no
/// noise. Rules are matched in order; the first match decides the level.
pub const RECOMMENDED: &str = r#"# Audit policy recommended by kubeward (`kubeward audit policy`), for the API server's
# --audit-policy-file. It follows the NSA/CISA Kubernetes Hardening Guidance: log who did what
# to everything, never the content of secrets, and the request bodies of the changes that
# matter (RBAC, workloads, admission configuration), so that `kubeward audit` can judge them.
# The first rule that matches a request decides its level.
apiVersion: audit.k8s.io/v1
kind: Policy
# RequestReceived only repeats what the later stages say. ResponseStarted stays: a request
# rejected by authentication (401) is only logged at that stage (KW1009 counts them).
omitStages: ["RequestReceived"]
rules:
  # Noise without security value: health and version probes, metrics scrapes, discovery.
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/version/", "/metrics", "/openapi/*", "/api", "/apis"]
  # The most frequent reads of Kubernetes' own components.
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
      - group: ""
        resources: ["endpoints", "services", "services/status"]
      - group: "discovery.k8s.io"
        resources: ["endpointslices"]
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get", "list", "watch"]
    resources:
      - group: ""
        resources: ["nodes", "nodes/status", "configmaps", "services", "endpoints"]
  - level: None
    users: ["system:kube-controller-manager", "system:kube-scheduler", "system:serviceaccount:kube-system:endpoint-controller"]
    verbs: ["get", "update"]
    namespaces: ["kube-system"]
    resources:
      - group: ""
        resources: ["endpoints"]
      - group: "coordination.k8s.io"
        resources: ["leases"]
  - level: None
    users: ["system:apiserver"]
    verbs: ["get"]
    resources:
      - group: ""
        resources: ["namespaces", "namespaces/status", "namespaces/finalize"]
  # Writing events is noise; deleting them is not (KW1013), so only these verbs.
  - level: None
    verbs: ["create", "update", "patch"]
    resources:
      - group: ""
        resources: ["events"]
      - group: "events.k8s.io"
        resources: ["events"]
  # Secrets, config maps and tokens: who and when, never the content (KW1004, KW1007).
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: "authentication.k8s.io"
        resources: ["tokenreviews", "tokenrequests"]
  # Commands and tunnels into pods and nodes: the request (its URI has the command; KW1002,
  # KW1003, KW1011).
  - level: Request
    resources:
      - group: ""
        resources: ["pods/exec", "pods/attach", "pods/portforward", "nodes/proxy", "services/proxy", "pods/proxy"]
  # RBAC and admission configuration: the whole change, with the stored object, so that a
  # patch can be judged too (KW1006, KW1010).
  - level: RequestResponse
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
    resources:
      - group: "rbac.authorization.k8s.io"
        resources: ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]
      - group: "admissionregistration.k8s.io"
        resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]
      - group: "certificates.k8s.io"
        resources: ["certificatesigningrequests", "certificatesigningrequests/approval"]
  # Workloads: the pod spec written (KW1005). A patch needs the stored object as well.
  - level: RequestResponse
    verbs: ["patch"]
    resources:
      - group: ""
        resources: ["pods", "replicationcontrollers", "podtemplates"]
      - group: "apps"
        resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
      - group: "batch"
        resources: ["jobs", "cronjobs"]
  - level: Request
    verbs: ["create", "update"]
    resources:
      - group: ""
        resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"]
      - group: "apps"
        resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
      - group: "batch"
        resources: ["jobs", "cronjobs"]
  # Everything else: who did what to which object, and the answer (KW1001, KW1008, KW1009,
  # KW1012 and the investigation after any finding).
  - level: Metadata
"#;
