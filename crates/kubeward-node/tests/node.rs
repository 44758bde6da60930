//! `kubeward node` over synthetic hosts: a temporary root with files of chosen modes and
//! owners, and REAL processes whose command lines look like the components' (this test
//! binary re-executed with `argv[0]` set to `kube-apiserver`, `hyperkube`, ... and the
//! component's flags; it sleeps until its stdin closes). Discovery reads them through a proc
//! directory holding links to the real `/proc/<pid>` of these children only, so the tests
//! see no other process of the machine (other tests here run real API servers).
//!
//! Own harness (`harness = false`): `cargo test -p kubeward-node --test node [FILTER]`.

use std::os::unix::fs::{chown, symlink, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use kubeward_controls::node::benchmark::Benchmark;
use kubeward_controls::Severity;
use kubeward_node::{report, NodeReport, Options, Role, Status};

const FAKE: &str = "KUBEWARD_NODE_FAKE_COMPONENT";

// ---------------------------------------------------------------------------------------
// Host trees and processes
// ---------------------------------------------------------------------------------------

struct Host {
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl Drop for Host {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Host {
    fn new() -> Host {
        let h = Host {
            dir: tempfile::tempdir().unwrap(),
            children: Vec::new(),
        };
        std::fs::create_dir_all(h.root().join("proc")).unwrap();
        h.file(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\netcd:x:998:998::/var/lib/etcd:/sbin/nologin\n",
            0o644,
        );
        h.file("/etc/group", "root:x:0:\netcd:x:998:\n", 0o644);
        h
    }

    fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn path(&self, host_path: &str) -> PathBuf {
        self.root().join(host_path.trim_start_matches('/'))
    }

    /// A root-owned file with this mode.
    fn file(&self, host_path: &str, text: &str, mode: u32) -> &Self {
        let p = self.path(host_path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        chown(&p, Some(0), Some(0)).unwrap();
        self
    }

    fn dir(&self, host_path: &str, mode: u32, uid: u32, gid: u32) -> &Self {
        let p = self.path(host_path);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        chown(&p, Some(uid), Some(gid)).unwrap();
        self
    }

    fn own(&self, host_path: &str, uid: u32, gid: u32) -> &Self {
        chown(self.path(host_path), Some(uid), Some(gid)).unwrap();
        self
    }

    /// Start a process with this argv (argv[0] included) and environment, and make it
    /// visible in the host's proc directory.
    fn process(&mut self, argv: &[&str], env: &[(&str, &str)]) -> u32 {
        self.process_via(&std::env::current_exe().unwrap(), argv, env)
    }

    /// The same, executing `program` (a link to this binary named like a component, for
    /// `comm`).
    fn process_via(&mut self, program: &Path, argv: &[&str], env: &[(&str, &str)]) -> u32 {
        let child = Command::new(program)
            .arg0(argv[0])
            .args(&argv[1..])
            .env(FAKE, "1")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push(child);
        // The child shows its argv once exec is done: wait for it.
        let cmdline = format!("/proc/{pid}/cmdline");
        for _ in 0..500 {
            let now = std::fs::read(&cmdline).unwrap_or_default();
            if now.starts_with(argv[0].as_bytes()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        symlink(
            format!("/proc/{pid}"),
            self.root().join("proc").join(pid.to_string()),
        )
        .unwrap();
        pid
    }

    fn run(&self) -> NodeReport {
        self.run_with(Options::default())
    }

    fn run_with(&self, mut o: Options) -> NodeReport {
        o.root = self.root();
        kubeward_node::run(&o)
    }
}

fn get<'a>(r: &'a NodeReport, id: &str) -> &'a kubeward_node::CheckResult {
    r.results
        .iter()
        .find(|x| x.check.id == id)
        .unwrap_or_else(|| panic!("no result {id}"))
}

fn status(r: &NodeReport, id: &str) -> Status {
    get(r, id).status
}

fn dump(r: &NodeReport) -> String {
    let mut out = Vec::new();
    report::write_text(r, &mut out, false, Severity::Low).unwrap();
    String::from_utf8(out).unwrap()
}

// ---------------------------------------------------------------------------------------
// A hardened kubeadm-like control-plane node
// ---------------------------------------------------------------------------------------

const APISERVER: &[&str] = &[
    "kube-apiserver",
    "--advertise-address=10.0.0.10",
    "--anonymous-auth=false",
    "--authorization-mode=Node,RBAC",
    "--client-ca-file=/etc/kubernetes/pki/ca.crt",
    "--enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs",
    "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
    "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
    "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
    "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
    "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
    "--profiling=false",
    "--audit-log-path=/var/log/kubernetes/audit.log",
    "--audit-log-maxage=30",
    "--audit-log-maxbackup=10",
    "--audit-log-maxsize=100",
    "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
    "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
    "--service-account-extend-token-expiration=false",
    "--encryption-provider-config=/etc/kubernetes/encryption.yaml",
    "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
    "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
];

const CONTROLLER_MANAGER: &[&str] = &[
    "kube-controller-manager",
    "--bind-address=127.0.0.1",
    "--kubeconfig=/etc/kubernetes/controller-manager.conf",
    "--profiling=false",
    "--root-ca-file=/etc/kubernetes/pki/ca.crt",
    "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
    "--use-service-account-credentials=true",
    "--terminated-pod-gc-threshold=10",
];

const SCHEDULER: &[&str] = &[
    "kube-scheduler",
    "--bind-address=127.0.0.1",
    "--kubeconfig=/etc/kubernetes/scheduler.conf",
    "--profiling=false",
];

const ETCD: &[&str] = &[
    "etcd",
    "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
    "--key-file=/etc/kubernetes/pki/etcd/server.key",
    "--client-cert-auth=true",
    "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
    "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
    "--peer-client-cert-auth=true",
    "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
    "--data-dir=/var/lib/etcd",
];

const KUBELET: &[&str] = &[
    "/usr/bin/kubelet",
    "--kubeconfig=/etc/kubernetes/kubelet.conf",
    "--config=/var/lib/kubelet/config.yaml",
    "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
];

const KUBELET_CONFIG: &str = "\
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
readOnlyPort: 0
rotateCertificates: true
seccompDefault: true
podPidsLimit: 4096
tlsCertFile: /var/lib/kubelet/pki/kubelet.crt
tlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet.key
tlsCipherSuites:
- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
- TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
";

/// A static pod manifest running `argv`.
fn manifest(name: &str, argv: &[&str]) -> String {
    let mut s = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: {name}\n    image: registry.k8s.io/{name}:v1.32.0\n    command:\n"
    );
    for w in argv {
        s.push_str(&format!("    - {w}\n"));
    }
    s
}

/// Files of a hardened control-plane node (modes and owners as the benchmark wants).
fn hardened_files(h: &Host) {
    for (name, argv) in [
        ("kube-apiserver", APISERVER),
        ("kube-controller-manager", CONTROLLER_MANAGER),
        ("kube-scheduler", SCHEDULER),
        ("etcd", ETCD),
    ] {
        h.file(
            &format!("/etc/kubernetes/manifests/{name}.yaml"),
            &manifest(name, argv),
            0o600,
        );
    }
    for f in [
        "admin.conf",
        "super-admin.conf",
        "scheduler.conf",
        "controller-manager.conf",
        "kubelet.conf",
    ] {
        h.file(
            &format!("/etc/kubernetes/{f}"),
            "apiVersion: v1\nkind: Config\n",
            0o600,
        );
    }
    for f in ["ca.crt", "apiserver.crt", "etcd/ca.crt"] {
        h.file(&format!("/etc/kubernetes/pki/{f}"), "cert", 0o644);
    }
    for f in ["ca.key", "apiserver.key", "sa.key", "etcd/ca.key"] {
        h.file(&format!("/etc/kubernetes/pki/{f}"), "key", 0o600);
    }
    h.dir("/var/lib/etcd", 0o700, 998, 998);
    h.file("/etc/cni/net.d/10-bridge.conflist", "{}", 0o600);
    h.file(
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "[Service]\n",
        0o600,
    );
    h.file("/var/lib/kubelet/config.yaml", KUBELET_CONFIG, 0o600);
    h.file("/etc/kubernetes/encryption.yaml", ENCRYPTION_AESCBC, 0o600);
}

/// An EncryptionConfiguration as the Kubernetes documentation writes it ("Encrypting
/// Confidential Data at Rest"): aescbc first for Secrets, identity kept to read old data.
const ENCRYPTION_AESCBC: &str = "apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
      - configmaps
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: c2VjcmV0IGlzIHNlY3VyZQ==
      - identity: {}
";

fn hardened_processes(h: &mut Host) {
    for argv in [APISERVER, CONTROLLER_MANAGER, SCHEDULER, ETCD, KUBELET] {
        h.process(argv, &[]);
    }
    h.process(
        &["kube-proxy", "--config=/var/lib/kube-proxy/config.conf"],
        &[],
    );
    h.file(
        "/var/lib/kube-proxy/config.conf",
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n",
        0o600,
    );
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

fn hardened_control_plane_has_no_fail() {
    let mut h = Host::new();
    hardened_files(&h);
    hardened_processes(&mut h);
    let r = h.run();
    assert_eq!(r.role, Role::Master, "detected from the processes");
    assert!(!r.role_forced);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let fails: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.status == Status::Fail)
        .collect();
    assert!(fails.is_empty(), "{}", dump(&r));
    // Every section is there, with each check once.
    assert_eq!(r.results.len(), Benchmark::Cis1_12.checks().count());
    for id in [
        "1.1.1", "1.1.12", "1.1.19", "1.2.6", "1.2.29", "1.3.7", "1.4.2", "2.2", "4.1.5", "4.2.1",
        "4.2.12", "4.3.1",
    ] {
        assert_eq!(status(&r, id), Status::Pass, "{id}\n{}", dump(&r));
    }
    for id in ["1.2.20", "3.1.1", "3.2.2"] {
        assert_eq!(status(&r, id), Status::Manual, "{id}");
    }
    // Read from the EncryptionConfiguration: aescbc writes Secrets.
    assert_eq!(status(&r, "1.2.27"), Status::Pass, "{}", dump(&r));
    assert_eq!(status(&r, "1.2.28"), Status::Pass, "{}", dump(&r));
    assert_eq!(
        get(&r, "1.2.28").observed,
        "/etc/kubernetes/encryption.yaml: the first provider for secrets is aescbc"
    );
    let at = get(&r, "1.2.28").location.as_ref().unwrap();
    assert_eq!(
        (at.file.as_str(), at.line, at.column),
        ("/etc/kubernetes/encryption.yaml", Some(8), Some(9))
    );
    // Processes are the source, and their manifests are known for 1.1.x.
    let api = r
        .components
        .iter()
        .find(|c| c.name == "kube-apiserver")
        .unwrap();
    assert!(matches!(api.source, kubeward_node::Source::Process { .. }));
    assert_eq!(
        api.manifest.as_deref(),
        Some("/etc/kubernetes/manifests/kube-apiserver.yaml")
    );
    let kubelet = r.components.iter().find(|c| c.name == "kubelet").unwrap();
    assert_eq!(
        kubelet.config.as_deref(),
        Some("/var/lib/kubelet/config.yaml")
    );
    assert_eq!(
        get(&r, "4.2.1").observed,
        "authentication.anonymous.enabled: false"
    );
    assert_eq!(
        get(&r, "4.2.1")
            .location
            .as_ref()
            .map(|l| (l.file.as_str(), l.line, l.column)),
        Some(("/var/lib/kubelet/config.yaml", Some(5), Some(14)))
    );
    assert_eq!(r.exit_code(Severity::Low), 0);
}

fn insecure_control_plane_fails_with_observed_and_expected() {
    let mut h = Host::new();
    hardened_files(&h);
    // 644 manifest, world-readable admin.conf, an etcd data dir owned by root.
    std::fs::set_permissions(
        h.path("/etc/kubernetes/manifests/kube-apiserver.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(
        h.path("/etc/kubernetes/admin.conf"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    h.own("/var/lib/etcd", 0, 0);
    h.own("/etc/kubernetes/pki/sa.key", 1000, 1000);
    h.process(
        &[
            "kube-apiserver",
            "--authorization-mode=AlwaysAllow",
            "--token-auth-file=/etc/kubernetes/tokens.csv",
            "--profiling",
            "false",
            "--enable-admission-plugins",
            "AlwaysAdmit",
        ],
        &[],
    );
    h.process(&["kube-controller-manager", "--profiling=false"], &[]);
    h.process(
        &["etcd", "--auto-tls=true", "--data-dir=/var/lib/etcd"],
        &[],
    );
    let r = h.run();
    let fail = |id: &str, observed: &str, expected: &str| {
        let x = get(&r, id);
        assert_eq!(
            (x.status, x.observed.as_str(), x.expected.as_str()),
            (Status::Fail, observed, expected),
            "{id}"
        );
    };
    fail(
        "1.1.1",
        "permissions 644 (/etc/kubernetes/manifests/kube-apiserver.yaml)",
        "permissions 600 or more restrictive",
    );
    fail(
        "1.1.12",
        "owner root:root (/var/lib/etcd)",
        "owner etcd:etcd",
    );
    fail(
        "1.1.13",
        "1 of 2 fail: permissions 644 (/etc/kubernetes/admin.conf)",
        "permissions 600 or more restrictive",
    );
    fail(
        "1.1.19",
        "1 of 9 fail: owner 1000:1000 (/etc/kubernetes/pki/sa.key)",
        "owner root:root",
    );
    fail(
        "1.2.2",
        "--token-auth-file=/etc/kubernetes/tokens.csv",
        "--token-auth-file: not set",
    );
    fail(
        "1.2.6",
        "--authorization-mode=AlwaysAllow",
        "--authorization-mode: does not include AlwaysAllow",
    );
    fail(
        "1.2.10",
        "--enable-admission-plugins=AlwaysAdmit",
        "--enable-admission-plugins: does not include AlwaysAdmit",
    );
    // `--profiling false`: a boolean never takes the next word, profiling stays on.
    fail("1.2.15", "--profiling=true", "--profiling: false");
    fail(
        "1.3.7",
        "--bind-address not set (default 0.0.0.0)",
        "--bind-address: 127.0.0.1",
    );
    fail(
        "2.2",
        "--client-cert-auth not set (default false)",
        "--client-cert-auth: true",
    );
    fail("2.3", "--auto-tls=true", "--auto-tls: not true");
    assert_eq!(
        get(&r, "1.1.19").location.as_ref().unwrap().file,
        "/etc/kubernetes/pki/sa.key"
    );
    // Manual recommendations that fail are WARN; a missing component is WARN too.
    assert_eq!(status(&r, "1.2.1"), Status::Warn);
    assert_eq!(
        get(&r, "1.2.1").observed,
        "--anonymous-auth not set (default true)"
    );
    assert_eq!(
        status(&r, "1.4.1"),
        Status::Pass,
        "scheduler runs from its manifest"
    );
    assert_eq!(status(&r, "4.2.1"), Status::Warn);
    assert_eq!(
        get(&r, "4.2.1").observed,
        "kubelet not found on this node (no process)"
    );
    assert_eq!(r.exit_code(Severity::Low), 1);
    assert_eq!(r.exit_code(Severity::Critical), 1, "1.2.6 is critical");
    let text = dump(&r);
    assert!(text.contains("[FAIL] 1.2.6 Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)\n       observed: --authorization-mode=AlwaysAllow\n"), "{text}");
    assert!(text.contains("== Remediations ==\n"));
}

/// CIS 1.2.27 and 1.2.28 fail when Secrets are not encrypted at rest: no
/// --encryption-provider-config, identity as the first provider for secrets, or no entry for
/// secrets (the API server then writes them unencrypted).
fn encryption_at_rest_is_read_from_the_encryption_configuration() {
    let cases: &[(Option<&str>, Status, Status, &str)] = &[
        (
            None,
            Status::Fail,
            Status::Fail,
            "--encryption-provider-config not set: Secrets are written to etcd unencrypted",
        ),
        (
            Some("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc:\n      keys: [{name: k, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]\n"),
            Status::Pass,
            Status::Fail,
            "/etc/kubernetes/encryption.yaml: the first provider for secrets is identity: Secrets are written unencrypted",
        ),
        (
            Some("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [configmaps]\n  providers:\n  - secretbox:\n      keys: [{name: k, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]\n"),
            Status::Pass,
            Status::Fail,
            "/etc/kubernetes/encryption.yaml: no resources entry covers secrets, so they are written unencrypted (identity)",
        ),
        (
            Some("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: ['*.*']\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///run/kms.sock\n"),
            Status::Pass,
            Status::Pass,
            "/etc/kubernetes/encryption.yaml: the first provider for secrets is kms",
        ),
        (
            Some("apiVersion: v1\nkind: Config\n"),
            Status::Fail,
            Status::Fail,
            "/etc/kubernetes/encryption.yaml: the file is not an EncryptionConfiguration",
        ),
    ];
    for (file, want_27, want_28, observed) in cases {
        let mut h = Host::new();
        let mut argv = vec!["kube-apiserver", "--authorization-mode=Node,RBAC"];
        if let Some(text) = file {
            h.file("/etc/kubernetes/encryption.yaml", text, 0o600);
            argv.push("--encryption-provider-config=/etc/kubernetes/encryption.yaml");
        }
        h.process(&argv, &[]);
        let r = h.run();
        assert_eq!(status(&r, "1.2.27"), *want_27, "{file:?}\n{}", dump(&r));
        assert_eq!(status(&r, "1.2.28"), *want_28, "{file:?}\n{}", dump(&r));
        assert_eq!(get(&r, "1.2.28").observed, *observed);
    }
    // A file that cannot be read is a located error and a WARN, not a PASS.
    let mut h = Host::new();
    h.process(
        &[
            "kube-apiserver",
            "--encryption-provider-config=/etc/kubernetes/missing.yaml",
        ],
        &[],
    );
    let r = h.run();
    assert_eq!(status(&r, "1.2.28"), Status::Warn);
    assert!(r.errors.iter().any(|e| e
        .to_string()
        .starts_with("/etc/kubernetes/missing.yaml: cannot read")));
}

fn flags_override_the_kubelet_config_file() {
    let mut h = Host::new();
    h.file(
        "/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\nauthorization:\n  mode: AlwaysAllow\nfeatureGates:\n  RotateKubeletServerCertificate: true\n  Other: true\nstreamingConnectionIdleTimeout: 0s\n",
        0o600,
    );
    h.process(
        &[
            "kubelet",
            "--config",
            "/var/lib/kubelet/config.yaml",
            "--anonymous-auth=true",
            "--authorization-mode=Webhook",
            "--feature-gates=RotateKubeletServerCertificate=false",
        ],
        &[],
    );
    let r = h.run();
    assert_eq!(r.role, Role::Worker);
    assert!(
        r.results.iter().all(|x| x.check.section() == "4"),
        "worker: section 4 only"
    );
    // The flag wins over the file's `enabled: false`.
    assert_eq!(status(&r, "4.2.1"), Status::Fail);
    assert_eq!(get(&r, "4.2.1").observed, "--anonymous-auth=true");
    // ... and over the file's AlwaysAllow.
    assert_eq!(status(&r, "4.2.2"), Status::Pass);
    assert_eq!(get(&r, "4.2.2").observed, "--authorization-mode=Webhook");
    // Feature gates merge key by key, the flag winning.
    assert_eq!(status(&r, "4.2.11"), Status::Warn);
    assert_eq!(
        get(&r, "4.2.11").observed,
        "--feature-gates=RotateKubeletServerCertificate=false merged over the config file: RotateKubeletServerCertificate=false,Other=true"
    );
    // From the file alone, located in it.
    let x = get(&r, "4.2.5");
    assert_eq!(
        (x.status, x.observed.as_str()),
        (Status::Warn, "streamingConnectionIdleTimeout: 0s")
    );
    assert_eq!(x.location.as_ref().and_then(|l| l.line), Some(11));
}

fn kubelet_defaults_depend_on_the_config_file() {
    // Without --config: the legacy defaults (anonymous on, AlwaysAllow, port 10255).
    let mut h = Host::new();
    h.process(
        &["kubelet", "--kubeconfig=/etc/kubernetes/kubelet.conf"],
        &[],
    );
    let r = h.run();
    assert_eq!(
        (status(&r, "4.2.1"), get(&r, "4.2.1").observed.as_str()),
        (Status::Fail, "--anonymous-auth / authentication.anonymous.enabled not set (default true, kubelet default without --config)")
    );
    assert_eq!(status(&r, "4.2.2"), Status::Fail);
    assert_eq!(
        get(&r, "4.2.4").observed,
        "--read-only-port / readOnlyPort not set (default 10255, kubelet default without --config)"
    );
    assert_eq!(
        status(&r, "4.2.6"),
        Status::Pass,
        "makeIPTablesUtilChains defaults to true"
    );
    // With a config file that says nothing: the KubeletConfiguration defaults.
    let mut h = Host::new();
    h.file(
        "/var/lib/kubelet/config.yaml",
        "{\"apiVersion\": \"kubelet.config.k8s.io/v1beta1\", \"kind\": \"KubeletConfiguration\"}\n",
        0o600,
    );
    h.process(&["kubelet", "--config=/var/lib/kubelet/config.yaml"], &[]);
    let r = h.run();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(status(&r, "4.2.1"), Status::Pass);
    assert_eq!(status(&r, "4.2.2"), Status::Pass);
    assert_eq!(status(&r, "4.2.4"), Status::Pass);
    assert_eq!(
        status(&r, "4.2.10"),
        Status::Fail,
        "rotateCertificates defaults to false"
    );
    assert_eq!(
        status(&r, "4.1.9"),
        Status::Pass,
        "config file 600 root:root"
    );
}

fn static_pod_manifests_are_a_second_source() {
    let h = Host::new();
    let insecure = manifest(
        "kube-apiserver",
        &[
            "kube-apiserver",
            "--authorization-mode=Node",
            "--profiling=true",
        ],
    );
    h.file(
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        &insecure,
        0o600,
    );
    h.file(
        "/etc/kubernetes/manifests/etcd.yaml",
        &manifest("etcd", ETCD),
        0o600,
    );
    h.file("/etc/kubernetes/manifests/notes.txt", "ignored", 0o600);
    let r = h.run();
    assert_eq!(r.role, Role::Master, "detected from the manifests");
    let api = r
        .components
        .iter()
        .find(|c| c.name == "kube-apiserver")
        .unwrap();
    assert_eq!(
        api.source,
        kubeward_node::Source::Manifest {
            file: "/etc/kubernetes/manifests/kube-apiserver.yaml".to_string(),
            container: "kube-apiserver".to_string()
        }
    );
    // Located at the flag's line and column in the manifest.
    let x = get(&r, "1.2.8");
    assert_eq!(
        (x.status, x.observed.as_str()),
        (Status::Fail, "--authorization-mode=Node")
    );
    let l = x.location.as_ref().unwrap();
    assert_eq!(
        (l.file.as_str(), l.line, l.column),
        (
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            Some(13),
            Some(7)
        )
    );
    assert_eq!(status(&r, "2.2"), Status::Pass);
    assert_eq!(
        status(&r, "1.3.2"),
        Status::Warn,
        "no controller manager at all"
    );
}

fn hyperkube_comm_and_etcd_environment() {
    let mut h = Host::new();
    h.process(
        &[
            "/usr/local/bin/hyperkube",
            "kube-apiserver",
            "--profiling=false",
        ],
        &[],
    );
    // argv[0] rewritten: the kernel's comm (the executable's name) still says what it is.
    let link = h.root().join("kube-controller-manager");
    symlink(std::env::current_exe().unwrap(), &link).unwrap();
    h.process_via(
        &link,
        &["renamed", "--profiling=false", "--bind-address=127.0.0.1"],
        &[],
    );
    // etcd reads ETCD_* variables for flags not given.
    h.process(
        &["etcd", "--cert-file=/c.crt"],
        &[
            ("ETCD_KEY_FILE", "/c.key"),
            ("ETCD_CLIENT_CERT_AUTH", "true"),
            ("ETCD_CERT_FILE", "/ignored.crt"),
        ],
    );
    let r = h.run();
    assert_eq!(status(&r, "1.2.15"), Status::Pass, "{}", dump(&r));
    assert_eq!(status(&r, "1.3.2"), Status::Pass);
    assert_eq!(status(&r, "1.3.7"), Status::Pass);
    assert_eq!(
        (status(&r, "2.2"), get(&r, "2.2").observed.as_str()),
        (Status::Pass, "ETCD_CLIENT_CERT_AUTH=true")
    );
    assert_eq!(
        get(&r, "2.1").observed,
        "--cert-file=/c.crt; ETCD_KEY_FILE=/c.key",
        "the flag wins over ETCD_CERT_FILE"
    );
    assert_eq!(status(&r, "2.1"), Status::Pass);
}

fn role_can_be_forced() {
    let mut h = Host::new();
    h.process(KUBELET, &[]);
    let worker = h.run();
    assert_eq!(worker.role, Role::Worker);
    assert!(worker.results.iter().all(|x| x.check.section() == "4"));
    let forced = h.run_with(Options {
        role: Some(Role::Master),
        ..Options::default()
    });
    assert!(forced.role_forced);
    assert_eq!(forced.results.len(), Benchmark::Cis1_12.checks().count());
    assert_eq!(status(&forced, "1.2.1"), Status::Warn);
    assert_eq!(
        get(&forced, "1.2.1").observed,
        "kube-apiserver not found on this node (no process, no static pod manifest)"
    );
    assert_eq!(status(&forced, "1.1.1"), Status::Warn);
    // The older benchmark has no 4.2.14 and other cipher lists.
    let old = h.run_with(Options {
        benchmark: Benchmark::Cis1_10,
        ..Options::default()
    });
    assert!(old.results.iter().all(|x| x.check.id != "4.2.14"));
}

fn bad_input_is_located_and_the_rest_still_runs() {
    let mut h = Host::new();
    // A kubelet config that does not parse: an error at its line and column.
    h.file("/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous: {enabled: false\n", 0o600);
    // A manifest that is not UTF-8, and one with a wrong type.
    h.file(
        "/etc/kubernetes/manifests/bad.yaml",
        "apiVersion: v1\nkind: Pod\n",
        0o600,
    );
    std::fs::write(
        h.path("/etc/kubernetes/manifests/bad.yaml"),
        b"apiVersion: v1\nkind: \xff\n",
    )
    .unwrap();
    h.process(&["kubelet", "--config=/var/lib/kubelet/config.yaml"], &[]);
    let r = h.run();
    let errors: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        errors.contains(&"/var/lib/kubelet/config.yaml:4:29: while parsing a flow mapping, did not find expected ',' or '}'".to_string()),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "/etc/kubernetes/manifests/bad.yaml:2:7: file is not valid UTF-8 text"),
        "{errors:?}"
    );
    // The kubelet is still checked, from its flags and defaults.
    assert_eq!(status(&r, "4.2.6"), Status::Pass);
    assert_eq!(r.exit_code(Severity::Critical), 2);

    // Wrong types and kinds in a config that parses; a config path that is a directory.
    let mut h = Host::new();
    h.file("/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: \"no\"\nreadOnlyPort: [0]\n", 0o600);
    h.dir("/etc/kube-proxy.yaml", 0o755, 0, 0);
    h.process(&["kubelet", "--config=/var/lib/kubelet/config.yaml"], &[]);
    h.process(&["kube-proxy", "--config=/etc/kube-proxy.yaml"], &[]);
    let r = h.run();
    let errors: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert!(errors.contains(&"/var/lib/kubelet/config.yaml:5:14: `authentication.anonymous.enabled` must be a boolean, found a string".to_string()), "{errors:?}");
    assert!(
        errors.contains(
            &"/var/lib/kubelet/config.yaml:6:15: `readOnlyPort` must be an integer, found a list"
                .to_string()
        ),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with(
            "/etc/kube-proxy.yaml: cannot read the kube-proxy config file (--config): "
        )),
        "{errors:?}"
    );
    let mut h = Host::new();
    h.file(
        "/var/lib/kubelet/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\n",
        0o600,
    );
    h.process(&["kubelet", "--config=/var/lib/kubelet/config.yaml"], &[]);
    let r = h.run();
    assert_eq!(
        r.errors[0].to_string(),
        "/var/lib/kubelet/config.yaml:2:7: `kind` must be KubeletConfiguration, found ConfigMap"
    );
}

fn every_format_is_valid() {
    let mut h = Host::new();
    hardened_files(&h);
    h.process(&["kube-apiserver", "--authorization-mode=AlwaysAllow"], &[]);
    h.file(
        "/var/lib/kubelet/config.yaml",
        "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nreadOnlyPort: {}\n",
        0o600,
    );
    h.process(KUBELET, &[]);
    let r = h.run();
    assert!(!r.errors.is_empty());

    let doc = report::to_json(&r, Severity::High);
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/kubeward-node-report.schema.json")).unwrap();
    assert_valid(&schema, jsonschema::Draft::Draft7, &doc);
    assert_eq!(
        doc["summary"]["fail"].as_u64().unwrap() as usize,
        r.count(Status::Fail)
    );
    assert_eq!(
        doc["summary"]["total"].as_u64().unwrap() as usize,
        r.results.len()
    );
    let first = &doc["results"][0];
    assert_eq!(
        (
            first["id"].as_str(),
            first["section"].as_str(),
            first["group"].as_str()
        ),
        (Some("1.1.1"), Some("1"), Some("1.1"))
    );
    // The schema is not a rubber stamp.
    let mut broken = doc.clone();
    broken["results"][0]["status"] = serde_json::json!("OK");
    assert!(jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .unwrap()
        .validate(&broken)
        .is_err());

    let sarif = report::to_sarif(&r);
    let sarif_schema: serde_json::Value = serde_json::from_str(include_str!(
        "../../kubeward-report/schema/sarif-schema-2.1.0.json"
    ))
    .unwrap();
    assert_valid(&sarif_schema, jsonschema::Draft::Draft4, &sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        r.count(Status::Fail),
        "FAILs are the results"
    );
    assert!(results.iter().any(|x| x["ruleId"] == "CIS-1.2.6"));

    let junit = report::to_junit(&r);
    let mut reader = quick_xml::Reader::from_str(&junit);
    let (mut failures, mut errors) = (0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(failures, r.count(Status::Fail));
    assert_eq!(errors, r.errors.len());
}

fn assert_valid(schema: &serde_json::Value, draft: jsonschema::Draft, doc: &serde_json::Value) {
    let v = jsonschema::options()
        .with_draft(draft)
        .build(schema)
        .expect("schema compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

fn main() {
    if std::env::var_os(FAKE).is_some() {
        // A fake component: live until the test closes our stdin (or kills us).
        let _ = std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]);
        return;
    }
    let tests: &[(&str, fn())] = &[
        (
            "hardened_control_plane_has_no_fail",
            hardened_control_plane_has_no_fail,
        ),
        (
            "insecure_control_plane_fails_with_observed_and_expected",
            insecure_control_plane_fails_with_observed_and_expected,
        ),
        (
            "encryption_at_rest_is_read_from_the_encryption_configuration",
            encryption_at_rest_is_read_from_the_encryption_configuration,
        ),
        (
            "flags_override_the_kubelet_config_file",
            flags_override_the_kubelet_config_file,
        ),
        (
            "kubelet_defaults_depend_on_the_config_file",
            kubelet_defaults_depend_on_the_config_file,
        ),
        (
            "static_pod_manifests_are_a_second_source",
            static_pod_manifests_are_a_second_source,
        ),
        (
            "hyperkube_comm_and_etcd_environment",
            hyperkube_comm_and_etcd_environment,
        ),
        ("role_can_be_forced", role_can_be_forced),
        (
            "bad_input_is_located_and_the_rest_still_runs",
            bad_input_is_located_and_the_rest_still_runs,
        ),
        ("every_format_is_valid", every_format_is_valid),
    ];
    // `cargo test` passes libtest flags (`--nocapture`, ...); the first other word filters.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, test) in tests.iter().filter(|(n, _)| n.contains(&filter)) {
        ran += 1;
        match std::panic::catch_unwind(test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
    }
    println!("\n{} passed; {} failed", ran - failed.len(), failed.len());
    if !failed.is_empty() {
        println!("failures: {failed:?}");
        std::process::exit(101);
    }
}
