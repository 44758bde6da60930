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
    Scan(ScanArgs),
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
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Output format: text, json, sarif or junit.
    #[arg(short, long, default_value = "text", value_parser = parse_format)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

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

    /// Colour: auto (only on a terminal, and not with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Refuse YAML documents larger than this many bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_document_size: usize,

    /// Parse and load only, run no control (for benchmarks).
    #[arg(long, hide = true)]
    pub parse_only: bool,
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
