//! `kubeward rbac`: who-can, can, paths and risks over the RBAC objects of manifests.
//! The model takes RBAC objects from any source (`RbacModel::from_objects`); here they come
//! from files, directories and standard input, read like `kubeward scan` reads them.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use kubeward_controls::{registry, PssVersion, Settings};
use kubeward_engine::{collect_sources, read_whole, Engine, FileResult, Sink, Source};
use kubeward_rbac::render::{grant_json, grant_text, scope_json};
use kubeward_rbac::{load, parse_target, paths, Identity, RbacModel, Request, Scope, SubjectKey};
use kubeward_report::{reporter, RunInfo};
use kubeward_yaml::Limits;
use serde_json::{json, Value};

use crate::cli::{CanArgs, ColorChoice, PathsArgs, RbacCommand, RbacInput, RisksArgs, WhoCanArgs};

pub fn run(command: RbacCommand) -> Result<u8> {
    match command {
        RbacCommand::WhoCan(a) => who_can(a),
        RbacCommand::Can(a) => can(a),
        RbacCommand::Paths(a) => paths_cmd(a),
        RbacCommand::Risks(a) => risks(a),
    }
}

/// The inputs' RBAC model; input errors are printed (file:line:column) and counted.
fn load_model(input: &RbacInput) -> (RbacModel, usize) {
    load_model_with(input, true)
}

/// [`load_model`], printing its errors and notes or not (when another pass over the same
/// input already reported them).
fn load_model_with(input: &RbacInput, print: bool) -> (RbacModel, usize) {
    let say = |m: String| {
        if print {
            eprintln!("{m}");
        }
    };
    let args = if input.paths.is_empty() {
        vec![".".to_string()]
    } else {
        input.paths.clone()
    };
    let mut errors = 0;
    let sources = if input.live() {
        match live_sources(input) {
            Ok((sources, problems)) => {
                for p in &problems {
                    say(format!("kubeward: error: {p}"));
                }
                errors += problems.len();
                sources
            }
            Err(e) => {
                say(format!("kubeward: error: {e}"));
                errors += 1;
                Vec::new()
            }
        }
    } else {
        let (sources, source_errors) = collect_sources(&args);
        for e in source_errors {
            say(format!("kubeward: error: {e}"));
            errors += 1;
        }
        sources
    };
    let limits = Limits::default();
    let mut objects = Vec::new();
    for source in &sources {
        let loaded = read_whole(source, limits.max_document_bytes);
        for e in &loaded.errors {
            say(format!("kubeward: error: {e}"));
            errors += 1;
        }
        let (o, problems) = load::read_chunks(&loaded.name, &loaded.bytes, &loaded.chunks, &limits);
        for p in problems {
            say(format!(
                "kubeward: error: {}:{}: {}",
                loaded.name, p.pos, p.message
            ));
            errors += 1;
        }
        objects.extend(o);
    }
    let model = RbacModel::from_objects(objects);
    for n in &model.notes {
        say(format!(
            "kubeward: note: {}: {}",
            kubeward_rbac::location(&n.file, n.pos),
            n.message
        ));
    }
    (model, errors)
}

/// The RBAC objects (and ServiceAccounts) of the selected cluster, listed by the loader of
/// `kubeward cluster`, each as a source named like that command names objects
/// (`cluster/<context>/<Kind>/<namespace>/<name>`). A kind that could not be listed is a
/// problem: answers without it would be wrong, so the run exits 2 (the rest is still answered).
fn live_sources(input: &RbacInput) -> Result<(Vec<Source>, Vec<String>), String> {
    use kubeward_cluster::{kinds, scan::object_file, ConnectOptions, FetchOptions, KindStatus};
    let runtime = kubeward_cluster::runtime().map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let opts = ConnectOptions {
            kubeconfig: input.kubeconfig.clone(),
            context: input.context.clone(),
            ..ConnectOptions::default()
        };
        let target = kubeward_cluster::targets(&opts)
            .await?
            .into_iter()
            .next()
            .ok_or("no cluster selected")?;
        let client = target.client?;
        let snapshot = kubeward_cluster::fetch(&client, &kinds::rbac(), &FetchOptions::default())
            .await
            .map_err(|e| format!("{} ({}): {e}", target.context, target.server))?;
        let mut problems = Vec::new();
        for k in &snapshot.kinds {
            match &k.status {
                KindStatus::Forbidden { message, .. } => problems.push(format!(
                    "cluster/{}: {}: not read: forbidden ({message})",
                    target.context, k.kind.kind
                )),
                KindStatus::Failed { error, .. } => problems.push(format!(
                    "cluster/{}: {}: not read: {error}",
                    target.context, k.kind.kind
                )),
                _ => {}
            }
        }
        let sources = snapshot
            .objects
            .into_iter()
            .map(|o| Source::Text {
                name: object_file(&target.context, &o.kind, o.namespace.as_deref(), &o.name),
                text: Arc::from(o.text),
            })
            .collect();
        Ok((sources, problems))
    })
}

fn output(input: &RbacInput) -> Result<Box<dyn Write>> {
    Ok(match &input.output {
        Some(path) => Box::new(io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    })
}

fn parse_subject(text: &str) -> Result<SubjectKey, u8> {
    SubjectKey::parse(text).map_err(|e| {
        eprintln!("kubeward: error: {e}");
        2
    })
}

fn request(
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Result<Request, u8> {
    match parse_target(resource, name.unwrap_or("")) {
        Ok(target) => Ok(Request {
            verb: verb.to_string(),
            namespace: namespace.unwrap_or("").to_string(),
            target,
        }),
        Err(e) => {
            eprintln!("kubeward: error: {e}");
            Err(2)
        }
    }
}

/// Who a group stands for, for readers who do not know the implicit groups by heart.
fn group_note(key: &SubjectKey) -> &'static str {
    match key {
        SubjectKey::Group { name } if name == "system:authenticated" => {
            " (every authenticated user and service account)"
        }
        SubjectKey::Group { name } if name == "system:unauthenticated" => " (anonymous requests)",
        SubjectKey::Group { name } if name == "system:serviceaccounts" => {
            " (every service account)"
        }
        SubjectKey::Group { name } if name.starts_with("system:serviceaccounts:") => {
            " (every service account of the namespace)"
        }
        SubjectKey::Group { name } if name == "system:masters" => " (bypasses RBAC)",
        _ => "",
    }
}

fn notes_json(model: &RbacModel) -> Value {
    Value::Array(
        model
            .notes
            .iter()
            .map(|n| json!({"file": n.file, "line": n.pos.line, "column": n.pos.column, "message": n.message}))
            .collect(),
    )
}

fn done(errors: usize, code: u8) -> Result<u8> {
    Ok(if errors > 0 { 2 } else { code })
}

fn who_can(a: WhoCanArgs) -> Result<u8> {
    let req = match request(
        &a.verb,
        &a.resource,
        a.namespace.as_deref(),
        a.name.as_deref(),
    ) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let (model, errors) = load_model(&a.input);
    let found = model.who_can(&req);
    // One entry per subject, with every grant, in the order first found.
    let mut subjects: Vec<(SubjectKey, Vec<kubeward_rbac::Grant>)> = Vec::new();
    for (key, grant) in found {
        match subjects.iter_mut().find(|(k, _)| *k == key) {
            Some((_, grants)) => grants.push(grant),
            None => subjects.push((key, vec![grant])),
        }
    }
    let mut out = output(&a.input)?;
    if a.format == "json" {
        let v = json!({
            "request": request_json(&req),
            "subjects": subjects.iter().map(|(k, grants)| json!({
                "subject": k,
                "grants": grants.iter().map(|g| grant_json(&model, g)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "notes": notes_json(&model),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        writeln!(out, "Subjects that may {req}: {}", subjects.len())?;
        for (k, grants) in &subjects {
            writeln!(out, "  {k}{}", group_note(k))?;
            for g in grants {
                writeln!(out, "    {}", grant_text(&model, g))?;
            }
        }
    }
    out.flush()?;
    done(errors, 0)
}

fn request_json(req: &Request) -> Value {
    match &req.target {
        kubeward_rbac::Target::Resource {
            group,
            resource,
            subresource,
            name,
        } => json!({
            "verb": req.verb, "group": group, "resource": resource, "subresource": subresource,
            "name": name, "namespace": req.namespace,
        }),
        kubeward_rbac::Target::NonResource { path } => json!({"verb": req.verb, "path": path}),
    }
}

fn identity_text(key: &SubjectKey, id: &Identity) -> String {
    let mut parts = Vec::new();
    if let (Some(u), SubjectKey::ServiceAccount { .. }) = (&id.user, key) {
        parts.push(format!("user {u}"));
    }
    if !id.groups.is_empty() && !matches!(key, SubjectKey::Group { .. }) {
        parts.push(format!("groups {}", id.groups.join(", ")));
    }
    if parts.is_empty() {
        key.to_string()
    } else {
        format!("{key} ({})", parts.join("; "))
    }
}

fn can(a: CanArgs) -> Result<u8> {
    let key = match parse_subject(&a.subject) {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let identity = key.identity(&a.groups);
    let check = match (&a.verb, &a.resource) {
        (Some(v), Some(r)) => match request(v, r, a.namespace.as_deref(), a.name.as_deref()) {
            Ok(req) => Some(req),
            Err(code) => return Ok(code),
        },
        (Some(_), None) => {
            eprintln!("kubeward: error: give the RESOURCE after the VERB (kubeward rbac can SUBJECT get pods)");
            return Ok(2);
        }
        _ => None,
    };
    let (model, errors) = load_model(&a.input);
    let mut out = output(&a.input)?;
    if let Some(req) = check {
        let grant = model.authorize(&identity, &req);
        if a.format == "json" {
            let v = json!({
                "subject": key,
                "request": request_json(&req),
                "allowed": grant.is_some(),
                "grant": grant.map(|g| grant_json(&model, &g)),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        } else {
            match &grant {
                Some(g) => writeln!(
                    out,
                    "yes: {} may {req}\n  {}",
                    identity_text(&key, &identity),
                    grant_text(&model, g)
                )?,
                None => writeln!(
                    out,
                    "no: no binding lets {} {req}",
                    identity_text(&key, &identity)
                )?,
            }
        }
        out.flush()?;
        return done(errors, if grant.is_some() { 0 } else { 1 });
    }
    let perms = model.permissions(&identity);
    let analysis = model.analysis();
    let risks: Vec<_> = analysis.risks.iter().filter(|r| r.subject == key).collect();
    let path = analysis.path_of(&key);
    if a.format == "json" {
        let v = json!({
            "subject": key,
            "identity": {"user": identity.user, "groups": identity.groups},
            "permissions": perms.iter().map(|p| {
                let mut g = grant_json(&model, &p.grant);
                g["scope"] = scope_json(&p.scope);
                g
            }).collect::<Vec<_>>(),
            "risks": risks.iter().map(|r| json!({"risk": r.risk, "message": r.message(&model)})).collect::<Vec<_>>(),
            "escalationPath": path.map(|p| paths::json(&model, &[p])[0].clone()),
            "notes": notes_json(&model),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        out.flush()?;
        return done(errors, 0);
    }
    writeln!(out, "{}", identity_text(&key, &identity))?;
    if perms.is_empty() {
        writeln!(out, "\nNo binding in the input grants it anything.")?;
    }
    let mut last: Option<&Scope> = None;
    for p in &perms {
        if last != Some(&p.scope) {
            writeln!(out, "\n{}:", p.scope.describe())?;
            last = Some(&p.scope);
        }
        let b = &model.bindings[p.grant.binding as usize];
        let s = &b.subjects[p.grant.subject as usize];
        let via = SubjectKey::of_binding_subject(&s.kind, &s.name, &s.namespace)
            .filter(|k| *k != key)
            .map(|k| format!(" [as {k}]"))
            .unwrap_or_default();
        writeln!(out, "  {}{via}", grant_text(&model, &p.grant))?;
    }
    if !risks.is_empty() {
        writeln!(out, "\nRisks:")?;
        for r in &risks {
            writeln!(out, "  - {}", r.message(&model))?;
        }
    }
    if let Some(p) = path {
        writeln!(out)?;
        write!(out, "{}", paths::text(&model, &[p]))?;
    }
    out.flush()?;
    done(errors, 0)
}

fn paths_cmd(a: PathsArgs) -> Result<u8> {
    let key = match a.subject.as_deref().map(parse_subject).transpose() {
        Ok(k) => k,
        Err(code) => return Ok(code),
    };
    let (model, errors) = load_model(&a.input);
    let all = &model.analysis().paths;
    let chosen: Vec<_> = all
        .iter()
        .filter(|p| key.as_ref().is_none_or(|k| &p.subject == k))
        .filter(|p| a.all || key.is_some() || !p.subject.is_system())
        .collect();
    let mut out = output(&a.input)?;
    match a.format.as_str() {
        "json" => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&paths::json(&model, &chosen))?
        )?,
        "dot" => write!(out, "{}", paths::dot(&model, &chosen))?,
        "mermaid" => write!(out, "{}", paths::mermaid(&model, &chosen))?,
        _ => write!(out, "{}", paths::text(&model, &chosen))?,
    }
    out.flush()?;
    done(errors, 0)
}

/// Passes results through, counting nothing: the engine's summary does.
struct Through<'a>(&'a mut dyn kubeward_report::Reporter);

impl Sink for Through<'_> {
    fn file(&mut self, r: FileResult) -> io::Result<()> {
        self.0.file(r)
    }
}

/// The subject-level controls through the engine and the scan reporters.
fn risks(a: RisksArgs) -> Result<u8> {
    let controls: Vec<_> = registry::all()
        .iter()
        .copied()
        .filter(|c| ("KW650".."KW700").contains(&c.meta().id))
        .collect();
    let engine = Engine::new(controls, Settings::default(), Limits::default());
    let args = if a.input.paths.is_empty() {
        vec![".".to_string()]
    } else {
        a.input.paths.clone()
    };
    let (sources, source_errors) = collect_sources(&args);
    let to_terminal = a.input.output.is_none() && io::stdout().is_terminal();
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let info = RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        pss_version: PssVersion::LATEST,
        frameworks: vec!["all".to_string()],
        fail_on: a.fail_on,
        controls: engine.controls(),
        attack_paths: false,
    };
    let mut rep = if a.format == kubeward_report::Format::Html {
        // The page also draws the escalation paths of `kubeward rbac paths` (the model read
        // again; its errors and notes are the scan's, reported once).
        let mut rep = Box::new(kubeward_report::HtmlReporter::new(
            output(&a.input)?,
            info,
            "rbac",
            false,
        ));
        let (model, _) = load_model_with(&a.input, false);
        let chosen: Vec<_> = model
            .analysis()
            .paths
            .iter()
            .filter(|p| !p.subject.is_system())
            .collect();
        kubeward_report::Reporter::section(rep.as_mut(), "rbacPaths", paths::json(&model, &chosen));
        rep as Box<dyn kubeward_report::Reporter>
    } else {
        reporter(a.format, output(&a.input)?, info, color)
    };
    let mut early = kubeward_engine::Summary::new(0);
    for e in source_errors {
        let mut r = FileResult::new(Arc::clone(&e.file));
        r.errors.push(e);
        early.add(&r);
        rep.file(r)?;
    }
    let mut summary = engine.scan(&sources, &mut Through(rep.as_mut()))?;
    summary.errors += early.errors;
    rep.finish(&summary).context("cannot write the report")?;
    Ok(summary.exit_code(a.fail_on) as u8)
}
