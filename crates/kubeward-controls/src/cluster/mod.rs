//! Cluster-only checks (KW901-KW919): what only a live cluster can answer, such as the
//! version the API server runs, defaults the cluster creates by itself (every
//! namespace's `default` ServiceAccount), the age of Secrets, node addresses and where the API
//! server is reachable. `kubeward cluster` feeds them the objects it lists
//! and one `kubeward.io/v1` `ClusterVersion` object it writes from the server's `/version`.

use crate::Control;

pub mod api_server_public;
pub mod default_service_account_automount;
pub mod legacy_token_secret;
pub mod node_external_ip;
pub mod releases;
pub mod secret_not_rotated;
pub mod version_end_of_life;

/// This family's controls (any order; the registry sorts by ID).
pub static CONTROLS: &[&dyn Control] = &[
    &version_end_of_life::VersionEndOfLife,
    &default_service_account_automount::DefaultServiceAccountAutomount,
    &secret_not_rotated::SecretNotRotated,
    &legacy_token_secret::LegacyTokenSecret,
    &node_external_ip::NodeExternalIp,
    &api_server_public::ApiServerPublic,
];

/// A core `v1` Secret, with a label reader, for the Secret checks (KW903, KW904).
pub(crate) fn secret<'a>(t: &crate::Target<'a>) -> Option<kubeward_model::Object<'a>> {
    let o = t.object;
    (o.group().is_empty() && o.kind == "Secret").then_some(o)
}

/// The string value of label `key` of an object.
pub(crate) fn label<'a>(o: &kubeward_model::Object<'a>, key: &str) -> Option<&'a str> {
    o.metadata()
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get(key))
        .and_then(|v| v.as_str())
}

/// Whether an address is publicly routable: not unspecified, loopback, private (RFC 1918,
/// IPv6 unique local), link-local, shared (100.64.0.0/10), documentation, benchmarking,
/// multicast or reserved. Written out because std's `IpAddr::is_global` is not stable.
pub fn public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// MITRE ATT&CK techniques (containers matrix) for this family.
pub mod mitre {
    pub const EXPLOIT_PUBLIC_APP: &str = "T1190";
}

/// The apiVersion and kind of the object `kubeward cluster` writes for the server version.
pub const CLUSTER_VERSION_API: &str = "kubeward.io/v1";
pub const CLUSTER_VERSION_KIND: &str = "ClusterVersion";

#[cfg(test)]
mod tests {
    use super::public_ip;

    #[test]
    fn public_addresses() {
        let public = |s: &str| public_ip(s.parse().unwrap());
        for p in ["8.8.8.8", "34.120.1.1", "2600:1f18::1", "::ffff:8.8.8.8"] {
            assert!(public(p), "{p}");
        }
        for p in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
            "ff02::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!public(p), "{p}");
        }
        assert!(public("172.32.0.1") && public("100.128.0.1") && public("11.0.0.1"));
    }
}
