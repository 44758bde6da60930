use crate::pss::{frameworks, mitre, nsa, sc_wrong_type, who};
use crate::workload::{capability_items, normalize_capability};
use crate::{control, Context, Control, ControlMeta, Fix, FixAction, FixEdit, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) whose
    /// `securityContext.capabilities.drop` contains neither `NET_RAW` nor `ALL` (compared
    /// case-insensitively, with or without `CAP_`). The finding points at `drop`, or at the
    /// nearest of `capabilities`, `securityContext` and the container when those are missing.
    ///
    /// Windows pods (`spec.os.name: windows`) are skipped: Linux capabilities do not apply
    /// and the API server forbids setting them. A container that drops `NET_RAW` but adds it
    /// back is KW107's to report.
    ///
    /// ## Why it matters
    /// Most container runtimes grant `NET_RAW` by default. It allows raw and packet sockets:
    /// ARP and DNS spoofing of other pods on the node's network, sniffing, and crafted
    /// packets that have been the entry point of several kernel exploits. Few applications
    /// need it (`ping` works without it on current kernels). CIS 5.2.8.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   securityContext:
    ///     capabilities:
    ///       drop: ["SETUID"]   # flagged: NET_RAW is still granted
    /// ```
    ///
    /// ## How to fix
    /// Add `drop: ["ALL"]` (and add back only what is needed), or at least `NET_RAW`.
    pub struct NetRawNotDropped;
    id: "KW316",
    name: "net-raw-not-dropped",
    title: "Container does not drop NET_RAW",
    severity: Low,
    remediation: "Drop ALL capabilities (or at least NET_RAW) in securityContext.capabilities.drop.",
    frameworks: frameworks(
        None,
        &[nsa::HARDENING],
        &["5.2.8"],
        &[mitre::NETWORK_SNIFFING],
    ),
}

impl Control for NetRawNotDropped {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Edit(FixEdit {
            field: Some("drop"),
            action: FixAction::Include("NET_RAW"),
        })
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            if sc_wrong_type(&c) {
                continue;
            }
            let caps = c.sc("capabilities");
            if caps.is_some_and(|n| !n.is_map()) {
                continue;
            }
            // An explicit `drop: null` is no list, but the finding still points at it.
            let drop_field = caps.and_then(|n| n.get("drop"));
            let drop = drop_field.filter(|n| !n.is_null());
            if drop.is_some_and(|n| !n.is_seq()) {
                continue;
            }
            let dropped = capability_items(&c, "drop").into_iter().any(|(_, cap, _)| {
                let norm = normalize_capability(cap);
                norm == "NET_RAW" || norm == "ALL"
            });
            if dropped {
                continue;
            }
            let anchor = drop_field.or(caps).unwrap_or_else(|| c.sc_anchor());
            cx.report(
                anchor,
                c.sc_path().key("capabilities").key("drop"),
                format!(
                    "{} does not drop NET_RAW (or ALL) in securityContext.capabilities.drop",
                    who(&c)
                ),
            );
        }
    }
}
