//! How the RBAC objects pack ([`crate::pack`]): the facts keep every Role and binding of a
//! scan until the RBAC model is built with the graph; each field in declaration order.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubeward_model::{LabelSelector, ObjectId};
use kubeward_rbac::object::{Binding, BindingSubject, Origin, Role, Rule};
use kubeward_rbac::RbacObject;
use kubeward_yaml::Pos;

use crate::pack::{Pack, Reader, Writer};

impl Pack for Pos {
    fn pack(&self, w: &mut Writer<'_>) {
        w.u64(u64::from(self.line));
        w.u64(u64::from(self.column));
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(Pos {
            line: r.u32()?,
            column: r.u32()?,
        })
    }
}

impl Pack for ObjectId {
    fn pack(&self, w: &mut Writer<'_>) {
        w.put(&self.api_version);
        w.put(&self.kind);
        w.put(&self.namespace);
        w.put(&self.name);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(ObjectId {
            api_version: r.get()?,
            kind: r.get()?,
            namespace: r.get()?,
            name: r.get()?,
        })
    }
}

impl Pack for Origin {
    fn pack(&self, w: &mut Writer<'_>) {
        w.file(&self.file);
        w.put(&*self.object);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(Origin {
            file: r.file()?,
            object: Arc::new(r.get()?),
        })
    }
}

impl Pack for LabelSelector {
    fn pack(&self, w: &mut Writer<'_>) {
        let labels: Vec<(String, String)> = self
            .match_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        w.put(&labels);
        w.put(&self.match_expressions);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        let labels: Vec<(String, String)> = r.get()?;
        Some(LabelSelector {
            match_labels: labels.into_iter().collect::<BTreeMap<_, _>>(),
            match_expressions: r.get()?,
        })
    }
}

impl Pack for Rule {
    fn pack(&self, w: &mut Writer<'_>) {
        w.put(&self.verbs);
        w.put(&self.api_groups);
        w.put(&self.resources);
        w.put(&self.resource_names);
        w.put(&self.non_resource_urls);
        w.put(&self.pos);
        w.path(&self.path);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(Rule {
            verbs: r.get()?,
            api_groups: r.get()?,
            resources: r.get()?,
            resource_names: r.get()?,
            non_resource_urls: r.get()?,
            pos: r.get()?,
            path: r.path()?,
        })
    }
}

impl Pack for Role {
    fn pack(&self, w: &mut Writer<'_>) {
        w.bool(self.cluster);
        w.put(&self.name);
        w.put(&self.namespace);
        w.put(&self.labels);
        w.put(&self.aggregation);
        w.put(&self.rules);
        w.put(&self.pos);
        w.put(&self.origin);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(Role {
            cluster: r.bool()?,
            name: r.get()?,
            namespace: r.get()?,
            labels: r.get()?,
            aggregation: r.get()?,
            rules: r.get()?,
            pos: r.get()?,
            origin: r.get()?,
        })
    }
}

impl Pack for BindingSubject {
    fn pack(&self, w: &mut Writer<'_>) {
        w.put(&self.kind);
        w.put(&self.name);
        w.put(&self.namespace);
        w.put(&self.pos);
        w.path(&self.path);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(BindingSubject {
            kind: r.get()?,
            name: r.get()?,
            namespace: r.get()?,
            pos: r.get()?,
            path: r.path()?,
        })
    }
}

impl Pack for Binding {
    fn pack(&self, w: &mut Writer<'_>) {
        w.bool(self.cluster);
        w.put(&self.name);
        w.put(&self.namespace);
        w.put(&self.role_kind);
        w.put(&self.role_name);
        w.put(&self.role_ref_pos);
        w.put(&self.subjects);
        w.put(&self.labels);
        w.put(&self.pos);
        w.put(&self.origin);
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        Some(Binding {
            cluster: r.bool()?,
            name: r.get()?,
            namespace: r.get()?,
            role_kind: r.get()?,
            role_name: r.get()?,
            role_ref_pos: r.get()?,
            subjects: r.get()?,
            labels: r.get()?,
            pos: r.get()?,
            origin: r.get()?,
        })
    }
}

impl Pack for RbacObject {
    fn pack(&self, w: &mut Writer<'_>) {
        match self {
            RbacObject::Role(role) => {
                w.u64(0);
                w.put(role);
            }
            RbacObject::Binding(b) => {
                w.u64(1);
                w.put(b);
            }
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Option<Self> {
        match r.u64()? {
            0 => Some(RbacObject::Role(r.get()?)),
            1 => Some(RbacObject::Binding(r.get()?)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::Packed;

    /// Every field of every kind of RBAC object comes back as kubeward-rbac read it: rules of
    /// every list, aggregation selectors with labels and expressions, subjects of each kind,
    /// bootstrap labels, in two files.
    #[test]
    fn rbac_objects_come_back_whole() {
        let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agg
  labels: {kubernetes.io/bootstrapping: rbac-defaults, x: "1"}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate: "true"}
    matchExpressions:
    - {key: tier, operator: In, values: [a, b]}
rules:
- apiGroups: [""]
  resources: [pods, pods/exec]
  verbs: [get, create]
  resourceNames: [web]
- nonResourceURLs: ["/metrics", "/healthz/*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}
subjects:
- {kind: ServiceAccount, name: web, namespace: shop}
- {kind: User, name: "ana@example.com"}
- {kind: Group, name: "system:authenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: empty}
"#;
        let mut objects = Vec::new();
        for name in ["a.yaml", "b/c.yaml"] {
            let file: Arc<str> = Arc::from(name);
            let (read, problems) = kubeward_rbac::load::read_text(&file, text, &Default::default());
            assert!(problems.is_empty(), "{problems:?}");
            objects.extend(read);
        }
        assert_eq!(objects.len(), 6);
        let packed: Packed<RbacObject> = objects.iter().cloned().collect();
        let back: Vec<RbacObject> = packed.into_iter_decoded().collect();
        assert_eq!(format!("{back:#?}"), format!("{objects:#?}"));
    }
}
