//! Node configuration against the CIS Kubernetes Benchmark (KW920-KW999).
//!
//! The benchmark's checks are data ([`benchmark::CHECKS`]); command lines are read as the
//! components read them ([`flags`]). `kubeward node` evaluates every check on a live node
//! (crate kubeward-node). The controls here run the same flag checks over manifests, so that
//! `kubeward scan /etc/kubernetes/manifests` (static pods) and `kubeward scan
//! /var/lib/kubelet/config.yaml` report what `kubeward node` would FAIL:
//! * KW920-KW923: kube-apiserver, kube-controller-manager, kube-scheduler and etcd containers
//!   (found by their command, `hyperkube <component>`, or with no command by their image), each
//!   failing Automated check of the newest benchmark located at the offending flag in
//!   `command`/`args` (or at the list when the flag is missing);
//! * KW924: a `KubeletConfiguration` document, the kubelet checks of section 4.2 that its
//!   fields decide (flags on the kubelet's command line could still override them);
//! * KW925: the same kubelet checks over the flags of containers that run the kubelet.

use kubeward_model::{Container, FieldPath};
use kubeward_yaml::NodeRef;

use crate::{Context, Control, Frameworks, Target};

pub mod apiserver_flags;
pub mod benchmark;
pub mod controller_manager_flags;
pub mod etcd_flags;
pub mod flags;
pub mod kubelet_config;
pub mod kubelet_flags;
pub mod scheduler_flags;

use benchmark::{default_value, Benchmark, Check, FlagTest, Setting, Test};
use flags::Component;

/// This family's controls.
pub static CONTROLS: &[&dyn Control] = &[
    &apiserver_flags::ApiServerFlags,
    &controller_manager_flags::ControllerManagerFlags,
    &scheduler_flags::SchedulerFlags,
    &etcd_flags::EtcdFlags,
    &kubelet_config::KubeletConfigFile,
    &kubelet_flags::KubeletFlags,
];

/// The framework mapping of a node control: the CIS IDs it evaluates.
pub(crate) const fn cis(ids: &'static [&'static str]) -> Frameworks {
    Frameworks {
        pss: None,
        nsa: &["Network separation and hardening: control plane hardening"],
        cis: ids,
        mitre: &[],
    }
}

/// How a setting reads, for a report: `--anonymous-auth=true`, `--profiling not set (default
/// true)`, `authentication.anonymous.enabled: false`.
pub fn observed(
    setting: &Setting,
    explicit: Option<&str>,
    from_config: bool,
    default: Option<&str>,
) -> String {
    match (explicit, default) {
        (Some(v), _) if from_config => {
            format!("{}: {v}", setting.config.unwrap_or(setting.flag))
        }
        (Some(v), _) => format!("--{}={v}", setting.flag),
        (None, Some(d)) => format!("{} not set (default {d})", setting.describe()),
        (None, None) => format!("{} not set", setting.describe()),
    }
}

/// The Automated flag checks of the newest benchmark that only need `component`'s settings.
pub fn automated_flag_checks(
    component: Component,
) -> impl Iterator<Item = (&'static Check, &'static [FlagTest])> {
    Benchmark::LATEST
        .checks()
        .filter_map(move |c| match &c.test {
            Test::Flags(tests)
                if c.automated && tests.iter().all(|t| t.at.component == component) =>
            {
                Some((c, *tests))
            }
            _ => None,
        })
}

/// A command line's words, each with its node and path.
pub type Words<'a> = Vec<(NodeRef<'a>, &'a str, FieldPath)>;

/// A container's command line as words, each with its node and path, and where its flags
/// start; `None` when the container does not run `component`.
pub fn component_words<'a>(c: &Container<'a>, component: Component) -> Option<(Words<'a>, usize)> {
    let words = crate::secrets::command_line(c);
    let has_command = c.node.get("command").is_some_and(|n| !n.is_empty());
    if has_command {
        let texts: Vec<&str> = words.iter().map(|w| w.1).collect();
        let (found, start) = Component::of_command_line(&texts)?;
        return (found == component).then_some((words, start));
    }
    // No command: the image's entrypoint runs, and the args are its flags.
    let image = c.node.get("image").and_then(|n| n.as_str())?;
    let name = image.split(['@']).next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    let repo = last.split(':').next().unwrap_or(last);
    (repo == component.binary()).then_some((words, 0))
}

/// Run `component`'s Automated flag checks over every container of `t` that runs it.
pub(crate) fn check_containers(component: Component, t: &Target<'_>, cx: &mut Context<'_>) {
    let Some(pod) = &t.pod else { return };
    for c in pod.containers() {
        let Some((words, start)) = component_words(&c, component) else {
            continue;
        };
        let texts: Vec<&str> = words.iter().map(|w| w.1).collect();
        let args = flags::parse(component, &texts, start);
        // A kubelet with a config file takes what its flags leave out from the file, which a
        // manifest does not show: only the flags it is given can be judged.
        let file_decides =
            component == Component::Kubelet && args.get(component, "config").is_some();
        // A missing flag is reported at the args list if there is one, else the command.
        let (anchor, anchor_path) = ["args", "command"]
            .into_iter()
            .find_map(|f| c.node.get(f).map(|n| (n, c.path.key(f))))
            .unwrap_or((c.node, c.path.clone()));
        for (check, tests) in automated_flag_checks(component) {
            let failing: Vec<(&FlagTest, Option<flags::FlagValue>)> = tests
                .iter()
                .map(|t| (t, args.get(component, t.at.flag)))
                .filter(|(_, v)| v.is_some() || !file_decides)
                .filter(|(t, v)| {
                    let explicit = v.as_ref().map(|v| v.value.as_str());
                    let default = default_value(component, t.at.flag, false);
                    !t.cond.holds(explicit, explicit.or(default))
                })
                .collect();
            let Some((_, value)) = failing.first() else {
                continue;
            };
            let observed_all: Vec<String> = failing
                .iter()
                .map(|(t, v)| {
                    observed(
                        &t.at,
                        v.as_ref().map(|v| v.value.as_str()),
                        false,
                        default_value(component, t.at.flag, false),
                    )
                })
                .collect();
            let tests: Vec<&FlagTest> = failing.iter().map(|(t, _)| *t).collect();
            let message = finding_message(check, &observed_all, &tests);
            // At the flag when it is given (even empty), else at the list it is missing from.
            match value {
                Some(v) => {
                    let (node, _, path) = &words[v.item];
                    cx.report(*node, path.clone(), message);
                }
                _ => cx.report(anchor, anchor_path.clone(), message),
            }
        }
    }
}

/// A scan finding: `CIS 1.2.6 (cis-1.12): <observed>; expected <expected>. <remediation>`.
pub(crate) fn finding_message<S: AsRef<str>>(
    check: &Check,
    observed: &[S],
    failing: &[&FlagTest],
) -> String {
    let observed: Vec<&str> = observed.iter().map(AsRef::as_ref).collect();
    format!(
        "CIS {} ({}): {}; expected {}. {}",
        check.id,
        Benchmark::LATEST.name(),
        observed.join(", "),
        expected_text(failing),
        check.remediation
    )
}

/// `--a set, --b set` for the tests that failed.
pub fn expected_text(tests: &[&FlagTest]) -> String {
    tests
        .iter()
        .map(|t| format!("{}: {}", t.at.describe(), t.cond.expected()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field of a component config file (KubeletConfiguration, KubeProxyConfiguration), read
/// as the flag that sets the same thing would be written: booleans and integers canonical,
/// a list as `a,b`, a mapping (feature gates) as `k=v,k=v`.
pub struct ConfigValue<'a> {
    pub text: String,
    pub node: NodeRef<'a>,
}

/// The field at a dotted path (`authentication.anonymous.enabled`) of a config document;
/// `None` when absent or null.
pub fn config_lookup<'a>(root: NodeRef<'a>, dotted: &str) -> Option<ConfigValue<'a>> {
    let keys: Vec<&str> = dotted.split('.').collect();
    let node = root.get_path(&keys).filter(|n| !n.is_null())?;
    let scalar = |n: NodeRef<'_>| -> String {
        if let Some(b) = n.as_bool() {
            b.to_string()
        } else if let Some(i) = n.as_i64() {
            i.to_string()
        } else {
            n.scalar_text().unwrap_or("").to_string()
        }
    };
    let text = if node.is_seq() {
        node.items().map(scalar).collect::<Vec<_>>().join(",")
    } else if node.is_map() {
        node.entries()
            .map(|(k, v)| format!("{k}={}", scalar(v)))
            .collect::<Vec<_>>()
            .join(",")
    } else {
        scalar(node)
    };
    Some(ConfigValue { text, node })
}

/// The type a config file field must have for the component to load the file (the fields
/// the benchmark reads), or `None` when any scalar will do.
pub fn config_type(setting: &Setting) -> Option<kubeward_yaml::ValueType> {
    use kubeward_yaml::ValueType;
    match setting.component.flag_kind(setting.flag) {
        flags::FlagKind::Bool => Some(ValueType::Bool),
        flags::FlagKind::List => Some(ValueType::Sequence),
        flags::FlagKind::Map => Some(ValueType::Mapping),
        _ => match setting.flag {
            "read-only-port" | "pod-max-pids" => Some(ValueType::Int),
            _ => None,
        },
    }
}

/// A config field of the wrong type: what to tell the user, or `None` when it is fine.
pub fn config_type_problem(setting: &Setting, node: NodeRef<'_>) -> Option<String> {
    let want = config_type(setting)?;
    let have = node.value_type();
    let fits = have == want
        || (want == kubeward_yaml::ValueType::Int && have == kubeward_yaml::ValueType::Float);
    (!fits).then(|| {
        format!(
            "`{}` must be {}, found {}",
            setting.config.unwrap_or(setting.flag),
            want.describe(),
            have.describe()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    /// Each control's CIS mapping lists exactly the checks it evaluates.
    #[test]
    fn mappings_match_the_table() {
        for (id, component) in [
            ("KW920", Component::ApiServer),
            ("KW921", Component::ControllerManager),
            ("KW922", Component::Scheduler),
            ("KW923", Component::Etcd),
        ] {
            let control = registry::find(id).unwrap();
            let want: Vec<&str> = automated_flag_checks(component)
                .map(|(c, _)| c.id)
                .collect();
            assert_eq!(control.meta().frameworks.cis, want.as_slice(), "{id}");
        }
        let want: Vec<&str> = kubelet_config::checks().map(|(c, _)| c.id).collect();
        assert_eq!(
            registry::find("KW924").unwrap().meta().frameworks.cis,
            want.as_slice()
        );
        let want: Vec<&str> = automated_flag_checks(Component::Kubelet)
            .map(|(c, _)| c.id)
            .collect();
        assert_eq!(
            registry::find("KW925").unwrap().meta().frameworks.cis,
            want.as_slice()
        );
    }
}
