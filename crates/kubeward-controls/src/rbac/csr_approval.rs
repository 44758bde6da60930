use crate::pss::frameworks;
use crate::rbac::{access, mitre, nsa, rules, Grant, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};
use kubeward_rbac::access::CLIENT_SIGNERS;

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `update` or `patch` (or `*`) on
    /// `certificatesigningrequests/approval` (or `*`, `*/approval`), or `approve` (or `*`) on
    /// `signers` (or `*`), in `certificates.k8s.io` (or `*`), when one Role or ClusterRole
    /// holds both: approving a request takes both, and a role with only one half cannot
    /// approve on its own. Each half is reported at its `resources` item. A `signers` rule
    /// limited by `resourceNames` counts only when it names a signer of API client
    /// certificates (`kubernetes.io/kube-apiserver-client`,
    /// `kubernetes.io/kube-apiserver-client-kubelet`, `kubernetes.io/legacy-unknown`) or
    /// `kubernetes.io/*`.
    ///
    /// ## Why it matters
    /// Whoever can approve CertificateSigningRequests for the `kubernetes.io/kube-apiserver-client`
    /// signer can issue a client certificate for any user or group, `system:masters`
    /// included, valid until it expires and impossible to revoke. The CIS Benchmark asks to
    /// limit access to CSR approval (5.1.11).
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests/approval"]   # flagged
    ///   verbs: ["update"]
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["signers"]                               # flagged
    ///   verbs: ["approve"]
    /// ```
    ///
    /// ## How to fix
    /// Keep CSR approval for the controllers that need it, and limit `approve` on `signers`
    /// with `resourceNames` to the signers they handle (never
    /// `kubernetes.io/kube-apiserver-client` without review).
    pub struct CsrApproval;
    id: "KW616",
    name: "rbac-csr-approval",
    title: "RBAC rule allows approving certificate signing requests",
    severity: High,
    remediation: "Remove update/patch on certificatesigningrequests/approval and approve on signers, or limit signers with resourceNames.",
    frameworks: frameworks(
        None,
        &[nsa::RBAC, nsa::AUTHENTICATION],
        &["5.1.11"],
        &[mitre::ACCOUNT_MANIPULATION, mitre::VALID_ACCOUNTS],
    ),
}

const APPROVAL: &[Wanted] = access::CSR_APPROVAL.targets;
const SIGNERS: &[Wanted] = access::APPROVE_SIGNERS.targets;

/// The grant of `list` at `(rule, resources item)`, if any.
fn find<'a>(list: &[(usize, Grant<'a>)], item: (usize, usize)) -> Option<Grant<'a>> {
    list.iter()
        .find(|(i, g)| (*i, g.resource.index) == item)
        .map(|(_, g)| g.clone())
}

impl Control for CsrApproval {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let rules = rules(t);
        let mut approval: Vec<(usize, Grant<'_>)> = Vec::new();
        let mut signers: Vec<(usize, Grant<'_>)> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            approval.extend(
                rule.grants(&["update", "patch"], APPROVAL)
                    .into_iter()
                    .map(|g| (i, g)),
            );
            let any_signer = rule.resource_names.is_empty()
                || rule
                    .resource_names
                    .iter()
                    .any(|n| CLIENT_SIGNERS.contains(n));
            if any_signer {
                signers.extend(
                    rule.grants(&["approve"], SIGNERS)
                        .into_iter()
                        .map(|g| (i, g)),
                );
            }
        }
        // Approving takes both halves; a role with one of them cannot approve on its own.
        let (Some(first_approval), Some(first_signer)) = (approval.first(), signers.first()) else {
            return;
        };
        let at =
            |(i, g): &(usize, Grant<'_>)| rules[*i].path.key("resources").index(g.resource.index);
        let approval_at = at(first_approval);
        let signer_at = at(first_signer);
        let mut items: Vec<(usize, usize)> = approval
            .iter()
            .chain(&signers)
            .map(|(i, g)| (*i, g.resource.index))
            .collect();
        items.sort_unstable();
        items.dedup();
        for item in items {
            let rule = &rules[item.0];
            let (grant, message) = match (find(&approval, item), find(&signers, item)) {
                (Some(mut a), Some(s)) => {
                    for v in s.verbs {
                        if !a.verbs.contains(&v) {
                            a.verbs.push(v);
                        }
                    }
                    a.covers.extend(s.covers);
                    let d = rule.describe(&a);
                    (a, format!("{d}: its subjects can approve certificate signing requests, including client certificates that authenticate to the API server as any user or group"))
                }
                (Some(a), None) => {
                    let d = rule.describe(&a);
                    (a, format!("{d}: with approve on signers at {signer_at}, its subjects can approve certificate signing requests, including client certificates that authenticate to the API server as any user or group"))
                }
                (None, Some(s)) => {
                    let d = rule.describe(&s);
                    (s, format!("{d}: with update on certificatesigningrequests/approval at {approval_at}, its subjects can approve requests for these signers, including client certificates that authenticate to the API server as any user or group"))
                }
                (None, None) => continue,
            };
            cx.report(
                grant.resource.node,
                rule.path.key("resources").index(grant.resource.index),
                message,
            );
        }
    }
}
