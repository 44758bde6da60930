//! `kubeward scan CHART_DIR`: a directory with a `Chart.yaml` is a Helm chart, whose templates
//! are not manifests until rendered. With a `helm` binary on PATH it is rendered with
//! `helm template` and the output scanned (each document's `# Source:` comment then maps its
//! findings to the template, with the `.Values` keys the template reads); without one the scan
//! says how to pipe the rendered chart in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeward_engine::origin::values_read;
use kubeward_engine::{InputError, Source};

/// Whether `path` is a chart directory.
pub fn is_chart(path: &str) -> bool {
    Path::new(path).join("Chart.yaml").is_file()
}

/// The chart's name as `helm template` writes it in `# Source:` (Chart.yaml's `name`, else the
/// directory's name).
fn chart_name(dir: &Path) -> String {
    let from_file = std::fs::read_to_string(dir.join("Chart.yaml"))
        .ok()
        .and_then(|text| {
            let parsed = kubeward_yaml::parse_str(&text, &kubeward_yaml::Limits::default());
            let doc = parsed.documents.into_iter().next()?;
            let name = doc.root().get("name")?.as_str()?.to_string();
            Some(name)
        });
    from_file.unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default()
    })
}

/// The `.Values` keys each template of the chart (and of its subcharts) reads, by the path
/// `helm template` names it with: `chart/templates/x.yaml`, `chart/charts/sub/templates/y.yaml`.
pub fn template_values(dir: &Path) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    add_templates(dir, &chart_name(dir), &mut out);
    out
}

fn add_templates(dir: &Path, prefix: &str, out: &mut HashMap<String, Vec<String>>) {
    let templates = dir.join("templates");
    for entry in walk(&templates) {
        let Ok(rel) = entry.strip_prefix(dir) else {
            continue;
        };
        if let Ok(text) = std::fs::read_to_string(&entry) {
            let key = format!("{prefix}/{}", rel.to_string_lossy().replace('\\', "/"));
            out.insert(key, values_read(&text));
        }
    }
    if let Ok(subs) = std::fs::read_dir(dir.join("charts")) {
        for sub in subs.flatten() {
            let p = sub.path();
            if p.join("Chart.yaml").is_file() {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                add_templates(&p, &format!("{prefix}/charts/{name}"), out);
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files.sort();
    files
}

/// The `helm` binary on PATH, if any.
fn helm_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("helm"))
        .find(|p| p.is_file())
}

/// What a chart directory becomes: the rendered chart as one source, or an input error that
/// says how to render it.
pub fn render(dir: &str) -> Result<Source, InputError> {
    let name: Arc<str> = Arc::from(dir);
    let Some(helm) = helm_binary() else {
        return Err(InputError::file(
            &name,
            format!(
                "this is a Helm chart (it has a Chart.yaml) and no `helm` binary is on PATH, so it \
                 cannot be rendered; render it yourself and pipe it in: \
                 helm template {dir} | kubeward scan -   (add your -f values.yaml and --set \
                 options to helm template)"
            ),
        ));
    };
    let output = std::process::Command::new(&helm)
        .arg("template")
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| InputError::file(&name, format!("cannot run {}: {e}", helm.display())))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(InputError::file(
            &name,
            format!(
                "helm template {dir} failed ({}): {}",
                output.status,
                stderr.trim()
            ),
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| {
        InputError::file(
            &name,
            "helm template wrote output that is not UTF-8".to_string(),
        )
    })?;
    Ok(Source::Text {
        name: format!("{dir} (helm template)"),
        text: Arc::from(text),
    })
}
