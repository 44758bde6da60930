//! CycloneDX 1.6 JSON: the image is the metadata component (type `container`), the OS an
//! `operating-system` component, each package a `library` component with its purl, version,
//! licences and `kubeward:` properties (layer, path, line, cataloger, source package); the
//! image depends on the OS and the packages. Known vulnerabilities go in `vulnerabilities`.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::{content_uuid, line_of, package_from, spdx_expression, WriteOptions};
use crate::{Catalog, ImageInfo, Location, OsRelease};

const IMAGE_REF: &str = "kubeward:image";
const OS_REF: &str = "kubeward:os";

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into()})
}

/// Unique `bom-ref`s: the purl, or the name and version, with `#N` added on a repeat (the same
/// package found in two places is two components).
fn bom_refs(catalog: &Catalog) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    catalog
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let base = if p.purl.is_empty() {
                format!("kubeward:package:{}@{}", p.name, p.version)
            } else {
                p.purl.clone()
            };
            if seen.insert(base.clone()) {
                base
            } else {
                format!("{base}#{i}")
            }
        })
        .collect()
}

fn licenses(license: &str) -> Value {
    match spdx_expression(license) {
        Some(e) => json!([{"expression": e}]),
        None => json!([{"license": {"name": license}}]),
    }
}

/// `catalog` as a CycloneDX 1.6 BOM.
pub fn write(catalog: &Catalog, opts: &WriteOptions<'_>) -> Value {
    let refs = bom_refs(catalog);
    let mut components = Vec::new();
    if let Some(os) = &catalog.os {
        let mut c = json!({
            "type": "operating-system",
            "bom-ref": OS_REF,
            "name": os.id,
            "version": os.version_id,
        });
        if !os.pretty_name.is_empty() {
            c["description"] = json!(os.pretty_name);
        }
        if !os.id_like.is_empty() {
            c["properties"] = json!([prop("kubeward:os:idLike", os.id_like.join(" "))]);
        }
        components.push(c);
    }
    for (p, r) in catalog.packages.iter().zip(&refs) {
        let mut props = vec![
            prop("kubeward:package:ecosystem", &p.ecosystem),
            prop("kubeward:package:foundBy", &p.found_by),
            prop("kubeward:location:path", &p.location.path),
        ];
        if let Some(l) = &p.location.layer {
            props.push(prop("kubeward:location:layer", l));
        }
        if let Some(l) = p.location.line {
            props.push(prop("kubeward:location:line", l.to_string()));
        }
        if let Some(s) = &p.source_name {
            props.push(prop("kubeward:package:sourceName", s));
        }
        if let Some(s) = &p.source_version {
            props.push(prop("kubeward:package:sourceVersion", s));
        }
        let mut c = json!({
            "type": "library",
            "bom-ref": r,
            "name": p.name,
            "version": p.version,
            "properties": props,
        });
        if !p.purl.is_empty() {
            c["purl"] = json!(p.purl);
        }
        if let Some(l) = &p.license {
            c["licenses"] = licenses(l);
        }
        components.push(c);
    }
    let mut depends: Vec<&str> = Vec::new();
    if catalog.os.is_some() {
        depends.push(OS_REF);
    }
    depends.extend(refs.iter().map(String::as_str));
    let mut metadata = json!({
        "timestamp": opts.created,
        "tools": {"components": [{
            "type": "application",
            "name": "kubeward",
            "version": opts.tool_version,
        }]},
        "component": image_component(&catalog.image),
    });
    if !opts.warnings.is_empty() {
        metadata["properties"] = Value::Array(
            opts.warnings
                .iter()
                .map(|w| prop("kubeward:warning", w))
                .collect(),
        );
    }
    let mut bom = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", content_uuid(catalog, &opts.created)),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": [{"ref": IMAGE_REF, "dependsOn": depends}],
    });
    if !opts.vulnerabilities.is_empty() {
        bom["vulnerabilities"] = Value::Array(
            opts.vulnerabilities
                .iter()
                .filter_map(|v| vulnerability(v, refs.get(v.package)?, catalog))
                .collect(),
        );
    }
    bom
}

fn image_component(image: &ImageInfo) -> Value {
    let mut props = Vec::new();
    if let Some(d) = &image.digest {
        props.push(prop("kubeward:image:digest", d));
    }
    if let Some(p) = &image.platform {
        props.push(prop("kubeward:image:platform", p));
    }
    for l in &image.layers {
        props.push(prop("kubeward:image:layer", &l.digest));
    }
    let mut c = json!({"type": "container", "bom-ref": IMAGE_REF, "name": image.name});
    if let Some(d) = &image.digest {
        c["version"] = json!(d);
    }
    if !props.is_empty() {
        c["properties"] = Value::Array(props);
    }
    c
}

fn vulnerability(v: &crate::vulns::Vulnerability, r: &str, catalog: &Catalog) -> Option<Value> {
    let p = catalog.packages.get(v.package)?;
    let mut out = json!({
        "id": v.id,
        "source": {"name": "OSV", "url": format!("https://osv.dev/vulnerability/{}", v.id)},
        "affects": [{"ref": r, "versions": [{"version": p.version, "status": "affected"}]}],
    });
    if !v.aliases.is_empty() {
        out["references"] = Value::Array(
            v.aliases
                .iter()
                .map(|a| json!({"id": a, "source": {"name": "OSV", "url": format!("https://osv.dev/vulnerability/{a}")}}))
                .collect(),
        );
    }
    let mut rating = Map::new();
    if let Some(s) = v.score {
        rating.insert("score".into(), json!(s));
    }
    rating.insert("severity".into(), json!(v.severity_label()));
    if let Some(vec) = &v.vector {
        let method = if vec.starts_with("CVSS:4") {
            "CVSSv4"
        } else if vec.starts_with("CVSS:3.1") {
            "CVSSv31"
        } else if vec.starts_with("CVSS:3") {
            "CVSSv3"
        } else {
            "other"
        };
        rating.insert("method".into(), json!(method));
        rating.insert("vector".into(), json!(vec));
    }
    out["ratings"] = json!([rating]);
    if let Some(s) = &v.summary {
        out["description"] = json!(s);
    }
    if !v.references.is_empty() {
        out["advisories"] = Value::Array(v.references.iter().map(|u| json!({"url": u})).collect());
    }
    out["recommendation"] = json!(match v.fixed.first() {
        Some(f) => format!("Upgrade {} to {f} or later", p.name),
        None => "No fix yet".to_string(),
    });
    Some(out)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn props_of(v: &Value) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in v
        .get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.entry(str_of(p, "name"))
            .or_default()
            .push(str_of(p, "value"));
    }
    out
}

/// A component's licences as one SPDX expression (several entries are joined with `AND`,
/// the reading a licence policy must assume), or the name of a licence that has no SPDX ID.
fn license_of(c: &Value) -> Option<String> {
    let list = c.get("licenses")?.as_array()?;
    let mut parts: Vec<String> = Vec::new();
    for l in list {
        if let Some(e) = l.get("expression").and_then(Value::as_str) {
            parts.push(e.to_string());
        } else if let Some(lic) = l.get("license") {
            let s = lic
                .get("id")
                .and_then(Value::as_str)
                .or_else(|| lic.get("name").and_then(Value::as_str));
            if let Some(s) = s {
                parts.push(s.to_string());
            }
        }
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(
            parts
                .iter()
                .map(|p| {
                    if p.contains(' ') {
                        format!("({p})")
                    } else {
                        p.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

/// Every component, nested ones included (CycloneDX lets components contain components).
fn flatten<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
    for c in list.as_array().into_iter().flatten() {
        out.push(c);
        if let Some(inner) = c.get("components") {
            flatten(inner, out);
        }
    }
}

/// Read a CycloneDX JSON BOM (`text` is its source, for the line of each component).
pub fn read(doc: &Value, text: &str, file: &str) -> Result<Catalog, String> {
    let mut catalog = Catalog::default();
    let meta = doc.get("metadata").and_then(|m| m.get("component"));
    catalog.image.name = match meta {
        Some(m) if !str_of(m, "name").is_empty() => str_of(m, "name").to_string(),
        _ => file.to_string(),
    };
    if let Some(m) = meta {
        let props = props_of(m);
        catalog.image.digest = props
            .get("kubeward:image:digest")
            .and_then(|v| v.first())
            .map(|s| s.to_string());
        catalog.image.platform = props
            .get("kubeward:image:platform")
            .and_then(|v| v.first())
            .map(|s| s.to_string());
        for l in props.get("kubeward:image:layer").into_iter().flatten() {
            catalog.image.layers.push(crate::LayerInfo {
                digest: l.to_string(),
                diff_id: None,
                media_type: String::new(),
                size: 0,
            });
        }
    }
    let components = doc.get("components").unwrap_or(&Value::Null);
    if !components.is_null() && !components.is_array() {
        return Err("`components` is not a list".to_string());
    }
    let mut all = Vec::new();
    flatten(components, &mut all);
    for c in all {
        let ty = str_of(c, "type");
        if ty == "operating-system" {
            catalog.os = Some(OsRelease {
                id: str_of(c, "name").to_ascii_lowercase(),
                version_id: str_of(c, "version").to_string(),
                pretty_name: str_of(c, "description").to_string(),
                id_like: props_of(c)
                    .get("kubeward:os:idLike")
                    .and_then(|v| v.first())
                    .map(|s| s.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
            });
            continue;
        }
        if ty == "container" {
            continue;
        }
        let purl = c
            .get("purl")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty());
        let props = props_of(c);
        let get = |k: &str| props.get(k).and_then(|v| v.first()).copied();
        let location = match get("kubeward:location:path") {
            Some(path) => Location {
                layer: get("kubeward:location:layer").map(str::to_string),
                path: path.to_string(),
                line: get("kubeward:location:line").and_then(|l| l.parse().ok()),
            },
            None => Location {
                layer: None,
                path: file.to_string(),
                line: line_of(text, purl.unwrap_or_else(|| str_of(c, "bom-ref"))),
            },
        };
        let mut p = package_from(
            purl,
            str_of(c, "name"),
            str_of(c, "version"),
            license_of(c),
            location,
        );
        if let Some(e) = get("kubeward:package:ecosystem") {
            // Our own SBOM: the names and versions as the cataloger wrote them.
            p.ecosystem = e.to_string();
            p.name = str_of(c, "name").to_string();
            p.version = str_of(c, "version").to_string();
        }
        if let Some(f) = get("kubeward:package:foundBy") {
            p.found_by = f.to_string();
        }
        if let Some(s) = get("kubeward:package:sourceName") {
            p.source_name = Some(s.to_string());
        }
        if let Some(s) = get("kubeward:package:sourceVersion") {
            p.source_version = Some(s.to_string());
        }
        catalog.packages.push(p);
    }
    Ok(catalog)
}
