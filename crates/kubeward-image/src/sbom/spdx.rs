//! SPDX 2.3 JSON: the image is the package the document DESCRIBES (purpose `CONTAINER`), the
//! OS a package of purpose `OPERATING_SYSTEM`, each package a `LIBRARY` package with its purl
//! (a `PACKAGE-MANAGER` external reference), version and declared licence; the image CONTAINS
//! them. kubeward's facts (ecosystem, cataloger, layer, path, line, source package) are one
//! annotation per package, comment `kubeward:package {json}`. Known vulnerabilities are
//! `SECURITY` / `advisory` external references of the affected package.

use serde_json::{json, Value};

use super::{content_uuid, line_of, package_from, spdx_expression, WriteOptions};
use crate::{Catalog, Location, OsRelease};

const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";
const ANNOTATION: &str = "kubeward:package ";
const NOT_SPDX: &str = "declared licence, not an SPDX expression: ";

fn noassertion_package(id: &str, name: &str, version: Option<&str>, purpose: &str) -> Value {
    let mut p = json!({
        "SPDXID": id,
        "name": name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": purpose,
    });
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        p["versionInfo"] = json!(v);
    }
    p
}

/// `catalog` as an SPDX 2.3 document.
pub fn write(catalog: &Catalog, opts: &WriteOptions<'_>) -> Value {
    let tool = format!("Tool: kubeward-{}", opts.tool_version);
    let image_name = if catalog.image.name.is_empty() {
        "image"
    } else {
        &catalog.image.name
    };
    let mut image = noassertion_package(
        IMAGE_ID,
        image_name,
        catalog.image.digest.as_deref(),
        "CONTAINER",
    );
    if let Some(p) = &catalog.image.platform {
        image["comment"] = json!(format!("platform {p}"));
    }
    let mut packages = vec![image];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": IMAGE_ID,
    })];
    if let Some(os) = &catalog.os {
        let mut p = noassertion_package(OS_ID, &os.id, Some(&os.version_id), "OPERATING_SYSTEM");
        if !os.pretty_name.is_empty() {
            p["description"] = json!(os.pretty_name);
        }
        packages.push(p);
        relationships.push(json!({
            "spdxElementId": IMAGE_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": OS_ID,
        }));
    }
    for (i, pkg) in catalog.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{i}");
        let mut p = noassertion_package(&id, &pkg.name, Some(&pkg.version), "LIBRARY");
        match pkg.license.as_deref().map(|l| (l, spdx_expression(l))) {
            // A LicenseRef- would need its text in hasExtractedLicensingInfos, which we do not
            // have: such expressions are kept as a comment.
            Some((_, Some(e))) if !e.contains("LicenseRef-") => p["licenseDeclared"] = json!(e),
            Some((l, _)) => p["licenseComments"] = json!(format!("{NOT_SPDX}{l}")),
            None => {}
        }
        let mut refs = Vec::new();
        if !pkg.purl.is_empty() {
            refs.push(json!({
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": pkg.purl,
            }));
        }
        for v in opts.vulnerabilities.iter().filter(|v| v.package == i) {
            refs.push(json!({
                "referenceCategory": "SECURITY",
                "referenceType": "advisory",
                "referenceLocator": format!("https://osv.dev/vulnerability/{}", v.id),
                "comment": v.one_line(),
            }));
        }
        if !refs.is_empty() {
            p["externalRefs"] = Value::Array(refs);
        }
        let mut where_ = format!("found by {} in /{}", pkg.found_by, pkg.location.path);
        if let Some(l) = pkg.location.line {
            where_.push_str(&format!(" line {l}"));
        }
        if let Some(l) = &pkg.location.layer {
            where_.push_str(&format!(", layer {l}"));
        }
        p["sourceInfo"] = json!(where_);
        let facts = json!({
            "ecosystem": pkg.ecosystem,
            "foundBy": pkg.found_by,
            "location": pkg.location,
            "sourceName": pkg.source_name,
            "sourceVersion": pkg.source_version,
        });
        p["annotations"] = json!([{
            "annotationType": "OTHER",
            "annotator": tool,
            "annotationDate": opts.created,
            "comment": format!("{ANNOTATION}{facts}"),
        }]);
        packages.push(p);
        relationships.push(json!({
            "spdxElementId": IMAGE_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let uuid = content_uuid(catalog, &opts.created);
    let mut creation = json!({"created": opts.created, "creators": [tool]});
    if !opts.warnings.is_empty() {
        creation["comment"] = json!(opts.warnings.join("\n"));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": image_name,
        "documentNamespace": format!("urn:uuid:{uuid}"),
        "creationInfo": creation,
        "packages": packages,
        "relationships": relationships,
    })
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// kubeward's annotation on a package, if it has one.
fn facts_of(p: &Value) -> Option<Value> {
    p.get("annotations")?
        .as_array()?
        .iter()
        .find_map(|a| serde_json::from_str(str_of(a, "comment").strip_prefix(ANNOTATION)?).ok())
}

/// Read an SPDX 2.x JSON document (`text` is its source, for the line of each package).
pub fn read(doc: &Value, text: &str, file: &str) -> Result<Catalog, String> {
    let packages = doc.get("packages").unwrap_or(&Value::Null);
    if !packages.is_null() && !packages.is_array() {
        return Err("`packages` is not a list".to_string());
    }
    // What the document describes: DESCRIBES relationships and (SPDX 2.2) documentDescribes.
    let mut described: Vec<&str> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for r in doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if str_of(r, "relationshipType") == "DESCRIBES"
            && str_of(r, "spdxElementId") == "SPDXRef-DOCUMENT"
        {
            described.push(str_of(r, "relatedSpdxElement"));
        }
    }
    let mut catalog = Catalog::default();
    catalog.image.name = str_of(doc, "name").to_string();
    for p in packages.as_array().into_iter().flatten() {
        let id = str_of(p, "SPDXID");
        let purpose = str_of(p, "primaryPackagePurpose");
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| str_of(r, "referenceType") == "purl")
            .map(|r| str_of(r, "referenceLocator"))
            .filter(|s| !s.is_empty());
        if purpose == "OPERATING_SYSTEM" {
            catalog.os = Some(OsRelease {
                id: str_of(p, "name").to_ascii_lowercase(),
                version_id: str_of(p, "versionInfo").to_string(),
                pretty_name: str_of(p, "description").to_string(),
                id_like: Vec::new(),
            });
            continue;
        }
        let is_image = purpose == "CONTAINER"
            || purl.is_some_and(|u| u.starts_with("pkg:oci/") || u.starts_with("pkg:docker/"));
        if is_image || (described.contains(&id) && purl.is_none()) {
            if !str_of(p, "name").is_empty() {
                catalog.image.name = str_of(p, "name").to_string();
            }
            if let Some(v) = p.get("versionInfo").and_then(Value::as_str) {
                catalog.image.digest = Some(v.to_string()).filter(|v| v.starts_with("sha256:"));
            }
            continue;
        }
        let license = [str_of(p, "licenseDeclared"), str_of(p, "licenseConcluded")]
            .into_iter()
            .find(|l| !l.is_empty() && *l != "NOASSERTION" && *l != "NONE")
            .or_else(|| str_of(p, "licenseComments").strip_prefix(NOT_SPDX))
            .map(str::to_string);
        let facts = facts_of(p);
        let location = match facts
            .as_ref()
            .and_then(|f| serde_json::from_value::<Location>(f["location"].clone()).ok())
        {
            Some(l) => l,
            None => Location {
                layer: None,
                path: file.to_string(),
                line: line_of(text, id),
            },
        };
        let mut pkg = package_from(
            purl,
            str_of(p, "name"),
            str_of(p, "versionInfo"),
            license,
            location,
        );
        if let Some(f) = facts {
            // Our own SBOM: the names and versions as the cataloger wrote them.
            pkg.name = str_of(p, "name").to_string();
            pkg.version = str_of(p, "versionInfo").to_string();
            pkg.ecosystem = str_of(&f, "ecosystem").to_string();
            pkg.found_by = str_of(&f, "foundBy").to_string();
            pkg.source_name = f["sourceName"].as_str().map(str::to_string);
            pkg.source_version = f["sourceVersion"].as_str().map(str::to_string);
        }
        catalog.packages.push(pkg);
    }
    if catalog.image.name.is_empty() {
        catalog.image.name = file.to_string();
    }
    Ok(catalog)
}
