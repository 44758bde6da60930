//! Command lines of the Kubernetes components, read the way the components read them.
//!
//! The components parse their flags with spf13/pflag (etcd with Go's `flag`, which accepts the
//! same long forms). What matters for a correct reading, and what a grep over `ps` output gets
//! wrong:
//! * `--name=value` and `--name value`, except that a boolean flag never takes the next word:
//!   `--profiling false` sets profiling to **true** and leaves `false` as a positional argument;
//! * a boolean flag alone (`--anonymous-auth`) means true; values are read as Go's
//!   `strconv.ParseBool` reads them (`1`, `t`, `TRUE`, ...);
//! * a repeated scalar flag keeps its last value; a repeated list flag (`--enable-admission-plugins`,
//!   `--tls-cipher-suites`) appends; a repeated `--feature-gates` merges key by key;
//! * `_` in a flag name is read as `-` (Kubernetes' word-separator normalisation), `--` ends the
//!   flags, and a single dash long form (`-profiling=false`, Go `flag` style) counts as a flag.
//!
//! Written by hand: no crate parses another program's command line with pflag's rules, and
//! the knowledge of which flags are booleans and lists is Kubernetes', not a parser's.

use serde::Serialize;

/// A Kubernetes component CIS sections 1 to 4 check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
    Kubelet,
    Proxy,
}

impl Component {
    pub const ALL: [Component; 6] = [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
        Component::Kubelet,
        Component::Proxy,
    ];

    /// The name of its binary.
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
            Component::Kubelet => "kubelet",
            Component::Proxy => "kube-proxy",
        }
    }

    /// Runs on control-plane nodes only.
    pub fn is_control_plane(self) -> bool {
        !matches!(self, Component::Kubelet | Component::Proxy)
    }

    /// The component a program name stands for: a binary name (or path), or a hyperkube
    /// sub-command (`apiserver`, `kube-apiserver`, `kubelet`, `proxy`, ...).
    pub fn from_program(name: &str) -> Option<Component> {
        let base = name.rsplit('/').next().unwrap_or(name);
        match base {
            "kube-apiserver" | "apiserver" => Some(Component::ApiServer),
            "kube-controller-manager" | "controller-manager" => Some(Component::ControllerManager),
            "kube-scheduler" | "scheduler" => Some(Component::Scheduler),
            "etcd" => Some(Component::Etcd),
            "kubelet" => Some(Component::Kubelet),
            "kube-proxy" | "proxy" => Some(Component::Proxy),
            _ => None,
        }
    }

    /// Which component a command line runs, and where its flags start: `kube-apiserver ...`
    /// (flags from 1) or `hyperkube kube-apiserver ...` (flags from 2). The short hyperkube
    /// names (`apiserver`, `proxy`) count only after `hyperkube`, so that an unrelated program
    /// named `proxy` is not taken for kube-proxy.
    pub fn of_command_line<S: AsRef<str>>(argv: &[S]) -> Option<(Component, usize)> {
        let program = argv.first()?.as_ref();
        let base = program.rsplit('/').next().unwrap_or(program);
        if base == "hyperkube" {
            let sub = argv.get(1)?.as_ref();
            return Component::from_program(sub).map(|c| (c, 2));
        }
        Component::from_program(base)
            .filter(|c| base == c.binary())
            .map(|c| (c, 1))
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.binary())
    }
}

/// How pflag treats a flag's occurrences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagKind {
    /// Never takes the next word; alone means true.
    Bool,
    /// Comma-separated; repeated occurrences append.
    List,
    /// `key=value` pairs (`--feature-gates`); repeated occurrences merge, the last value of a
    /// key wins.
    Map,
    /// Takes a value; the last occurrence wins.
    Scalar,
    /// Not known here: takes the next word as its value unless that word looks like a flag
    /// (a guess that is right for every well-formed command line of a known component).
    Unknown,
}

/// Boolean flags of each component (those the benchmark reads, and the common others a
/// command line may hold, so that the word after them is not taken for their value).
fn bool_flags(c: Component) -> &'static [&'static str] {
    match c {
        Component::ApiServer => &[
            "anonymous-auth",
            "profiling",
            "service-account-lookup",
            "service-account-extend-token-expiration",
            "allow-privileged",
            "enable-bootstrap-token-auth",
            "enable-aggregator-routing",
            "enable-garbage-collector",
            "enable-priority-and-fairness",
            "audit-log-compress",
            "contention-profiling",
            "debug-socket-path",
            "enable-logs-handler",
            "endpoint-reconciler-type",
            "kubelet-https",
            "logtostderr",
            "alsologtostderr",
            "strict-transport-security-directives",
        ],
        Component::ControllerManager => &[
            "profiling",
            "use-service-account-credentials",
            "allocate-node-cidrs",
            "configure-cloud-routes",
            "contention-profiling",
            "enable-dynamic-provisioning",
            "enable-garbage-collector",
            "enable-hostpath-provisioner",
            "enable-taint-manager",
            "leader-elect",
            "logtostderr",
            "alsologtostderr",
        ],
        Component::Scheduler => &[
            "profiling",
            "contention-profiling",
            "leader-elect",
            "logtostderr",
            "alsologtostderr",
        ],
        Component::Etcd => &[
            "client-cert-auth",
            "peer-client-cert-auth",
            "auto-tls",
            "peer-auto-tls",
            "enable-pprof",
            "enable-v2",
            "experimental-initial-corrupt-check",
            "force-new-cluster",
            "strict-reconfig-check",
            "debug",
        ],
        Component::Kubelet => &[
            "anonymous-auth",
            "authentication-token-webhook",
            "make-iptables-util-chains",
            "rotate-certificates",
            "rotate-server-certificates",
            "protect-kernel-defaults",
            "seccomp-default",
            "fail-swap-on",
            "register-node",
            "enable-server",
            "enable-debugging-handlers",
            "serialize-image-pulls",
            "cgroups-per-qos",
            "logtostderr",
            "alsologtostderr",
        ],
        Component::Proxy => &[
            "masquerade-all",
            "profiling",
            "cleanup",
            "logtostderr",
            "alsologtostderr",
        ],
    }
}

/// List flags (`[]string` in pflag: comma-separated, repeated occurrences append).
fn list_flags(c: Component) -> &'static [&'static str] {
    match c {
        Component::ApiServer => &[
            "authorization-mode",
            "enable-admission-plugins",
            "disable-admission-plugins",
            "tls-cipher-suites",
            "etcd-servers",
            "service-account-key-file",
            "api-audiences",
            "service-account-issuer",
            "kubelet-preferred-address-types",
            "requestheader-allowed-names",
            "requestheader-group-headers",
            "requestheader-username-headers",
            "requestheader-extra-headers-prefix",
            "runtime-config",
        ],
        Component::ControllerManager => &["controllers", "tls-cipher-suites"],
        Component::Scheduler => &["tls-cipher-suites"],
        Component::Etcd => &[
            "cipher-suites",
            "listen-client-urls",
            "advertise-client-urls",
        ],
        Component::Kubelet => &["tls-cipher-suites", "cluster-dns", "node-ip"],
        Component::Proxy => &["tls-cipher-suites"],
    }
}

/// A flag name as the component sees it: without dashes, `_` read as `-` (etcd has no such
/// normalisation, but none of its flags holds `_`).
pub fn normalize(name: &str) -> String {
    name.trim_start_matches('-').replace('_', "-")
}

impl Component {
    pub fn flag_kind(self, name: &str) -> FlagKind {
        let name = name.trim_start_matches('-');
        if name == "feature-gates" {
            FlagKind::Map
        } else if bool_flags(self).contains(&name) {
            FlagKind::Bool
        } else if list_flags(self).contains(&name) {
            FlagKind::List
        } else if KNOWN_SCALARS.contains(&name) {
            FlagKind::Scalar
        } else {
            FlagKind::Unknown
        }
    }
}

/// Scalar flags the benchmark reads (any component): they always take the next word, even
/// one starting with `-`, as pflag does.
const KNOWN_SCALARS: &[&str] = &[
    "token-auth-file",
    "kubelet-client-certificate",
    "kubelet-client-key",
    "kubelet-certificate-authority",
    "audit-log-path",
    "audit-log-maxage",
    "audit-log-maxbackup",
    "audit-log-maxsize",
    "audit-policy-file",
    "request-timeout",
    "etcd-certfile",
    "etcd-keyfile",
    "etcd-cafile",
    "tls-cert-file",
    "tls-private-key-file",
    "client-ca-file",
    "encryption-provider-config",
    "terminated-pod-gc-threshold",
    "service-account-private-key-file",
    "root-ca-file",
    "bind-address",
    "kubeconfig",
    "config",
    "cert-file",
    "key-file",
    "peer-cert-file",
    "peer-key-file",
    "trusted-ca-file",
    "peer-trusted-ca-file",
    "data-dir",
    "read-only-port",
    "streaming-connection-idle-timeout",
    "hostname-override",
    "event-qps",
    "pod-max-pids",
    "metrics-bind-address",
    "authorization-mode",
];

/// One occurrence of a flag on a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// Normalised name, without dashes.
    pub name: String,
    pub value: String,
    /// The index of the word (argv item) that names the flag.
    pub item: usize,
}

/// A command line read as pflag reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub flags: Vec<Occurrence>,
    /// Positional arguments with their word index.
    pub positional: Vec<(usize, String)>,
}

/// The value a flag ends up with, and the word that set it last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagValue {
    pub value: String,
    pub item: usize,
}

/// Parse the words from `start` (after the program name, and after the hyperkube
/// sub-command) as `component`'s flags. Never fails: what pflag would refuse (a value-taking
/// flag at the end) is kept with an empty value.
pub fn parse<S: AsRef<str>>(component: Component, argv: &[S], start: usize) -> Args {
    let mut out = Args::default();
    let mut i = start;
    while i < argv.len() {
        let word = argv[i].as_ref();
        if word == "--" {
            out.positional.extend(
                argv.iter()
                    .enumerate()
                    .skip(i + 1)
                    .map(|(k, w)| (k, w.as_ref().to_string())),
            );
            break;
        }
        if !word.starts_with('-') || word == "-" {
            out.positional.push((i, word.to_string()));
            i += 1;
            continue;
        }
        let body = word.trim_start_matches('-');
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if name.is_empty() {
            out.positional.push((i, word.to_string()));
            i += 1;
            continue;
        }
        let name = normalize(name);
        // `-_x` or `--_x`: the word separator normalisation makes the name start with a dash,
        // which names no flag (the component refuses it as unknown): it sets nothing.
        if name.starts_with('-') {
            out.positional.push((i, word.to_string()));
            i += 1;
            continue;
        }
        let kind = component.flag_kind(&name);
        let at = i;
        let value = match (inline, kind) {
            (Some(v), _) => v.to_string(),
            (None, FlagKind::Bool) => "true".to_string(),
            (None, FlagKind::Unknown) => match argv.get(i + 1).map(|w| w.as_ref()) {
                Some(next) if !next.starts_with('-') => {
                    i += 1;
                    next.to_string()
                }
                // Alone, or followed by a flag: most likely a boolean.
                _ => "true".to_string(),
            },
            (None, _) => match argv.get(i + 1) {
                Some(next) => {
                    i += 1;
                    next.as_ref().to_string()
                }
                None => String::new(),
            },
        };
        out.flags.push(Occurrence {
            name,
            value,
            item: at,
        });
        i += 1;
    }
    out
}

impl Args {
    /// The value the component ends up with for `name` (normalised or with dashes), or `None`
    /// when the command line does not set it.
    pub fn get(&self, component: Component, name: &str) -> Option<FlagValue> {
        let name = normalize(name);
        let mut hits = self.flags.iter().filter(|o| o.name == name).peekable();
        hits.peek()?;
        match component.flag_kind(&name) {
            FlagKind::List => {
                let mut item = 0;
                let mut parts: Vec<&str> = Vec::new();
                for o in hits {
                    item = o.item;
                    parts.extend(o.value.split(',').map(str::trim).filter(|p| !p.is_empty()));
                }
                Some(FlagValue {
                    value: parts.join(","),
                    item,
                })
            }
            FlagKind::Map => {
                let mut item = 0;
                let mut pairs: Vec<(String, String)> = Vec::new();
                for o in hits {
                    item = o.item;
                    merge_pairs(&mut pairs, &o.value);
                }
                Some(FlagValue {
                    value: render_pairs(&pairs),
                    item,
                })
            }
            _ => hits.last().map(|o| FlagValue {
                value: o.value.clone(),
                item: o.item,
            }),
        }
    }
}

/// Merge `a=b,c=d` into `pairs`, later values of a key winning.
pub fn merge_pairs(pairs: &mut Vec<(String, String)>, text: &str) {
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, "true"));
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        match pairs.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => pairs.push((k, v)),
        }
    }
}

pub fn render_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Go's `strconv.ParseBool`, which pflag uses for boolean flags.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(c: Component, words: &[&str]) -> Args {
        parse(c, words, 1)
    }

    #[test]
    fn forms_of_a_flag() {
        let a = args(
            Component::ApiServer,
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage",
                "30",
                "--anonymous-auth",
                "false",
                "-profiling=false",
                "--service_account_lookup=true",
            ],
        );
        let get = |n| a.get(Component::ApiServer, n).map(|v| v.value);
        assert_eq!(get("audit-log-path").as_deref(), Some("/var/log/audit.log"));
        assert_eq!(get("--audit-log-maxage").as_deref(), Some("30"));
        // A boolean never takes the next word: `false` is positional and auth stays on.
        assert_eq!(get("anonymous-auth").as_deref(), Some("true"));
        assert_eq!(a.positional, vec![(5, "false".to_string())]);
        assert_eq!(get("profiling").as_deref(), Some("false"));
        assert_eq!(get("service-account-lookup").as_deref(), Some("true"));
        assert_eq!(get("token-auth-file"), None);
    }

    /// Found by the node_flags fuzz target: `-_128_GCM_SHA256]` normalises to a name that
    /// starts with a dash, which names no flag; it is a positional word, never a flag.
    #[test]
    fn a_name_that_normalises_to_a_dash_is_no_flag() {
        let a = args(
            Component::Proxy,
            &["kube-proxy", "-_128_GCM_SHA256]", "--__x=1", "--profiling"],
        );
        let names: Vec<&str> = a.flags.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["profiling"]);
        assert_eq!(
            a.positional,
            vec![
                (1, "-_128_GCM_SHA256]".to_string()),
                (2, "--__x=1".to_string())
            ]
        );
    }

    #[test]
    fn items_point_at_the_flag_word() {
        let a = args(
            Component::ApiServer,
            &["kube-apiserver", "--audit-log-maxage", "30", "--profiling"],
        );
        assert_eq!(
            a.get(Component::ApiServer, "audit-log-maxage")
                .unwrap()
                .item,
            1
        );
        assert_eq!(a.get(Component::ApiServer, "profiling").unwrap().item, 3);
    }

    #[test]
    fn repeated_flags_follow_their_kind() {
        let a = args(
            Component::ApiServer,
            &[
                "kube-apiserver",
                "--enable-admission-plugins=NodeRestriction",
                "--enable-admission-plugins",
                "EventRateLimit,AlwaysPullImages",
                "--audit-log-maxage=10",
                "--audit-log-maxage=30",
                "--feature-gates=A=true,B=false",
                "--feature-gates=B=true",
            ],
        );
        let get = |n| a.get(Component::ApiServer, n).unwrap().value;
        assert_eq!(
            get("enable-admission-plugins"),
            "NodeRestriction,EventRateLimit,AlwaysPullImages"
        );
        assert_eq!(get("audit-log-maxage"), "30");
        assert_eq!(get("feature-gates"), "A=true,B=true");
        assert_eq!(
            a.get(Component::ApiServer, "feature-gates").unwrap().item,
            7
        );
    }

    #[test]
    fn known_scalars_take_a_dashed_value_unknown_flags_do_not() {
        let a = args(
            Component::Kubelet,
            &[
                "kubelet",
                "--hostname-override",
                "-weird-",
                "--some-new-bool",
                "--v",
                "2",
            ],
        );
        assert_eq!(
            a.get(Component::Kubelet, "hostname-override")
                .unwrap()
                .value,
            "-weird-"
        );
        assert_eq!(
            a.get(Component::Kubelet, "some-new-bool").unwrap().value,
            "true"
        );
        assert_eq!(a.get(Component::Kubelet, "v").unwrap().value, "2");
    }

    #[test]
    fn double_dash_ends_flags() {
        let a = args(
            Component::Etcd,
            &["etcd", "--auto-tls", "--", "--peer-auto-tls"],
        );
        assert!(a.get(Component::Etcd, "auto-tls").is_some());
        assert!(a.get(Component::Etcd, "peer-auto-tls").is_none());
        assert_eq!(a.positional, vec![(3, "--peer-auto-tls".to_string())]);
    }

    #[test]
    fn command_lines_name_their_component() {
        let of = |w: &[&str]| Component::of_command_line(w);
        assert_eq!(
            of(&["/usr/local/bin/kube-apiserver", "--x"]),
            Some((Component::ApiServer, 1))
        );
        assert_eq!(
            of(&["hyperkube", "kubelet", "--x"]),
            Some((Component::Kubelet, 2))
        );
        assert_eq!(
            of(&["/hyperkube", "apiserver"]),
            Some((Component::ApiServer, 2))
        );
        assert_eq!(of(&["proxy", "--x"]), None);
        assert_eq!(of(&["nginx"]), None);
        assert_eq!(of(&[]), None);
    }

    #[test]
    fn go_booleans() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool("yes"), None);
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6}){0,2}"
    }

    proptest! {
        /// Any command line parses without panicking, and every word is accounted for as a
        /// flag, a flag's value or a positional argument.
        #[test]
        fn never_panics(words in proptest::collection::vec(".{0,12}", 0..12)) {
            for c in Component::ALL {
                let mut argv = vec!["x".to_string()];
                argv.extend(words.iter().cloned());
                let a = parse(c, &argv, 1);
                prop_assert!(a.flags.len() + a.positional.len() <= words.len());
                for o in &a.flags {
                    prop_assert!(o.item >= 1 && o.item < argv.len());
                }
            }
        }

        /// Scalar flags written as `--n=v` or `--n v` read back as the last value written.
        #[test]
        fn written_flags_read_back(
            flags in proptest::collection::vec((name(), "[a-zA-Z0-9/._:]{1,10}", any::<bool>()), 1..8)
        ) {
            let c = Component::ApiServer;
            let mut argv = vec!["kube-apiserver".to_string()];
            for (n, v, attached) in &flags {
                if *attached {
                    argv.push(format!("--{n}={v}"));
                } else {
                    argv.push(format!("--{n}"));
                    argv.push(v.clone());
                }
            }
            let a = parse(c, &argv, 1);
            for (n, _, _) in &flags {
                let kind = c.flag_kind(n);
                let last = flags.iter().rev().find(|(m, _, _)| m == n).unwrap();
                let got = a.get(c, n).map(|v| v.value);
                match kind {
                    FlagKind::Scalar | FlagKind::Unknown => {
                        prop_assert_eq!(got.as_deref(), Some(last.1.as_str()))
                    }
                    FlagKind::List => {
                        let all: Vec<&str> = flags.iter().filter(|(m, _, _)| m == n).map(|(_, v, _)| v.as_str()).collect();
                        prop_assert_eq!(got, Some(all.join(",")));
                    }
                    // `--bool value` leaves the value positional; `--bool=value` keeps it.
                    FlagKind::Bool => {
                        let want = if last.2 { last.1.as_str() } else { "true" };
                        prop_assert_eq!(got.as_deref(), Some(want));
                    }
                    FlagKind::Map => {}
                }
            }
        }
    }
}
