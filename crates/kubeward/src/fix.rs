//! `kubeward fix`: the engine's findings of controls with a certain fix, edited in place
//! (kubeward-fix), each file written atomically; `--dry-run` prints the diff instead.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use anyhow::Result;
use kubeward_controls::{registry, ControlMeta, Fix};
use kubeward_engine::{collect_sources, Collect, Engine, Source};
use kubeward_yaml::Limits;

use crate::cli::FixArgs;
use crate::commands::{base, chosen, load_config, Base};

pub fn run(args: FixArgs) -> Result<u8> {
    let cfg = match load_config(args.no_config, args.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    // `--control`: each must name a control with a certain fix.
    let mut only: Vec<&'static str> = Vec::new();
    for key in &args.controls {
        let Some(c) = registry::find(key) else {
            eprintln!(
                "kubeward: error: --control {key}: no such control; `kubeward controls` lists them"
            );
            return Ok(2);
        };
        match c.fix() {
            Fix::Edit(_) => only.push(c.meta().id),
            Fix::Suggest(s) => {
                eprintln!(
                    "kubeward: error: --control {key}: {} needs a value only you know ({s}); kubeward fix does not guess it",
                    c.meta().id
                );
                return Ok(2);
            }
            Fix::None => {
                eprintln!(
                    "kubeward: error: --control {key}: {} has no certain fix; `kubeward explain {}` says what to do",
                    c.meta().id,
                    c.meta().id
                );
                return Ok(2);
            }
        }
    }
    if args.paths.iter().any(|p| p == "-") {
        eprintln!(
            "kubeward: error: fix edits files; it cannot read standard input (use scan for that)"
        );
        return Ok(2);
    }
    let Base {
        fail_on,
        frameworks,
        settings,
        policy,
        ..
    } = base(cfg.as_ref(), args.fail_on, None, &args.framework);
    let controls = chosen(&frameworks, cfg.as_ref());
    let want = |m: &ControlMeta| only.is_empty() || only.contains(&m.id);
    // The rounds of fixing run only the controls being fixed (a fraction of the catalog); the
    // report of what is left runs them all, once.
    let fixing: Vec<_> = controls
        .iter()
        .copied()
        .filter(|c| matches!(c.fix(), Fix::Edit(_)) && want(c.meta()))
        .collect();
    let fix_engine = Engine::new(fixing, settings.clone(), Limits::default())
        .with_policy(base(cfg.as_ref(), args.fail_on, None, &args.framework).policy);
    let engine = Engine::new(controls, settings, Limits::default()).with_policy(policy);

    let (sources, source_errors) = collect_sources(&args.paths);
    let mut errors = 0usize;
    for e in &source_errors {
        eprintln!("kubeward: error: {e}");
        errors += 1;
    }
    let mut files = Vec::new();
    for s in &sources {
        let Source::File(path) = s else { continue };
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push((path.clone(), text)),
                Err(_) => {
                    // The scan below reports where; fix leaves the file alone.
                }
            },
            Err(e) => {
                eprintln!("kubeward: error: {}: cannot read: {e}", path.display());
                errors += 1;
            }
        }
    }
    let opts = kubeward_fix::Options {
        want: &want,
        max_rounds: 8,
    };
    let outcomes = kubeward_fix::fix_texts(
        &fix_engine,
        files
            .iter()
            .map(|(p, t)| (p.display().to_string(), t.clone()))
            .collect(),
        &opts,
    );

    let mut out = io::BufWriter::new(io::stdout().lock());
    // Buffered: one line per fix, each written whole (unbuffered, a line cost a dozen writes).
    let mut err = io::BufWriter::new(io::stderr().lock());
    let mut writes: Vec<(&std::path::Path, &str)> = Vec::new();
    let (mut fixed, mut changed_files, mut refused) = (0usize, 0usize, 0usize);
    for (o, (path, _)) in outcomes.iter().zip(&files) {
        for a in &o.applied {
            writeln!(
                err,
                "fixed {}:{}:{} {} {} ({}): {}",
                o.name, a.pos.line, a.pos.column, a.control.id, a.path, a.object, a.what
            )?;
        }
        for r in &o.refused {
            writeln!(
                err,
                "not fixed {}:{}:{} {} {} ({}): {} (at {}:{})",
                o.name,
                r.pos.line,
                r.pos.column,
                r.control.id,
                r.path,
                r.object,
                r.reason,
                r.at.line,
                r.at.column
            )?;
        }
        fixed += o.applied.len();
        refused += o.refused.len();
        if !o.changed() {
            continue;
        }
        changed_files += 1;
        if args.dry_run {
            write!(out, "{}", o.diff())?;
        } else {
            writes.push((path.as_path(), o.fixed.as_str()));
        }
    }
    out.flush()?;
    for (r, (path, _)) in kubeward_fix::write_all_atomic(&writes)
        .into_iter()
        .zip(&writes)
    {
        if let Err(e) = r {
            writeln!(
                err,
                "kubeward: error: {}: cannot write: {e}",
                path.display()
            )?;
            errors += 1;
        }
    }

    // What is left: the whole scan again, over the files as they are now (or would be).
    let after: Vec<Source> = outcomes
        .iter()
        .map(|o| Source::Text {
            name: o.name.clone(),
            text: Arc::from(o.fixed.as_str()),
        })
        .chain(
            sources
                .iter()
                .filter(|s| match s {
                    Source::File(p) => !files.iter().any(|(f, _)| f == p),
                    _ => false,
                })
                .cloned(),
        )
        .collect();
    let mut collect = Collect::default();
    let summary = engine.scan(&after, &mut collect)?;
    for e in collect.errors() {
        writeln!(err, "kubeward: error: {e}")?;
    }
    // Suggestions, one per control and file.
    let mut suggestions: BTreeMap<(&str, &str), (usize, &'static str)> = BTreeMap::new();
    let mut remaining = 0usize;
    for f in collect.findings().filter(|f| f.suppressed.is_none()) {
        remaining += 1;
        if let Some(c) = registry::find(f.control.id) {
            if let Fix::Suggest(s) = c.fix() {
                suggestions
                    .entry((&f.file, f.control.id))
                    .or_insert((0, s))
                    .0 += 1;
            }
        }
    }
    for ((file, id), (n, s)) in &suggestions {
        writeln!(
            err,
            "suggestion {file}: {id} ({n} finding{}): {s}",
            if *n == 1 { "" } else { "s" }
        )?;
    }
    let verb = if args.dry_run { "would fix" } else { "fixed" };
    writeln!(
        err,
        "kubeward: {verb} {fixed} finding{} in {changed_files} file{}; {refused} not fixed; {remaining} finding{} remain{} (`kubeward scan` lists them)",
        if fixed == 1 { "" } else { "s" },
        if changed_files == 1 { "" } else { "s" },
        if remaining == 1 { "" } else { "s" },
        if remaining == 1 { "s" } else { "" },
    )?;
    err.flush()?;
    if errors > 0 {
        return Ok(2);
    }
    Ok(summary.exit_code(fail_on) as u8)
}
