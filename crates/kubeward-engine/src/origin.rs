//! Where the user edits an object that a tool rendered: the Helm template (`helm template`
//! writes `# Source: chart/templates/x.yaml` above each document) or the Kustomize resource
//! file (`kustomize build` with `buildMetadata: [originAnnotations]` writes the
//! `config.kubernetes.io/origin` annotation). Findings on such objects carry it, so reports
//! can point at the file to change, with the `.Values` keys the template reads when the chart
//! is at hand.

use std::collections::HashMap;

use kubeward_model::Object;
use serde::Serialize;

/// The annotation `kustomize build` writes with `buildMetadata: [originAnnotations]`.
pub const KUSTOMIZE_ORIGIN: &str = "config.kubernetes.io/origin";

/// The source an object was rendered from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// `helm` or `kustomize`.
    pub tool: &'static str,
    /// The template (`chart/templates/deployment.yaml`) or resource file
    /// (`base/deployment.yaml`), as the tool wrote it.
    pub path: String,
    /// Kustomize: the repository of a remote resource, and its ref.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Helm: the `.Values` keys the template reads (`image.tag`), when the chart was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// The `# Source:` comment that `helm template` writes at the top of a document: among the
/// lines before the document's first content line.
pub fn helm_source(piece: &[u8]) -> Option<&str> {
    for line in piece.split(|&b| b == b'\n') {
        let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
        let t = line.trim();
        if t.is_empty() || t == "---" {
            continue;
        }
        if let Some(path) = t.strip_prefix("# Source: ") {
            let path = path.trim();
            return (!path.is_empty()).then_some(path);
        }
        if t.starts_with('#') {
            continue;
        }
        return None;
    }
    None
}

/// The origin of `object`: its Kustomize annotation, else the document's Helm comment.
pub fn of(
    object: &Object<'_>,
    helm: Option<&str>,
    values: &HashMap<String, Vec<String>>,
) -> Option<Origin> {
    if let Some(text) = object
        .root
        .get_path(&["metadata", "annotations", KUSTOMIZE_ORIGIN])
        .and_then(|n| n.as_str())
    {
        // The annotation's value is itself YAML (`path: ...`, `repo: ...`, `ref: ...`).
        let parsed = kubeward_yaml::parse_str(text, &kubeward_yaml::Limits::default());
        let doc = parsed.documents.first()?;
        let root = doc.root();
        let field = |k: &str| root.get(k).and_then(|n| n.as_str()).map(str::to_string);
        let path = field("path").or_else(|| field("configuredIn"))?;
        return Some(Origin {
            tool: "kustomize",
            path,
            repo: field("repo"),
            git_ref: field("ref"),
            values: Vec::new(),
        });
    }
    let path = helm?;
    Some(Origin {
        tool: "helm",
        path: path.to_string(),
        repo: None,
        git_ref: None,
        values: values.get(path).cloned().unwrap_or_default(),
    })
}

/// The `.Values` keys a Helm template reads (`.Values.image.tag` -> `image.tag`), sorted and
/// unique; `$.Values` and `index .Values "a"` forms included as far as they name keys.
/// Hand-written: a scan of Go template text for one pattern, not a template parser.
pub fn values_read(template: &str) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    let mut rest = template;
    while let Some(i) = rest.find(".Values") {
        let after = &rest[i + ".Values".len()..];
        let mut key = String::new();
        let mut chars = after.char_indices().peekable();
        while let Some(&(_, '.')) = chars.peek() {
            chars.next();
            let mut part = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    part.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if part.is_empty() {
                break;
            }
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(&part);
        }
        if !key.is_empty() {
            keys.insert(key);
        }
        rest = after;
    }
    keys.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_source_is_the_comment_above_the_content() {
        assert_eq!(
            helm_source(b"---\n# Source: prometheus/templates/cm.yaml\napiVersion: v1\n"),
            Some("prometheus/templates/cm.yaml")
        );
        assert_eq!(helm_source(b"apiVersion: v1\n# Source: x.yaml\n"), None);
    }

    #[test]
    fn values_read_by_a_template() {
        let t = "image: {{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\n{{- with .Values.podSecurityContext }}\n{{ toYaml $.Values.securityContext }}";
        assert_eq!(
            values_read(t),
            [
                "image.repository",
                "image.tag",
                "podSecurityContext",
                "securityContext"
            ]
        );
    }
}
