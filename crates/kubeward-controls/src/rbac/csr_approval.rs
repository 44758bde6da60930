use crate::pss::frameworks;
use crate::rbac::{mitre, nsa, report_grants, wanted, Wanted};
use crate::{control, Context, Control, ControlMeta, Target};

control! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that grant `update` or `patch` (or `*`) on
    /// `certificatesigningrequests/approval` (or `*`, `*/approval`), or `approve` (or `*`) on
    /// `signers` (or `*`), in `certificates.k8s.io` (or `*`). Approving a request takes
    /// both; each is reported, since either is half of the power.
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

const APPROVAL: &[Wanted] = &[wanted(
    "certificates.k8s.io",
    "certificatesigningrequests/approval",
)];
const SIGNERS: &[Wanted] = &[wanted("certificates.k8s.io", "signers")];

impl Control for CsrApproval {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        report_grants(
            t,
            cx,
            &["update", "patch"],
            APPROVAL,
            "its subjects can approve certificate signing requests",
        );
        report_grants(
            t,
            cx,
            &["approve"],
            SIGNERS,
            "its subjects can approve requests for these signers, which may issue client certificates for any identity",
        );
    }
}
