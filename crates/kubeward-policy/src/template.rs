//! ConstraintTemplates (`templates.gatekeeper.sh/v1`, also v1beta1/v1alpha1, which have the
//! same shape for what is read here): the CRD kind, the parameters' schema, and the code of
//! the single target `admission.k8s.gatekeeper.sh`, Rego (`rego` + `libs`, or
//! `code[engine: Rego].source`) and `K8sNativeValidation` (`code[engine: K8sNativeValidation]`).

use serde_json::Value;

use crate::constraint::{type_name, Constraint};
use crate::{
    celeng, regoeng, Doc, EngineChoice, EngineKind, Inventory, PolicyError, PolicyErrorKind,
    RawResult, Review, Source,
};

/// The only target Gatekeeper's admission webhook and gator evaluate.
pub(crate) const TARGET: &str = "admission.k8s.gatekeeper.sh";

pub(crate) enum Program {
    Rego(Box<regoeng::RegoProgram>),
    Cel(Box<celeng::CelProgram>),
}

pub(crate) struct CompiledTemplate {
    pub name: String,
    pub kind: String,
    pub source: Source,
    pub parameters_schema: Option<Value>,
    pub engine: EngineKind,
    /// The code reads `data.inventory` (only Rego can): it needs every object of the input.
    pub uses_inventory: bool,
    /// The kinds Gatekeeper must sync for it (`metadata.gatekeeper.sh/requires-sync-data`);
    /// `None` when the annotation is absent or unreadable (then every kind may be read).
    pub sync_kinds: Option<Vec<String>>,
    /// The same as (group, version, kind), for a server that syncs them (`serve`).
    pub sync_gvks: Option<Vec<(String, String, String)>>,
    /// The annotation is there but cannot be read: an error at it, the template kept (it
    /// then sees every kind).
    pub sync_error: Option<PolicyError>,
    program: Program,
}

/// Rego code of a template.
pub(crate) struct RegoCode {
    pub rego: String,
    pub libs: Vec<String>,
    pub v1: bool,
}

impl CompiledTemplate {
    pub fn compile(
        doc: &Doc,
        choice: EngineChoice,
        accelerate: bool,
    ) -> Result<CompiledTemplate, PolicyError> {
        let v = &doc.value;
        let err = |kind, m: String| PolicyError::new(&doc.source, kind, m);
        let name = v
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            return Err(err(
                PolicyErrorKind::Invalid,
                "ConstraintTemplate has no metadata.name".into(),
            ));
        }
        let what = format!("ConstraintTemplate {name}");
        let kind = match v.pointer("/spec/crd/spec/names/kind") {
            Some(Value::String(k)) if !k.is_empty() => k.clone(),
            _ => {
                return Err(err(
                    PolicyErrorKind::Invalid,
                    format!("{what}: spec.crd.spec.names.kind must be a non-empty string"),
                ))
            }
        };
        if kind.to_lowercase() != name {
            return Err(err(
                PolicyErrorKind::Invalid,
                format!(
                    "{what}: metadata.name must be the lowercase of spec.crd.spec.names.kind ({:?})",
                    kind.to_lowercase()
                ),
            ));
        }
        let parameters_schema = v
            .pointer("/spec/crd/spec/validation/openAPIV3Schema")
            .filter(|s| s.is_object())
            .cloned();
        let targets = match v.pointer("/spec/targets") {
            Some(Value::Array(t)) => t,
            Some(other) => {
                return Err(err(
                    PolicyErrorKind::Invalid,
                    format!(
                        "{what}: spec.targets must be a list, found {}",
                        type_name(other)
                    ),
                ))
            }
            None => {
                return Err(err(
                    PolicyErrorKind::Invalid,
                    format!("{what}: spec.targets is missing"),
                ))
            }
        };
        if targets.len() != 1 {
            return Err(err(
                PolicyErrorKind::Invalid,
                format!(
                    "{what}: spec.targets must have exactly one target, found {}",
                    targets.len()
                ),
            ));
        }
        let target = &targets[0];
        if target.get("target").and_then(Value::as_str) != Some(TARGET) {
            return Err(err(
                PolicyErrorKind::Invalid,
                format!("{what}: spec.targets[0].target must be {TARGET:?}"),
            ));
        }
        let code: &[Value] = match target.get("code") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(c)) => c,
            Some(other) => {
                return Err(err(
                    PolicyErrorKind::Invalid,
                    format!(
                        "{what}: spec.targets[0].code must be a list, found {}",
                        type_name(other)
                    ),
                ))
            }
        };
        let engine_source = |engine: &str| {
            code.iter()
                .position(|c| c.get("engine").and_then(Value::as_str) == Some(engine))
                .map(|i| {
                    (
                        code[i].get("source").cloned().unwrap_or(Value::Null),
                        format!("/spec/targets/0/code/{i}/source"),
                    )
                })
        };
        let cel_source = engine_source("K8sNativeValidation");
        let rego_pointer = match engine_source("Rego") {
            Some((_, p)) => format!("{p}/rego"),
            None => "/spec/targets/0/rego".to_string(),
        };
        let libs_pointer = rego_pointer.trim_end_matches("/rego").to_string() + "/libs";
        let rego = match engine_source("Rego").map(|(s, _)| s) {
            Some(src) => Some(RegoCode {
                rego: match src.get("rego") {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(err(
                            PolicyErrorKind::Invalid,
                            format!("{what}: the Rego code's source.rego must be a string"),
                        ))
                    }
                },
                libs: strings(src.get("libs")).ok_or_else(|| {
                    err(
                        PolicyErrorKind::Invalid,
                        format!("{what}: source.libs must be a list of strings"),
                    )
                })?,
                v1: src.get("version").and_then(Value::as_str) == Some("v1"),
            }),
            None => match target.get("rego") {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(RegoCode {
                    rego: s.clone(),
                    libs: strings(target.get("libs")).ok_or_else(|| {
                        err(
                            PolicyErrorKind::Invalid,
                            format!("{what}: spec.targets[0].libs must be a list of strings"),
                        )
                    })?,
                    v1: false,
                }),
                _ => None,
            },
        };
        let use_cel = match choice {
            EngineChoice::Auto => cel_source.is_some(),
            EngineChoice::Cel => true,
            EngineChoice::Rego => false,
        };
        let (engine, program) = if use_cel {
            let Some((src, src_pointer)) = cel_source else {
                return Err(err(
                    PolicyErrorKind::NoCode,
                    format!("{what} has no K8sNativeValidation code"),
                ));
            };
            let p = celeng::CelProgram::compile(&src).map_err(|m| {
                PolicyError::new(
                    &locate_cel(doc, &src_pointer, &m),
                    PolicyErrorKind::Compile,
                    format!("{what}: K8sNativeValidation: {m}"),
                )
            })?;
            (EngineKind::Cel, Program::Cel(Box::new(p)))
        } else {
            let Some(code) = rego else {
                return Err(err(
                    PolicyErrorKind::NoCode,
                    format!("{what} has no Rego code"),
                ));
            };
            let p = regoeng::RegoProgram::compile(&name, &code, accelerate).map_err(|m| {
                PolicyError::new(
                    &locate_rego(doc, &name, &rego_pointer, &libs_pointer, &m),
                    PolicyErrorKind::Compile,
                    format!("{what}: Rego: {m}"),
                )
            })?;
            (EngineKind::Rego, Program::Rego(Box::new(p)))
        };
        let uses_inventory = match &program {
            Program::Rego(_) => rego_text_mentions_inventory(v),
            Program::Cel(_) => false,
        };
        let sync_gvks = sync_gvks(v);
        let sync_error = (sync_gvks.is_none()
            && v.pointer(SYNC_ANNOTATION).is_some())
        .then(|| {
            PolicyError::new(
                &doc.locate(SYNC_ANNOTATION),
                PolicyErrorKind::SyncAnnotation,
                format!(
                    "{what}: metadata.gatekeeper.sh/requires-sync-data must be a JSON list of lists of {{groups, versions, kinds}} (string lists); it cannot be read, so every kind is kept for the template"
                ),
            )
        });
        Ok(CompiledTemplate {
            name,
            kind,
            source: doc.source.clone(),
            parameters_schema,
            engine,
            uses_inventory,
            sync_kinds: sync_gvks.as_deref().map(kinds_of),
            sync_gvks,
            sync_error,
            program,
        })
    }

    /// Whether an index answers for it ([`crate::accel`]).
    pub fn accelerated(&self) -> bool {
        matches!(&self.program, Program::Rego(p) if p.accelerated())
    }

    pub fn evaluate(
        &self,
        c: &Constraint,
        review: &Review,
        inventory: &Inventory,
    ) -> Result<Vec<RawResult>, String> {
        match &self.program {
            Program::Rego(p) => p.evaluate(
                &c.parameters,
                review,
                inventory,
                self.uses_inventory,
                self.sync_kinds.as_deref(),
            ),
            Program::Cel(p) => p.evaluate(&c.object, review),
        }
    }
}

/// Whether any Rego module of the template (`rego`, `libs`, `code[].source.rego`/`libs`)
/// mentions `inventory`: a conservative test (a comment naming it counts too), which only
/// decides whether the template is evaluated after every object of a scan is read.
fn rego_text_mentions_inventory(v: &Value) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains("inventory"),
            Value::Array(a) => a.iter().any(walk),
            Value::Object(m) => m.values().any(walk),
            _ => false,
        }
    }
    v.pointer("/spec/targets").is_some_and(walk)
}

/// Where a template says which kinds Gatekeeper must sync for it.
const SYNC_ANNOTATION: &str = "/metadata/annotations/metadata.gatekeeper.sh~1requires-sync-data";

/// The distinct kinds of a template's sync requirements ([`sync_gvks`]), sorted.
fn kinds_of(gvks: &[(String, String, String)]) -> Vec<String> {
    let mut kinds: Vec<String> = gvks.iter().map(|(_, _, k)| k.clone()).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Every (group, version, kind) of `metadata.gatekeeper.sh/requires-sync-data` (a JSON list
/// of alternatives, each a list of `{groups, versions, kinds}`), as the Gatekeeper library
/// annotates its referential templates. The library writes the JSON inside double quotes in a block scalar
/// (`|` then `"[ [ ... ] ]"`): Gatekeeper trims newlines and double quotes from both ends
/// before decoding (`strings.Trim(annotation, "\n\"")` in `pkg/cachemanager/parser`'s
/// `ReadSyncRequirements`), and so does this (white space too, which JSON ignores anyway).
/// Each clause is expanded as Gatekeeper's `ExpandGVKClause` does (every group with every
/// version and every kind).
fn sync_gvks(v: &Value) -> Option<Vec<(String, String, String)>> {
    let text = v.pointer(SYNC_ANNOTATION)?.as_str()?;
    let text = text.trim_matches(|c: char| c == '"' || c.is_whitespace());
    let parsed: Value = serde_json::from_str(text).ok()?;
    let list = |c: &Value, key: &str| -> Option<Vec<String>> {
        c.get(key)?
            .as_array()?
            .iter()
            .map(|x| x.as_str().map(String::from))
            .collect()
    };
    let mut out = Vec::new();
    for alt in parsed.as_array()? {
        for clause in alt.as_array()? {
            let kinds = list(clause, "kinds")?;
            // A clause without groups or versions names kinds for the inventory's view but
            // nothing that can be listed.
            let groups = list(clause, "groups").unwrap_or_default();
            let versions = list(clause, "versions").unwrap_or_default();
            for g in &groups {
                for ver in &versions {
                    for k in &kinds {
                        out.push((g.clone(), ver.clone(), k.clone()));
                    }
                }
            }
            if groups.is_empty() || versions.is_empty() {
                out.extend(kinds.into_iter().map(|k| (String::new(), String::new(), k)));
            }
        }
    }
    Some(out)
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    match v {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(String::from)).collect(),
        _ => None,
    }
}

/// Where a CEL compile error is: the field its message names (`validations[2]: ...`).
pub(crate) fn locate_cel(doc: &Doc, source_pointer: &str, message: &str) -> Source {
    let re = regex::Regex::new(
        r"^(variables|matchConditions|validations)\[(\d+)\](\.messageExpression)?",
    );
    let Some(c) = re.ok().and_then(|re| re.captures(message)) else {
        return doc.locate(source_pointer);
    };
    let index = &c[2];
    let field = if c.get(3).is_some() {
        "messageExpression"
    } else {
        "expression"
    };
    let lists: &[&str] = match &c[1] {
        "matchConditions" => &["matchCondition", "matchConditions"],
        "variables" => &["variables"],
        _ => &["validations"],
    };
    for l in lists {
        let p = format!("{source_pointer}/{l}/{index}/{field}");
        let at = doc.locate(&p);
        if at != doc.source {
            return at;
        }
    }
    doc.locate(source_pointer)
}

/// Where a Rego compile error is: regorus names the module and the line and column in it
/// (`--> name.rego:12:5`, `--> name.lib_0.rego:3:1`), which are mapped into the YAML file
/// when the module is a block scalar.
fn locate_rego(doc: &Doc, template: &str, rego: &str, libs: &str, message: &str) -> Source {
    let re = regex::Regex::new(r"--> ([^\s:]+):(\d+):(\d+)");
    let Some(c) = re.ok().and_then(|re| re.captures(message)) else {
        return doc.locate(rego);
    };
    let (Ok(line), Ok(col)) = (c[2].parse::<u32>(), c[3].parse::<u32>()) else {
        return doc.locate(rego);
    };
    let module = &c[1];
    let pointer = if module == format!("{template}.rego") {
        rego.to_string()
    } else if let Some(i) = module
        .strip_prefix(&format!("{template}.lib_"))
        .and_then(|r| r.strip_suffix(".rego"))
    {
        format!("{libs}/{i}")
    } else {
        return doc.locate(rego);
    };
    // regorus counts columns in bytes; the file's columns are characters.
    let col = doc
        .value
        .pointer(&pointer)
        .and_then(Value::as_str)
        .and_then(|module| module.lines().nth(line.checked_sub(1)? as usize))
        .map_or(col, |text| {
            let byte = col.saturating_sub(1) as usize;
            text.char_indices().take_while(|&(i, _)| i < byte).count() as u32 + 1
        });
    doc.locate_in_block(&pointer, line, col)
        .unwrap_or_else(|| doc.locate(&pointer))
}
