//! Command-line arguments. Usage errors exit with 2 (clap's default), as do input errors.

use clap::{Args, Parser, Subcommand, ValueEnum};
use kubeward_controls::{PssVersion, Severity};
use kubeward_engine::Framework;
use kubeward_report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "kubeward",
    version,
    about = "Find and block Kubernetes security misconfigurations",
    long_about = "Find and block Kubernetes security misconfigurations.\n\n\
        One engine of controls (Pod Security Standards, NSA/CISA, CIS) behind several front doors.\n\
        Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan manifests: files, directories (recursively: .yaml, .yml, .json) and `-` for stdin.
    Scan(ScanCommand),
    /// Fix manifests in place for the controls whose fix is certain (docs/fix.md); the others
    /// get a suggestion. Exit codes as scan: 0 nothing left, 1 findings remain, 2 error.
    Fix(FixArgs),
    /// List the controls.
    Controls(ControlsArgs),
    /// Write a commented starter `.kubeward.yaml` in the working directory (never overwrites).
    Init {
        /// Where to write it.
        #[arg(default_value = ".kubeward.yaml")]
        path: std::path::PathBuf,
    },
    /// Print a control's documentation (by ID, name, or PSS check ID).
    Explain {
        /// KW101, privileged-container, or privileged
        id: String,
    },
    /// Run the validating admission webhook (docs/serve.md).
    Serve(ServeArgs),
    /// Write a CA and a serving certificate for the webhook, and print the caBundle.
    Cert(CertArgs),
    /// Check this node's control-plane and kubelet configuration against the CIS Kubernetes
    /// Benchmark, sections 1 to 4 (docs/node.md).
    Node(NodeArgs),
    /// RBAC: who may do what, per subject, with risks and escalation paths (docs/rbac.md).
    Rbac {
        #[command(subcommand)]
        command: RbacCommand,
    },
    /// Find attacks and risky actions in API server audit logs (docs/audit.md);
    /// `kubeward audit policy` prints the audit policy the detections need.
    Audit(AuditArgs),
    /// Scan a live cluster through its API, or a `kubectl get -A -o yaml` dump (docs/cluster.md).
    Cluster(ClusterArgs),
    /// What container images hold (SBOM) and which known vulnerabilities they carry
    /// (docs/image.md).
    Image(ImageArgs),
    /// The offline vulnerability database: import OSV exports, show its status, update it.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// NetworkPolicy reachability: the allowed connections, and whether one is allowed and
    /// by which policy and rule (docs/netpol.md).
    Netpol {
        #[command(subcommand)]
        command: NetpolCommand,
    },
    /// Ranked attack paths from an entry point (the internet, any pod, a user or group) to an
    /// impact (cluster-admin, a node, Secrets, a data volume), each step with its evidence
    /// (docs/risks.md); exit 1 when there is one.
    Risks(AttackPathArgs),
    /// Gatekeeper policies: `kubeward policy test SUITE...` runs `gator verify` suites
    /// (ConstraintTemplates in Rego and K8sNativeValidation CEL); exit 0 all pass, 1 a case
    /// failed, 2 input error.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Reports of earlier runs: `kubeward report merge A.json B.json ... --format html`
    /// merges JSON reports (one per cluster or repository) into one fleet report
    /// (docs/html-report.md).
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Merge `--format json` reports of `scan`, `cluster` or `audit` into one HTML fleet
    /// report; exit 0 when every report was merged, 2 when one could not be read (the others
    /// are merged all the same).
    Merge(ReportMergeArgs),
}

#[derive(Args, Debug)]
pub struct ReportMergeArgs {
    /// JSON reports written with `--format json`.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<std::path::PathBuf>,
    /// Output format: html.
    #[arg(short, long, default_value = "html", value_parser = ["html"])]
    pub format: String,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run Gatekeeper `gator verify` suite files (`kind: Suite`) and print pass/fail per case.
    Test(PolicyTestArgs),
}

#[derive(Args, Debug)]
pub struct PolicyTestArgs {
    /// Suite files, or directories searched recursively for them.
    #[arg(value_name = "SUITE", required = true)]
    pub suites: Vec<std::path::PathBuf>,
    /// Which engine runs a template: `auto` (K8sNativeValidation when the template has it,
    /// Rego otherwise, as gator does), `rego` or `cel` (cases of templates without code for
    /// that engine are skipped).
    #[arg(long, default_value = "auto", value_parser = ["auto", "rego", "cel"])]
    pub engine: String,
    /// Print only failures and the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct AttackPathArgs {
    /// Manifests, as `kubeward scan` reads them: files, directories, `-` for stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Read the live cluster of the kubeconfig instead of files (as `kubeward cluster`).
    #[arg(long, conflicts_with = "from_report")]
    pub cluster: bool,

    /// With --cluster: the kubeconfig [default: $KUBECONFIG or ~/.kube/config].
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// With --cluster: the kubeconfig context [default: the current context].
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,

    /// A `kubeward scan` or `kubeward cluster` JSON report: show its `risks` again.
    #[arg(long, value_name = "FILE")]
    pub from_report: Option<std::path::PathBuf>,

    /// Output format: text, json, sarif, html (a page with each path drawn), or a picture of
    /// each path: mermaid, dot.
    #[arg(short, long, value_enum, default_value_t = RiskFormat::Text)]
    pub format: RiskFormat,

    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// How many risks, best score first.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,

    /// Use no config file, even if one is found.
    #[arg(long)]
    pub no_config: bool,

    /// The namespace the manifests are applied to, as for `kubeward scan -n`: objects without
    /// metadata.namespace are placed in it [default: default].
    #[arg(short = 'n', long, value_name = "NAMESPACE", conflicts_with_all = ["cluster", "from_report"], value_parser = parse_namespace)]
    pub namespace: Option<String>,
}

/// `kubeward risks --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RiskFormat {
    Text,
    Json,
    Sarif,
    Html,
    Mermaid,
    Dot,
}

#[derive(Subcommand, Debug)]
pub enum NetpolCommand {
    /// Every allowed connection between workloads, external addresses and the ingress
    /// controller, in np-guard netpol-analyzer's format.
    Reach(NetpolReachArgs),
    /// Whether FROM may open PORT on TO (exit 0 yes, 1 no), with the policies and rules that
    /// decide it.
    Can(NetpolCanArgs),
}

#[derive(Args, Debug)]
pub struct NetpolReachArgs {
    /// Manifests: files, directories (recursively: .yaml, .yml, .json) or `-` for stdin
    /// [default: .].
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// The namespace the manifests are applied to (`kubectl apply -n`): objects without
    /// metadata.namespace are placed in it.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default", value_parser = parse_namespace)]
    pub namespace: String,
}

#[derive(Args, Debug)]
pub struct NetpolCanArgs {
    /// NAMESPACE/NAME, NAMESPACE/NAME[Kind] or NAME of a workload; `external`; an IP address or
    /// a CIDR.
    pub from: String,
    /// Like FROM.
    pub to: String,
    /// 8080, udp/53, or a port name of TO's containers (http, tcp/http).
    pub port: String,
    /// Manifests: files, directories or `-` for stdin [default: .].
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// The namespace the manifests are applied to (`kubectl apply -n`): objects without
    /// metadata.namespace are placed in it.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default", value_parser = parse_namespace)]
    pub namespace: String,
}

fn parse_image_format(s: &str) -> Result<kubeward_image::report::Format, String> {
    s.parse()
}

/// A maximum age: `7d`, `12h`, `30m`, `90s`.
fn parse_age(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("invalid age {s:?} (expected e.g. 7d, 12h, 30m)");
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..split].parse().map_err(|_| bad())?;
    let scale = match &s[split..] {
        "d" => 86_400,
        "h" => 3600,
        "m" => 60,
        "s" | "" => 1,
        _ => return Err(bad()),
    };
    n.checked_mul(scale)
        .map(std::time::Duration::from_secs)
        .ok_or_else(bad)
}

/// Where the vulnerability database lives.
#[derive(Args, Debug)]
pub struct DbLocation {
    /// The database directory [default: the user's data directory, e.g.
    /// $XDG_DATA_HOME/kubeward/db or ~/.local/share/kubeward/db].
    #[arg(long, value_name = "DIR")]
    pub db: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Import OSV data: `<ECOSYSTEM>/all.zip` exports, record files (.json, .yaml) or
    /// directories of them; replaces what the database held.
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<std::path::PathBuf>,
        #[command(flatten)]
        location: DbLocation,
    },
    /// The imported sources: record counts, newest `modified`, when imported.
    Status {
        /// text or json.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
        #[command(flatten)]
        location: DbLocation,
    },
    /// Download the OSV exports (`<MIRROR>/<ECOSYSTEM>/all.zip`) over HTTPS and import them.
    Update {
        /// The export mirror.
        #[arg(
            long,
            default_value = "https://osv-vulnerabilities.storage.googleapis.com",
            value_name = "URL"
        )]
        mirror: String,
        /// Ecosystems to download, repeat or separate with commas (e.g. PyPI, Go, Debian)
        /// [default: those already imported].
        #[arg(long, value_delimiter = ',', value_name = "ECOSYSTEM")]
        ecosystem: Vec<String>,
        /// Also trust the CA certificates (PEM) of FILE, for a private mirror.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<std::path::PathBuf>,
        /// Time limit of the whole download of one export.
        #[arg(long, default_value = "10m", value_parser = parse_duration, value_name = "DURATION")]
        timeout: std::time::Duration,
        #[command(flatten)]
        location: DbLocation,
    },
}

/// Where images come from and how they are pulled (`kubeward image`, `scan --images`).
#[derive(Args, Debug, Clone, Default)]
pub struct ImageSourceArgs {
    /// The platform to pick from a multi-platform image [default: linux/amd64; a
    /// single-platform image is taken whatever its platform].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,

    /// Registry credentials (a Docker config.json) [default: ~/.docker/config.json].
    #[arg(long, value_name = "FILE")]
    pub registry_config: Option<std::path::PathBuf>,

    /// Also trust the CA certificates (PEM) of FILE for registries.
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Option<std::path::PathBuf>,

    /// Use plain HTTP for this registry host (loopback tests only); repeat for more.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,

    /// Where pulled layers are cached by digest [default: $XDG_CACHE_HOME/kubeward/blobs or
    /// ~/.cache/kubeward/blobs].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<std::path::PathBuf>,

    /// Never use the network: a registry reference is an input error (copy the image to an OCI
    /// layout or a tarball with skopeo first).
    #[arg(long)]
    pub offline: bool,
}

#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Images: a registry reference, an OCI layout or root filesystem directory, a `docker
    /// save` tarball, or a CycloneDX / SPDX JSON SBOM file.
    #[arg(required = true, value_name = "REF|PATH")]
    pub inputs: Vec<String>,

    /// Output format: text, json, sarif, junit, cyclonedx (1.6 JSON) or spdx (2.3 JSON);
    /// the SBOM formats take one input.
    #[arg(short, long, default_value = "text", value_parser = parse_image_format)]
    pub format: kubeward_image::report::Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub location: DbLocation,

    /// Warn when the database was imported longer ago than this (7d, 12h).
    #[arg(long, default_value = "7d", value_parser = parse_age, value_name = "AGE")]
    pub db_max_age: std::time::Duration,

    /// Leave out vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,

    /// Report only vulnerabilities of these severities (critical, high, medium, low, info);
    /// repeat or separate with commas [default: all].
    #[arg(long, value_delimiter = ',', value_parser = parse_severity, value_name = "SEVERITY")]
    pub severity: Vec<Severity>,

    /// Exit with 1 when a finding has this severity or higher [default: low, or the config
    /// file's failOn].
    #[arg(long, value_parser = parse_severity, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// A previous JSON report of `kubeward image`: its findings are accepted, only new ones
    /// are reported and fail.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub source: ImageSourceArgs,

    /// The config file [default: .kubeward.yaml in the working directory or the nearest parent].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<std::path::PathBuf>,

    /// Use no config file, even if one is found.
    #[arg(long)]
    pub no_config: bool,

    /// Colour: auto (only on a terminal, and not with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

fn parse_benchmark(s: &str) -> Result<kubeward_controls::node::benchmark::Benchmark, String> {
    s.parse()
}
fn parse_role(s: &str) -> Result<kubeward_node::Role, String> {
    s.parse()
}

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// The host's root directory (mount the host's / here when running in a container).
    #[arg(long, default_value = "/", value_name = "DIR")]
    pub root: std::path::PathBuf,

    /// The host's proc directory [default: ROOT/proc; with hostPID, /proc].
    #[arg(long, value_name = "DIR")]
    pub proc: Option<std::path::PathBuf>,

    /// The benchmark version: cis-1.12 (latest) or cis-1.10.
    #[arg(long, default_value = "cis-1.12", value_parser = parse_benchmark, value_name = "NAME")]
    pub benchmark: kubeward_controls::node::benchmark::Benchmark,

    /// The node's role, master (sections 1-4) or worker (section 4) [default: detected from
    /// the components found].
    #[arg(long, value_parser = parse_role, value_name = "ROLE")]
    pub role: Option<kubeward_node::Role>,

    /// Output format: text, json, sarif, junit or html.
    #[arg(short, long, default_value = "text", value_parser = parse_format)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Exit with 1 when a FAIL has this severity or higher: critical, high, medium, low, info.
    #[arg(long, default_value = "low", value_parser = parse_severity, value_name = "SEVERITY")]
    pub fail_on: Severity,

    /// Colour: auto (only on a terminal, and not with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Subcommand, Debug)]
pub enum RbacCommand {
    /// Which subjects may do VERB on RESOURCE (pods, pods/exec, deployments.apps, /metrics).
    WhoCan(WhoCanArgs),
    /// What SUBJECT may do, per namespace, with its risks and escalation path; with VERB and
    /// RESOURCE, whether it may do that (exit 0 yes, 1 no, like `kubectl auth can-i`).
    Can(CanArgs),
    /// The shortest escalation path of every subject to cluster-admin-equivalent power.
    Paths(PathsArgs),
    /// Run the subject-level RBAC controls (KW650-KW663) and report like `kubeward scan`.
    Risks(RisksArgs),
}

/// Where the RBAC objects come from, and where the answer goes.
#[derive(Args, Debug)]
pub struct RbacInput {
    /// Manifests: a file, a directory (recursively: .yaml, .yml, .json) or `-` for stdin;
    /// repeat for several [default: .].
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub paths: Vec<String>,

    /// Read the RBAC objects from a live cluster instead (the kubeconfig rules of
    /// `kubeward cluster`); implied by --kubeconfig and --context.
    #[arg(long, conflicts_with = "paths")]
    pub cluster: bool,

    /// The kubeconfig [default: KUBECONFIG, else ~/.kube/config, else the in-cluster service
    /// account].
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context [default: the current context].
    #[arg(long, value_name = "NAME", conflicts_with = "paths")]
    pub context: Option<String>,

    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

impl RbacInput {
    /// Whether the objects come from a live cluster.
    pub fn live(&self) -> bool {
        self.cluster || self.kubeconfig.is_some() || self.context.is_some()
    }
}

#[derive(Args, Debug)]
pub struct WhoCanArgs {
    /// get, list, create, update, patch, delete, impersonate, bind, escalate, ...
    pub verb: String,
    /// pods, pods/exec, deploy, deployments.apps/scale, widgets.example.com, /metrics
    pub resource: String,
    /// The namespace of the request [default: cluster-wide, where only ClusterRoleBindings count].
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// The name of the object (rules limited by resourceNames apply only to their names).
    #[arg(long)]
    pub name: Option<String>,
    /// text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    #[command(flatten)]
    pub input: RbacInput,
}

#[derive(Args, Debug)]
pub struct CanArgs {
    /// User:NAME, Group:NAME or ServiceAccount:NAMESPACE:NAME.
    pub subject: String,
    /// With RESOURCE: the one request to check.
    pub verb: Option<String>,
    pub resource: Option<String>,
    /// The namespace of the request [default: cluster-wide].
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// The name of the object.
    #[arg(long)]
    pub name: Option<String>,
    /// Groups the user is in besides the implicit ones (repeat).
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    #[command(flatten)]
    pub input: RbacInput,
}

#[derive(Args, Debug)]
pub struct PathsArgs {
    /// Only this subject's path (User:NAME, Group:NAME, ServiceAccount:NAMESPACE:NAME).
    pub subject: Option<String>,
    /// text, json, dot (Graphviz) or mermaid.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "dot", "mermaid"])]
    pub format: String,
    /// Include Kubernetes' own identities (system: users and groups, kube-system service accounts).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub input: RbacInput,
}

#[derive(Args, Debug)]
pub struct RisksArgs {
    /// Output format: text, json, sarif, junit or html.
    #[arg(long, default_value = "text", value_parser = parse_format)]
    pub format: Format,
    /// Exit with 1 when a finding has this severity or higher.
    #[arg(long, default_value = "low", value_parser = parse_severity, value_name = "SEVERITY")]
    pub fail_on: Severity,
    /// Colour: auto (only on a terminal, and not with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(flatten)]
    pub input: RbacInput,
}

/// `kubeward cluster`: the scan's report options, and where the objects come from.
#[derive(Args, Debug)]
#[command(mut_arg("paths", |a| a.hide(true)))]
pub struct ClusterArgs {
    /// The kubeconfig [default: KUBECONFIG, else ~/.kube/config, else the in-cluster service
    /// account].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context to scan [default: the current context].
    #[arg(long, value_name = "NAME", conflicts_with = "all_contexts")]
    pub context: Option<String>,

    /// Scan every context of the kubeconfig, concurrently, each in its own report section.
    #[arg(long)]
    pub all_contexts: bool,

    /// Scan this namespace only (and its Namespace object); cluster-scoped kinds are skipped.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Analyse `kubectl get <kinds> -A -o yaml` (or `-o json`) output offline instead of a live cluster.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["kubeconfig", "context", "all_contexts", "namespace"])]
    pub from_dump: Option<std::path::PathBuf>,

    /// Time limit of one API request (each is retried on 429, 5xx and timeouts, a few times).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub request_timeout: std::time::Duration,

    /// Objects per list page.
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,

    /// Kinds listed at once, per cluster.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Do not read the cluster's own policies (Gatekeeper ConstraintTemplates and
    /// constraints, ValidatingAdmissionPolicies and bindings); `--policy` files still apply.
    #[arg(long)]
    pub no_cluster_policies: bool,

    #[command(flatten)]
    pub scan: ScanArgs,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("invalid duration {s:?} (expected e.g. 500ms, 10s, 2m)");
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(bad()),
    };
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,

    /// The webhook config file (defaults, exemptions, onError; docs/serve.md). Without one:
    /// enforce baseline, warn and audit restricted, no exemptions, onError deny.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Serving certificate (PEM, chain allowed); reloaded when it changes.
    #[arg(long, default_value = "/etc/kubeward/tls/tls.crt", value_name = "FILE")]
    pub tls_cert: std::path::PathBuf,

    /// Serving key (PEM); reloaded when it changes.
    #[arg(long, default_value = "/etc/kubeward/tls/tls.key", value_name = "FILE")]
    pub tls_key: std::path::PathBuf,

    /// How often to check the certificate files for changes.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub cert_reload_interval: std::time::Duration,

    /// Serve plain HTTP, not HTTPS (local testing only: the API server requires HTTPS).
    #[arg(long)]
    pub insecure_http: bool,

    /// Do not connect to the cluster: namespace labels come from the config file's
    /// `namespaces` map, and /readyz is ready at once.
    #[arg(long)]
    pub no_cluster: bool,

    /// Judge requests by your own policies too: a file or directory of Gatekeeper
    /// ConstraintTemplates and Constraints (repeat for more). A violation denies, warns or is
    /// audited as the constraint's enforcementAction says; see docs/policies.md.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<std::path::PathBuf>,

    /// Do not read the cluster's own policies (Gatekeeper ConstraintTemplates and
    /// constraints, ValidatingAdmissionPolicies and bindings); implied by --no-cluster.
    #[arg(long)]
    pub no_cluster_policies: bool,

    /// How often to read the cluster's policies again (a changed set is compiled and used;
    /// one that does not compile is logged and the last good set kept).
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub cluster_policies_interval: std::time::Duration,

    /// Time allowed to read a request's headers, and then its body.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub read_timeout: std::time::Duration,

    /// Time a connection may stay open between requests (after its first one; before it, the
    /// read timeout applies).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub idle_timeout: std::time::Duration,

    /// Connections served at once; at the limit a new one replaces the one idle the longest,
    /// or is closed at once when all are busy. Always kept below the open-file limit (raised
    /// to its hard limit at start) [default: 1024].
    #[arg(long, default_value_t = 0, hide_default_value = true, value_name = "N")]
    pub max_connections: usize,

    /// Evaluations run at once; more requests wait (at most the read timeout, then 503)
    /// [default: 2] (docs/serve.md, "Memory").
    #[arg(long, default_value_t = 0, hide_default_value = true, value_name = "N")]
    pub max_evaluations: usize,

    /// Bytes of request bodies held at once (at least 3 MiB); more requests wait (at most the
    /// read timeout, then 503) [default: 9 MiB].
    #[arg(
        long,
        default_value_t = 0,
        hide_default_value = true,
        value_name = "BYTES"
    )]
    pub body_budget: usize,

    /// Most JSON values (object and oldObject together) a request may have to be evaluated;
    /// a larger one is answered by onError [default: 50000] (docs/serve.md, "Memory").
    #[arg(long, default_value_t = 0, hide_default_value = true, value_name = "N")]
    pub max_object_values: usize,

    /// After SIGTERM, keep serving this long with /readyz failing (lets endpoints update).
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_delay: std::time::Duration,

    /// Then wait at most this long for in-flight requests before exiting.
    #[arg(long, default_value = "20s", value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_timeout: std::time::Duration,

    /// Worker threads [default: one per core].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub threads: usize,
}

#[derive(Args, Debug)]
pub struct CertArgs {
    /// DNS names and IP addresses for the serving certificate; the first is its common name.
    #[arg(long = "name", value_name = "NAME", required = true)]
    pub names: Vec<String>,

    /// Directory to write ca.crt, ca.key, tls.crt and tls.key into.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out_dir: std::path::PathBuf,

    /// Validity in days.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}
fn parse_framework(s: &str) -> Result<Framework, String> {
    s.parse()
}
fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}
fn parse_version(s: &str) -> Result<PssVersion, String> {
    s.parse()
}

#[derive(Args, Debug)]
pub struct ScanCommand {
    #[command(flatten)]
    pub args: ScanArgs,

    /// The namespace the manifests are applied to (`kubectl apply -n`, `helm -n`): objects
    /// without metadata.namespace are placed in it for the cross-object checks (KW8xx).
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default", value_parser = parse_namespace)]
    pub namespace: String,
}

/// A namespace name as the API server accepts it: a DNS-1123 label.
fn parse_namespace(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a namespace name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)"
        ))
    }
}

impl ScanCommand {
    /// The scan's options with the target namespace set.
    pub fn into_args(self) -> ScanArgs {
        ScanArgs {
            target_namespace: Some(self.namespace),
            ..self.args
        }
    }
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Set by `kubeward scan -n`: where objects without a namespace go (`default` if unset).
    #[arg(skip)]
    pub target_namespace: Option<String>,

    /// Files or directories to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Output format: text, json, sarif, junit or html.
    #[arg(short, long, default_value = "text", value_parser = parse_format)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// With --format text: one line per finding instead of findings grouped by object with
    /// their source line.
    #[arg(long)]
    pub compact: bool,

    /// Exit with 1 when a finding has this severity or higher: critical, high, medium, low,
    /// info [default: low, or the config file's failOn].
    #[arg(long, value_parser = parse_severity, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Run only the controls of these frameworks: all, pss-baseline, pss-restricted, nsa, cis,
    /// mitre. Repeat or separate with commas [default: all, or the config file's frameworks].
    #[arg(long, value_delimiter = ',', value_parser = parse_framework)]
    pub framework: Vec<Framework>,

    /// Evaluate the Pod Security Standards of this version (v1.0 .. v1.37, or latest)
    /// [default: latest, or the config file's pssVersion].
    #[arg(long, value_parser = parse_version, value_name = "VERSION")]
    pub pss_version: Option<PssVersion>,

    /// Also evaluate your own policies: a file or directory of Gatekeeper ConstraintTemplates
    /// and Constraints (repeat for more; added to the config file's `policies`). Each
    /// constraint is a control `Kind/name`; see docs/policies.md.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<std::path::PathBuf>,

    /// The config file [default: .kubeward.yaml in the working directory or the nearest parent].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<std::path::PathBuf>,

    /// Use no config file, even if one is found.
    #[arg(long)]
    pub no_config: bool,

    /// A previous JSON report: its findings are accepted, only new ones are reported and fail.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,

    /// Also show suppressed findings (annotation, config exclusion, baseline) with the reason.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Count the findings on objects Kubernetes creates itself (bootstrap RBAC, controllers'
    /// service accounts, system namespaces) like the user's, instead of listing them apart in
    /// the "platform" group that never fails the run (docs/platform.md).
    #[arg(long)]
    pub include_platform: bool,

    /// How many attack paths the "Top risks" section shows, best score first (0: none, and
    /// no risk graph is built; docs/risks.md).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top_risks: usize,

    /// Set by `kubeward risks`: report the risks only, in this format.
    #[arg(skip)]
    pub risks_only: Option<RiskFormat>,

    /// The `.Values` keys each template of a scanned Helm chart reads (set when a chart
    /// directory is rendered).
    #[arg(skip)]
    pub template_values: std::collections::HashMap<String, Vec<String>>,

    /// Set by `kubeward cluster`: what the report is of (its HTML title) [default: scan].
    #[arg(skip)]
    pub kind: Option<&'static str>,

    /// Colour: auto (only on a terminal, and not with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Refuse YAML documents larger than this many bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_document_size: usize,

    /// Parse and load only, run no control (for benchmarks).
    #[arg(long, hide = true)]
    pub parse_only: bool,

    /// Also scan every distinct image the containers name (each pulled once, --image-jobs at a
    /// time) against the vulnerability database, and report its findings at each container's
    /// `image:` field (docs/image.md).
    #[arg(long, help_heading = "Images")]
    pub images: bool,

    /// How many images are pulled and scanned at once with --images.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "Images")]
    pub image_jobs: u16,

    /// The vulnerability database directory for --images [default: the user's data directory,
    /// e.g. ~/.local/share/kubeward/db].
    #[arg(long = "db", value_name = "DIR", help_heading = "Images")]
    pub image_db: Option<std::path::PathBuf>,

    /// With --images: warn when the database was imported longer ago than this (7d, 12h).
    #[arg(long, default_value = "7d", value_parser = parse_age, value_name = "AGE", help_heading = "Images")]
    pub db_max_age: std::time::Duration,

    /// With --images: leave out vulnerabilities that have no fixed version yet.
    #[arg(long, help_heading = "Images")]
    pub ignore_unfixed: bool,

    #[command(flatten, next_help_heading = "Images")]
    pub image_source: ImageSourceArgs,
}

#[derive(Args, Debug)]
pub struct FixArgs {
    /// Files or directories to fix (.yaml, .yml, .json).
    #[arg(required = true)]
    pub paths: Vec<String>,

    /// Fix only these controls (IDs or names; repeat or separate with commas) [default: every
    /// control with a certain fix].
    #[arg(long = "control", value_delimiter = ',', value_name = "ID")]
    pub controls: Vec<String>,

    /// Change nothing: print the edits as a unified diff.
    #[arg(long)]
    pub dry_run: bool,

    /// Exit with 1 when a finding at or above this severity remains [default: low, or the
    /// config file's failOn].
    #[arg(long, value_parser = parse_severity, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Run only the controls of these frameworks (as `scan --framework`).
    #[arg(long, value_delimiter = ',', value_parser = parse_framework)]
    pub framework: Vec<Framework>,

    /// The config file [default: .kubeward.yaml in the working directory or the nearest parent].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<std::path::PathBuf>,

    /// Use no config file, even if one is found.
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Args, Debug)]
pub struct ControlsArgs {
    /// text or json.
    #[arg(short, long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Only the controls of this framework.
    #[arg(long, default_value = "all", value_parser = parse_framework)]
    pub framework: Framework,
}

#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// Print the recommended audit Policy (for the API server's --audit-policy-file).
    Policy,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub action: Option<AuditAction>,

    /// Audit logs (audit.k8s.io/v1 Event JSON lines, plain or gzip): files, directories
    /// (their *.log, *.json, *.jsonl, *.gz and audit* files, sorted by name), `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<String>,

    /// Output format: text, json, sarif, junit or html (with --follow: text or json, one object per line).
    #[arg(short, long, default_value = "text", value_parser = parse_format)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Exit with 1 when a finding has this severity or higher [default: low, or the config
    /// file's failOn].
    #[arg(long, value_parser = parse_severity, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Keep reading the one file given as it grows, across rotation and truncation, until stopped.
    #[arg(long)]
    pub follow: bool,

    /// How often --follow looks for new lines and rotation.
    #[arg(long, default_value = "250ms", value_parser = parse_duration, value_name = "DURATION", hide = true)]
    pub poll_interval: std::time::Duration,

    /// KW1009: this many 401/403 answers to one user or address make a burst [default: 10, or
    /// the config file's audit.authFailures.threshold].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_failure_threshold: Option<u32>,

    /// KW1009: ... within this window, e.g. 60s, 5m [default: 60s, or audit.authFailures.window].
    #[arg(long, value_name = "WINDOW", value_parser = kubeward_engine::config::parse_window)]
    pub auth_failure_window: Option<std::time::Duration>,

    /// Treat this user (a glob, e.g. `system:serviceaccount:argocd:*`) like a system
    /// component; repeat for more. Added to the config file's audit.trustedUsers.
    #[arg(long = "trusted-user", value_name = "USER")]
    pub trusted_users: Vec<String>,

    /// The config file [default: .kubeward.yaml in the working directory or the nearest parent].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<std::path::PathBuf>,

    /// Use no config file, even if one is found.
    #[arg(long)]
    pub no_config: bool,

    /// Colour: auto (only on a terminal, and not with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Skip (and report) lines longer than this many bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_line_size: usize,
}
