//! Test-only: a real, throwaway Kubernetes control plane for end-to-end tests.
//!
//! [`TestCluster::start`] runs `shared/k8s/start-cluster.sh` with its own free ports and its own
//! run directory: etcd, a real kube-apiserver v1.20 (RBAC on, audit log on, token users `admin`
//! and `dev-user`) and, unless switched off, kube-controller-manager. Dropping the
//! [`TestCluster`] stops exactly those processes (`stop-cluster.sh` with its run directory) and
//! removes the directory. Several clusters may run at once, in one test binary or many.
//!
//! ```no_run
//! use kubeward_testkit::TestCluster;
//!
//! #[tokio::test]
//! async fn lists_namespaces() {
//!     let cluster = TestCluster::start();
//!     let client = cluster.kube_client().await;
//!     // ... kube::Api::<Namespace>::all(client).list(..) ...
//! }
//! ```
//!
//! If the API server binaries are missing, starting panics with the command that builds them:
//! an end-to-end test never passes without having run. `scripts/test` builds them (once,
//! about 6 minutes) and runs the whole suite. See this crate's README for what the v1.20 API
//! server does not serve.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use kube::api::{Api, DynamicObject, GroupVersionKind, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiCapabilities, ApiResource, Scope};

pub use k8s_openapi;
pub use kube;

/// Where `build-apiserver.sh` puts the binaries unless `KUBEWARD_K8S_HOME` says otherwise.
pub const DEFAULT_BIN_DIR: &str = "/var/cache/kubeward-k8s/bin";

/// The Kubernetes version of the test API server (Debian's `kubernetes` source package).
pub const SERVER_VERSION: &str = "v1.20";

/// Options for a [`TestCluster`]; [`TestCluster::builder`] makes one.
#[derive(Clone, Debug)]
pub struct Builder {
    apiserver_args: Vec<String>,
    audit_policy: Option<PathBuf>,
    controller_manager: bool,
    bin_dir: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            apiserver_args: Vec::new(),
            audit_policy: None,
            controller_manager: true,
            bin_dir: None,
        }
    }
}

impl Builder {
    /// Extra kube-apiserver flags (`APISERVER_EXTRA_ARGS`), for example
    /// `["--enable-admission-plugins=PodSecurityPolicy"]`. A later flag overrides the script's
    /// own. Each argument must be one word: the script splits them at whitespace.
    pub fn apiserver_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.apiserver_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// An audit policy file (`audit.k8s.io/v1` Policy) instead of the default: every request
    /// at Metadata level.
    pub fn audit_policy(mut self, path: impl Into<PathBuf>) -> Self {
        self.audit_policy = Some(path.into());
        self
    }

    /// Whether to run kube-controller-manager (default: yes). Without it nothing turns
    /// Deployments into ReplicaSets and Pods, and no `default` service accounts are made;
    /// the start is a little lighter.
    pub fn controller_manager(mut self, on: bool) -> Self {
        self.controller_manager = on;
        self
    }

    /// The folder with kube-apiserver and kube-controller-manager, instead of
    /// `KUBEWARD_K8S_BIN` or [`DEFAULT_BIN_DIR`].
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Start the cluster, or panic with the reason (and, when the binaries are missing, the
    /// command that builds them). Blocks for a few seconds; fine inside `#[tokio::test]`.
    pub fn start(self) -> TestCluster {
        match self.try_start() {
            Ok(c) => c,
            Err(e) => panic!("kubeward-testkit: could not start the test cluster:\n{e:#}"),
        }
    }

    /// Start the cluster, or return why not.
    pub fn try_start(self) -> Result<TestCluster> {
        let shared = shared_dir()?;
        let start_script = shared.join("k8s/start-cluster.sh");
        let stop_script = shared.join("k8s/stop-cluster.sh");
        for s in [&start_script, &stop_script] {
            if !s.is_file() {
                bail!(
                    "{} is missing; set KUBEWARD_SHARED to the folder that holds k8s/start-cluster.sh \
                     (default: <workspace>/../shared)",
                    s.display()
                );
            }
        }
        let build_script = shared.join("k8s/build-apiserver.sh");
        let bin_dir = self.bin_dir.clone().unwrap_or_else(bin_dir);
        let mut needed = vec![bin_dir.join("kube-apiserver")];
        if self.controller_manager {
            needed.push(bin_dir.join("kube-controller-manager"));
        }
        let etcd = std::env::var_os("ETCD_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/etcd"));
        needed.push(etcd.clone());
        let missing: Vec<_> = needed.iter().filter(|p| !is_executable(p)).collect();
        if !missing.is_empty() {
            let list: Vec<_> = missing.iter().map(|p| p.display().to_string()).collect();
            bail!(
                "missing: {}\n\
                 End-to-end tests need a real Kubernetes API server. Build it once (about 6 minutes \
                 on an idle 2-core machine, 15 under load; needs root for apt-get):\n\n    bash {}\n\n\
                 or run the whole suite with scripts/test, which builds it and exports \
                 KUBEWARD_K8S_BIN.\n(looked in {}: from Builder::bin_dir, else KUBEWARD_K8S_BIN, else {})",
                list.join(", "),
                build_script.display(),
                bin_dir.display(),
                DEFAULT_BIN_DIR
            );
        }

        let audit_policy = match &self.audit_policy {
            // The script copies the policy after changing into the run directory.
            Some(p) => Some(
                std::fs::canonicalize(p)
                    .with_context(|| format!("audit policy {}", p.display()))?,
            ),
            None => None,
        };
        for a in &self.apiserver_args {
            if a.is_empty() || a.chars().any(char::is_whitespace) {
                bail!("apiserver argument {a:?} must be one non-empty word without whitespace");
            }
        }

        // A port can be taken between picking it and binding it (by another test process, or
        // another engineer's build); the script then fails fast, and we try again.
        let mut last_error = None;
        for attempt in 1..=3 {
            match self.start_once(&start_script, &stop_script, &bin_dir, &audit_policy) {
                Ok(c) => return Ok(c),
                Err(StartError::PortTaken(e)) if attempt < 3 => {
                    eprintln!("kubeward-testkit: port collision, retrying: {e}");
                    last_error = Some(e);
                }
                Err(StartError::PortTaken(e)) | Err(StartError::Other(e)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("could not start")))
    }

    fn start_once(
        &self,
        start_script: &Path,
        stop_script: &Path,
        bin_dir: &Path,
        audit_policy: &Option<PathBuf>,
    ) -> std::result::Result<TestCluster, StartError> {
        let other = StartError::Other;
        let run_dir = tempfile::Builder::new()
            .prefix("kubeward-k8s-")
            .tempdir()
            .context("creating the run directory")
            .map_err(other)?;
        let ports = pick_ports(4).map_err(other)?;
        let (apiserver_port, etcd_client, etcd_peer, cm_port) =
            (ports[0], ports[1], ports[2], ports[3]);

        let watchdog = spawn_watchdog(run_dir.path(), stop_script).map_err(other)?;
        let mut cluster = TestCluster {
            run_dir: Some(run_dir),
            run_path: PathBuf::new(),
            stop_script: stop_script.to_path_buf(),
            watchdog: Some(watchdog),
            apiserver_port,
            startup: Duration::ZERO,
        };
        cluster.run_path = cluster.run_dir.as_ref().unwrap().path().to_path_buf();

        let mut cmd = Command::new("bash");
        cmd.arg(start_script)
            .env("RUN_DIR", &cluster.run_path)
            .env("BIN_DIR", bin_dir)
            .env("APISERVER_PORT", apiserver_port.to_string())
            .env("ETCD_CLIENT_PORT", etcd_client.to_string())
            .env("ETCD_PEER_PORT", etcd_peer.to_string())
            .env(
                "START_CONTROLLER_MANAGER",
                if self.controller_manager { "1" } else { "0" },
            )
            .env("APISERVER_EXTRA_ARGS", self.apiserver_args.join(" "))
            // The script gives the controller manager the fixed secure port 10257; a later flag
            // wins, so each cluster gets its own.
            .env("CM_EXTRA_ARGS", format!("--secure-port={cm_port}"))
            .env_remove("APISERVER_BIN")
            .env_remove("CM_BIN")
            .env_remove("AUDIT_POLICY")
            .stdin(Stdio::null());
        if let Some(p) = audit_policy {
            cmd.env("AUDIT_POLICY", p);
        }
        let t0 = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("running bash {}", start_script.display()))
            .map_err(other)?;
        cluster.startup = t0.elapsed();
        if !out.status.success() {
            let mut msg = format!(
                "{} failed ({}) after {:.1}s\n--- its output:\n{}{}",
                start_script.display(),
                out.status,
                cluster.startup.as_secs_f64(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            for log in ["etcd.log", "kube-apiserver.log"] {
                let _ = write!(
                    msg,
                    "--- last lines of {log}:\n{}",
                    tail(&cluster.run_path.join(log), 15)
                );
            }
            // Dropping `cluster` stops whatever did start and removes the directory.
            let port_taken = msg.contains("already in use");
            drop(cluster);
            let e = anyhow!(msg);
            return Err(if port_taken {
                StartError::PortTaken(e)
            } else {
                StartError::Other(e)
            });
        }
        // /readyz says ok before the API server's bootstrap controller has created the
        // `default` namespace (seen: 20 ms later); a test that creates something there at once
        // would fail with "namespaces \"default\" not found".
        if let Err(e) = cluster.wait_for_default_namespace(Duration::from_secs(30)) {
            drop(cluster);
            return Err(StartError::Other(e));
        }
        cluster.startup = t0.elapsed();
        // The script's own timing: "etcd healthy after Xs", "ready in Ys (kube-apiserver ...)".
        let stderr = String::from_utf8_lossy(&out.stderr);
        let timing: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("healthy after") || l.contains("ready in"))
            .map(|l| l.trim_start_matches("[start-cluster] "))
            .collect();
        eprintln!(
            "kubeward-testkit: cluster ready in {:.1}s at {} (run dir {}; {})",
            cluster.startup.as_secs_f64(),
            cluster.server_url(),
            cluster.run_path.display(),
            timing.join("; ")
        );
        Ok(cluster)
    }
}

enum StartError {
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

/// A running etcd + kube-apiserver (+ controller manager) on loopback, stopped on drop.
///
/// The run directory holds `admin.kubeconfig` (user `admin`, group `system:masters`),
/// `dev.kubeconfig` (user `dev-user`, group `developers`, no RBAC bindings), `ca.crt`,
/// `audit.log` and each process's log. Set `KUBEWARD_KEEP_RUN_DIR=1` to keep it after the test;
/// it is also kept when the test panics, and its path is printed.
pub struct TestCluster {
    run_dir: Option<tempfile::TempDir>,
    run_path: PathBuf,
    stop_script: PathBuf,
    watchdog: Option<Child>,
    apiserver_port: u16,
    startup: Duration,
}

impl TestCluster {
    /// Start a cluster with the defaults (controller manager on, default audit policy).
    /// Panics, loudly, if it cannot.
    pub fn start() -> TestCluster {
        Builder::default().start()
    }

    /// Options: extra API server flags, an audit policy, the controller manager on or off.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `https://127.0.0.1:PORT`.
    pub fn server_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.apiserver_port)
    }

    pub fn apiserver_port(&self) -> u16 {
        self.apiserver_port
    }

    /// How long `start-cluster.sh` took (until `/readyz` said ok).
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_path
    }

    /// Kubeconfig of `admin` (group `system:masters`: may do anything).
    pub fn admin_kubeconfig(&self) -> PathBuf {
        self.run_path.join("admin.kubeconfig")
    }

    /// Kubeconfig of `dev-user` (group `developers`; no RBAC bindings until a test makes some).
    pub fn dev_kubeconfig(&self) -> PathBuf {
        self.run_path.join("dev.kubeconfig")
    }

    /// The API server's audit log (JSON lines, `audit.k8s.io/v1` Events).
    pub fn audit_log(&self) -> PathBuf {
        self.run_path.join("audit.log")
    }

    /// The CA that signed the API server's serving certificate (PEM file).
    pub fn ca_cert(&self) -> PathBuf {
        self.run_path.join("ca.crt")
    }

    /// The API server's own log, for debugging a test.
    pub fn apiserver_log(&self) -> PathBuf {
        self.run_path.join("kube-apiserver.log")
    }

    /// A client acting as `admin`.
    pub async fn kube_client(&self) -> kube::Client {
        client_from_kubeconfig(&self.admin_kubeconfig())
            .await
            .unwrap_or_else(|e| panic!("admin client: {e:#}"))
    }

    /// A client acting as `dev-user`.
    pub async fn dev_client(&self) -> kube::Client {
        client_from_kubeconfig(&self.dev_kubeconfig())
            .await
            .unwrap_or_else(|e| panic!("dev-user client: {e:#}"))
    }

    /// Create every object of a YAML stream as `admin`; see [`create_yaml`].
    pub async fn create_yaml(&self, yaml: &str) -> Vec<DynamicObject> {
        let client = self.kube_client().await;
        create_yaml(&client, yaml)
            .await
            .unwrap_or_else(|e| panic!("creating objects: {e:#}"))
    }

    /// Wait until `namespace` has its `default` ServiceAccount with its token Secret, which
    /// the controller manager creates a moment after the namespace. Until then v1.20's
    /// ServiceAccount admission plugin rejects every Pod in it ("serviceaccount \"default\"
    /// not found", then HTTP 500 "No API token found for service account"): call this before
    /// creating Pods. Needs the controller manager (the default).
    pub async fn wait_for_default_service_account(&self, namespace: &str) {
        let api: Api<k8s_openapi::api::core::v1::ServiceAccount> =
            Api::namespaced(self.kube_client().await, namespace);
        eventually(
            Duration::from_secs(30),
            &format!("ServiceAccount {namespace}/default"),
            || {
                let api = api.clone();
                async move {
                    api.get_opt("default")
                        .await
                        .ok()
                        .flatten()
                        .filter(|sa| sa.secrets.as_ref().is_some_and(|s| !s.is_empty()))
                }
            },
        )
        .await;
    }

    /// A kubeconfig (written into `dir`) that acts as ServiceAccount `namespace/name` with its
    /// token, once the controller manager's token controller has written it into a Secret
    /// named in the ServiceAccount's `secrets` (v1.20). Its context is named `name`.
    pub async fn service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
        dir: &Path,
    ) -> PathBuf {
        use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
        let client = self.kube_client().await;
        let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
        let secrets: Api<Secret> = Api::namespaced(client, namespace);
        let token = eventually(
            Duration::from_secs(30),
            &format!("ServiceAccount {namespace}/{name}'s token Secret"),
            || {
                let (sas, secrets) = (sas.clone(), secrets.clone());
                async move {
                    let sa = sas.get_opt(name).await.ok()??;
                    let secret_name = sa.secrets?.first()?.name.clone()?;
                    let secret = secrets.get_opt(&secret_name).await.ok()??;
                    let token = secret.data?.get("token")?.0.clone();
                    String::from_utf8(token).ok()
                }
            },
        )
        .await;
        let path = dir.join(format!("{name}.kubeconfig"));
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
                 users:\n- name: {name}\n  user:\n    token: {token}\n\
                 contexts:\n- name: {name}\n  context: {{cluster: test, user: {name}}}\ncurrent-context: {name}\n",
                self.server_url(),
                self.ca_cert().display()
            ),
        )
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// The audit events written so far (one JSON object per complete line). The API server
    /// writes an event when a request completes, so poll with [`eventually`] for a recent one.
    pub fn audit_events(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.audit_log()).unwrap_or_default();
        text.split_inclusive('\n')
            .filter(|l| l.ends_with('\n') && !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("audit log line is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

impl TestCluster {
    fn wait_for_default_namespace(&self, timeout: Duration) -> Result<()> {
        let tokens = std::fs::read_to_string(self.run_path.join("tokens.csv"))
            .context("reading tokens.csv")?;
        let token = tokens
            .lines()
            .find_map(|l| {
                let mut f = l.split(',');
                let token = f.next()?;
                (f.next()? == "admin").then_some(token)
            })
            .context("no admin token in tokens.csv")?;
        let url = format!("{}/api/v1/namespaces/default", self.server_url());
        let deadline = Instant::now() + timeout;
        loop {
            let out = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
                .arg(self.ca_cert())
                .arg("-H")
                .arg(format!("Authorization: Bearer {token}"))
                .arg(&url)
                .stdin(Stdio::null())
                .output()
                .context("running curl")?;
            if out.stdout == b"200" {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the API server was ready but namespace `default` did not appear within {timeout:?} \
                     (last HTTP status {})",
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let t0 = Instant::now();
        match Command::new("bash")
            .arg(&self.stop_script)
            .env("RUN_DIR", &self.run_path)
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "kubeward-testkit: {} failed ({}): {}",
                self.stop_script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("kubeward-testkit: could not run stop-cluster.sh: {e}"),
        }
        // The processes are stopped: tell the watchdog it has nothing to do.
        if let Some(mut w) = self.watchdog.take() {
            if let Some(mut stdin) = w.stdin.take() {
                let _ = stdin.write_all(b"done\n");
            }
            let _ = w.wait();
        }
        eprintln!(
            "kubeward-testkit: cluster {} stopped in {:.1}s",
            self.server_url(),
            t0.elapsed().as_secs_f64()
        );
        if let Some(dir) = self.run_dir.take() {
            if std::thread::panicking() || std::env::var_os("KUBEWARD_KEEP_RUN_DIR").is_some() {
                let p = dir.keep();
                eprintln!(
                    "kubeward-testkit: kept the run directory {} (logs, audit.log, kubeconfigs)",
                    p.display()
                );
            }
        }
    }
}

/// If the test process dies without dropping its cluster (killed, `panic = "abort"`, timeout),
/// the pipe to this shell closes and it stops the cluster and removes the run directory. It
/// runs in its own process group so that Ctrl-C on the test run does not kill it first.
fn spawn_watchdog(run_dir: &Path, stop_script: &Path) -> Result<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(
            r#"read -r line; if [ "$line" != done ]; then RUN_DIR="$1" bash "$2" >/dev/null 2>&1; rm -rf "$1"; fi"#,
        )
        .arg("kubeward-testkit-watchdog")
        .arg(run_dir)
        .arg(stop_script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting the watchdog shell")
}

/// Ports handed out by this process, never handed out twice.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// `n` distinct loopback ports that were free a moment ago.
fn pick_ports(n: usize) -> Result<Vec<u16>> {
    let mut guard = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let used = guard.get_or_insert_with(HashSet::new);
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < n {
        let l = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
        let p = l.local_addr()?.port();
        if used.insert(p) {
            ports.push(p);
        }
        held.push(l);
        if held.len() > 100 {
            bail!("could not find {n} free loopback ports");
        }
    }
    Ok(ports)
}

fn shared_dir() -> Result<PathBuf> {
    if let Some(s) = std::env::var_os("KUBEWARD_SHARED") {
        return Ok(PathBuf::from(s));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = std::fs::canonicalize(&workspace)
        .with_context(|| format!("workspace {}", workspace.display()))?;
    Ok(workspace
        .parent()
        .map(|p| p.join("shared"))
        .unwrap_or_else(|| PathBuf::from("shared")))
}

/// `KUBEWARD_K8S_BIN` (the folder with kube-apiserver, or kube-apiserver itself) or the default.
fn bin_dir() -> PathBuf {
    match std::env::var_os("KUBEWARD_K8S_BIN") {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or(p)
            } else {
                p
            }
        }
        None => PathBuf::from(DEFAULT_BIN_DIR),
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn tail(p: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| format!("({e})\n"));
    let all: Vec<&str> = text.lines().collect();
    let mut s = all[all.len().saturating_sub(lines)..].join("\n");
    s.push('\n');
    s
}

/// A client from a kubeconfig file (its current context).
pub async fn client_from_kubeconfig(path: &Path) -> Result<kube::Client> {
    let kc = Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .with_context(|| format!("kubeconfig {}", path.display()))?;
    kube::Client::try_from(config).context("building the client")
}

/// Parse a YAML stream (several documents, `kind: List` expanded, empty documents skipped)
/// into objects, with kubeward's own YAML reader.
pub fn parse_yaml(yaml: &str) -> Result<Vec<DynamicObject>> {
    let parsed = kubeward_yaml::parse_str(yaml, &kubeward_yaml::Limits::default());
    if let Some(p) = parsed.error {
        bail!("YAML error at {}: {}", p.pos, p.message);
    }
    let mut out = Vec::new();
    let mut values: Vec<serde_json::Value> = parsed
        .documents
        .iter()
        .map(|d| d.root().to_json())
        .collect();
    while !values.is_empty() {
        let v = values.remove(0);
        if v.is_null() {
            continue;
        }
        if v.get("kind").and_then(|k| k.as_str()) == Some("List") {
            if let Some(items) = v.get("items").and_then(|i| i.as_array()) {
                values.splice(0..0, items.iter().cloned());
            }
            continue;
        }
        let obj: DynamicObject = serde_json::from_value(v.clone())
            .with_context(|| format!("not a Kubernetes object: {v}"))?;
        if obj.types.is_none() {
            bail!("object without apiVersion and kind: {v}");
        }
        out.push(obj);
    }
    Ok(out)
}

/// Split `apiVersion` + `kind` into a GroupVersionKind.
pub fn gvk(api_version: &str, kind: &str) -> GroupVersionKind {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    GroupVersionKind::gvk(group, version, kind)
}

/// Discover a kind. Errors say plainly when the server does not serve it (for example
/// `batch/v1` CronJob on v1.20).
pub async fn discover(
    client: &kube::Client,
    api_version: &str,
    kind: &str,
) -> Result<(ApiResource, ApiCapabilities)> {
    match kube::discovery::pinned_kind(client, &gvk(api_version, kind)).await {
        Ok(found) => Ok(found),
        Err(e) if is_not_served(&e) => {
            bail!("{api_version} {kind} is not served by this API server ({SERVER_VERSION}): {e}")
        }
        Err(e) => Err(e).with_context(|| format!("discovering {api_version} {kind}")),
    }
}

/// Whether the server serves `apiVersion` + `kind` (a missing group/version or kind is
/// `false`, not an error).
pub async fn is_served(client: &kube::Client, api_version: &str, kind: &str) -> Result<bool> {
    match kube::discovery::pinned_kind(client, &gvk(api_version, kind)).await {
        Ok(_) => Ok(true),
        Err(e) if is_not_served(&e) => Ok(false),
        Err(e) => Err(e).with_context(|| format!("discovering {api_version} {kind}")),
    }
}

fn is_not_served(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

/// A dynamic API for a kind: namespaced kinds in `namespace` (default `default`), cluster
/// kinds cluster-wide.
pub async fn dynamic_api(
    client: &kube::Client,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
) -> Result<Api<DynamicObject>> {
    let (ar, caps) = discover(client, api_version, kind).await?;
    Ok(match caps.scope {
        Scope::Namespaced => {
            Api::namespaced_with(client.clone(), namespace.unwrap_or("default"), &ar)
        }
        Scope::Cluster => Api::all_with(client.clone(), &ar),
    })
}

/// Create every object of a YAML stream on the server, in order, the way `kubectl create -f`
/// does (a POST each, no kubectl): discovery finds each kind's resource and scope, a namespaced
/// object without `metadata.namespace` goes to `default`. Stops at the first error (an object
/// that already exists is an error). Returns the objects as the server stored them.
pub async fn create_yaml(client: &kube::Client, yaml: &str) -> Result<Vec<DynamicObject>> {
    let mut created = Vec::new();
    for obj in parse_yaml(yaml)? {
        let types = obj
            .types
            .clone()
            .expect("parse_yaml checks apiVersion and kind");
        let name = obj.metadata.name.clone().unwrap_or_default();
        let api = dynamic_api(
            client,
            &types.api_version,
            &types.kind,
            obj.metadata.namespace.as_deref(),
        )
        .await?;
        let done = api
            .create(&PostParams::default(), &obj)
            .await
            .with_context(|| format!("creating {} {} {name}", types.api_version, types.kind))?;
        created.push(done);
    }
    Ok(created)
}

/// Poll `check` every 200 ms until it returns `Some`, and return that; panic after `timeout`
/// saying what was awaited. For things that happen asynchronously: a controller creating a
/// ReplicaSet, an audit event being written.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
