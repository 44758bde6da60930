//! Node flags: the first line is a command line (words split on spaces). kubeward-controls'
//! pflag reader (`Component::of_command_line`, `flags::parse` for every component, `get` of
//! every flag the CIS benchmarks read, each condition's `holds` and `expected`,
//! `merge_pairs`/`render_pairs`), then kubeward-node's whole `run` over a fake host whose
//! `/proc/1/cmdline` is that command line and whose kubelet config file is the rest of the
//! input: discovery, the flags-over-config-file merge, every check of both benchmarks.
//! Invariants: every flag and positional points at a word that exists; feature-gate maps
//! render and read back the same; config-file errors are located inside the config text.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use kubeward_controls::node::benchmark::{Benchmark, Test};
use kubeward_controls::node::flags::{self, merge_pairs, parse_bool, render_pairs, Component};
use kubeward_fuzz::{d01_shape, text_of, Lines};
use kubeward_node::{report, run, Options};
use libfuzzer_sys::fuzz_target;

/// A host root of this process's own, rewritten by every input.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("kubeward-fuzz-node-{}", std::process::id()));
        std::fs::create_dir_all(root.join("proc/1")).expect("a temporary host root");
        std::fs::create_dir_all(root.join("var/lib/kubelet")).expect("a temporary host root");
        root
    })
}

const CONFIG: &str = "/var/lib/kubelet/config.yaml";

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let words: Vec<&str> = first.split(' ').collect();

    if let Some((c, start)) = Component::of_command_line(&words) {
        assert!((1..=2).contains(&start) && start <= words.len());
        let _ = c.binary();
    }
    for c in Component::ALL {
        let args = flags::parse(c, &words, 1);
        let mut last = 0;
        for o in &args.flags {
            assert!(
                o.item >= 1 && o.item < words.len(),
                "a flag points at a word"
            );
            assert!(o.item >= last, "flags in order");
            last = o.item;
            assert!(!o.name.is_empty() && !o.name.starts_with('-'));
        }
        for (i, _) in &args.positional {
            assert!(*i >= 1 && *i < words.len(), "a positional points at a word");
        }
        for b in Benchmark::ALL {
            for check in b.checks() {
                let Test::Flags(tests) = &check.test else {
                    continue;
                };
                for t in tests.iter().filter(|t| t.at.component == c) {
                    let v = args.get(c, t.at.flag);
                    if let Some(v) = &v {
                        assert!(v.item < words.len());
                    }
                    let explicit = v.as_ref().map(|v| v.value.as_str());
                    let _ = t.cond.holds(explicit, explicit);
                    let _ = t.cond.holds(None, words.last().copied());
                    assert!(!t.cond.expected().is_empty());
                }
            }
        }
    }
    let mut pairs = Vec::new();
    for w in &words {
        merge_pairs(&mut pairs, w);
        let _ = parse_bool(w);
    }
    let rendered = render_pairs(&pairs);
    let mut again = Vec::new();
    merge_pairs(&mut again, &rendered);
    assert_eq!(
        render_pairs(&again),
        rendered,
        "feature gates render and read back"
    );

    // The whole node check. Paths stay inside the fake root: `..` would leave it.
    if words.iter().any(|w| w.contains("..")) || d01_shape(rest) {
        return;
    }
    let root = root();
    let cmdline: Vec<u8> = words.join("\0").into_bytes();
    std::fs::write(root.join("proc/1/cmdline"), cmdline).expect("write cmdline");
    std::fs::write(root.join(CONFIG.trim_start_matches('/')), rest.as_bytes())
        .expect("write config");
    let report = run(&Options {
        root: root.clone(),
        proc: Some(root.join("proc")),
        ..Options::default()
    });
    let lines = Lines::of(rest);
    for e in &report.errors {
        if e.file == CONFIG {
            if let (Some(line), Some(column)) = (e.line, e.column) {
                lines.check(
                    kubeward_yaml::Pos { line, column },
                    &format!("node error {:?}", e.message),
                );
            }
        }
        assert!(!e.message.is_empty());
    }
    assert!(!report.results.is_empty());
    let _ = report.exit_code(kubeward_controls::Severity::Low);
    let _ = report::to_json(&report, kubeward_controls::Severity::Low);
    let _ = report::to_sarif(&report);
});
