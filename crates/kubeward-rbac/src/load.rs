//! RBAC objects from YAML or JSON text, with the same reader as `kubeward scan`.

use std::sync::Arc;

use kubeward_model::{objects_in, Item};
use kubeward_yaml::{parse_chunk, split_documents, Chunk, Limits, Problem};

use crate::object::RbacObject;

/// The namespace of namespaced objects that name none (what `kubectl apply` uses without `-n`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Every RBAC object of a text (other kinds are skipped), and the problems that kept parts of
/// it from being read, located. Each document is parsed on its own, so a broken one loses
/// nothing else.
pub fn read_text(file: &Arc<str>, text: &str, limits: &Limits) -> (Vec<RbacObject>, Vec<Problem>) {
    read_chunks(
        file,
        text.as_bytes(),
        &split_documents(text.as_bytes()),
        limits,
    )
}

/// [`read_text`] for a text already cut into documents.
pub fn read_chunks(
    file: &Arc<str>,
    text: &[u8],
    chunks: &[Chunk],
    limits: &Limits,
) -> (Vec<RbacObject>, Vec<Problem>) {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for &chunk in chunks {
        // A bug reading one document costs that document, never the others.
        let (n, m) = (objects.len(), problems.len());
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let parsed = parse_chunk(text, chunk, limits);
            for doc in &parsed.documents {
                for item in objects_in(doc) {
                    match item {
                        Item::Object(o) => objects.extend(RbacObject::from_object(
                            &o,
                            file,
                            DEFAULT_NAMESPACE,
                            || Arc::new(o.id()),
                        )),
                        Item::Invalid(p) => problems.push(p),
                        Item::NotAnObject { .. } => {}
                    }
                }
            }
            problems.extend(parsed.error);
        }));
        if read.is_err() {
            objects.truncate(n);
            problems.truncate(m);
            problems.push(Problem {
                pos: kubeward_yaml::Pos {
                    line: chunk.first_line,
                    column: 1,
                },
                message:
                    "internal error while reading this document; it was skipped (please report it)"
                        .to_string(),
            });
        }
    }
    (objects, problems)
}
