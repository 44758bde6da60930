//! RBAC objects from YAML or JSON text, with the same reader as `kubeward scan`.

use std::sync::Arc;

use kubeward_yaml::{split_documents, Chunk, Limits, Problem};

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
    let mut reader = Objects {
        file,
        objects: Vec::new(),
    };
    let problems = kubeward_model::read::read_chunks(&mut reader, text, chunks, limits);
    (reader.objects, problems)
}

/// The RBAC objects of a file, as [`kubeward_model::read::read_chunks`] reads them.
struct Objects<'f> {
    file: &'f Arc<str>,
    objects: Vec<RbacObject>,
}

impl kubeward_model::read::Reader for Objects<'_> {
    type Mark = usize;

    fn mark(&self) -> usize {
        self.objects.len()
    }

    fn reset(&mut self, mark: usize) {
        self.objects.truncate(mark);
    }

    fn object(&mut self, o: &kubeward_model::Object<'_>, _: &mut Vec<Problem>) {
        self.objects.extend(RbacObject::from_object(
            o,
            self.file,
            DEFAULT_NAMESPACE,
            || Arc::new(o.id()),
        ));
    }
}
