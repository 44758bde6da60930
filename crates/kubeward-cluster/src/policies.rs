//! The cluster's own policies, read through its API: Gatekeeper ConstraintTemplates
//! (`templates.gatekeeper.sh`) and their constraints (`constraints.gatekeeper.sh`, one kind per
//! template, found by discovery since Gatekeeper makes a CRD for each), and
//! ValidatingAdmissionPolicies and their bindings (`admissionregistration.k8s.io/v1`, served
//! from Kubernetes 1.30). A group the server does not serve (no Gatekeeper; an API server
//! older than 1.30) is a note, said once, not an error: the rest of the scan goes on.
//!
//! Every object is cluster-scoped, so they are listed whatever namespace the scan is limited
//! to.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList};
use kube::Client;
use serde_json::Value;

use crate::fetch::{get_json, list_kind, FetchOptions, KindStatus, Listing, Render};

/// The Gatekeeper template group.
pub const TEMPLATES_GROUP: &str = "templates.gatekeeper.sh";
/// The Gatekeeper constraint group.
pub const CONSTRAINTS_GROUP: &str = "constraints.gatekeeper.sh";
/// The group of ValidatingAdmissionPolicies; only its `v1` is read.
pub const VAP_GROUP_VERSION: &str = "admissionregistration.k8s.io/v1";

/// What was read of a cluster's policies.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ClusterPolicies {
    /// The policy objects as listed (without `status` and `managedFields`), in a stable
    /// order: templates, constraints (by kind), policies, bindings; each in the server's order.
    pub objects: Vec<Value>,
    /// What was not read and why (a group not served, a kind forbidden).
    pub notes: Vec<String>,
    /// Lists that failed (after the retries) or answers that could not be read.
    pub errors: Vec<String>,
}

impl ClusterPolicies {
    /// The objects' identities and versions (`Kind/name@resourceVersion`), sorted: equal
    /// when nothing changed between two reads.
    pub fn fingerprint(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .objects
            .iter()
            .map(|o| {
                format!(
                    "{}/{}@{}",
                    o["kind"].as_str().unwrap_or(""),
                    o.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                    o.pointer("/metadata/resourceVersion")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            })
            .collect();
        v.sort();
        v
    }
}

/// A group's preferred version (`templates.gatekeeper.sh/v1`), if the server serves it.
fn preferred(groups: &APIGroupList, group: &str) -> Option<String> {
    let g = groups.groups.iter().find(|g| g.name == group)?;
    g.preferred_version
        .as_ref()
        .map(|v| v.group_version.clone())
        .or_else(|| g.versions.first().map(|v| v.group_version.clone()))
}

/// Read the objects a server's policies need in their inventory
/// ([`kubeward_policy::PolicySet::sync_requirements`]): every object of each `(apiVersion,
/// kind)`, in every namespace. A kind the server does not serve, or that the credentials
/// cannot list, is a note; the rest is read.
pub async fn fetch_synced(
    client: &Client,
    kinds: &[(String, String)],
    opts: &FetchOptions,
) -> ClusterPolicies {
    let opts = FetchOptions {
        namespace: None,
        render: Render::Json,
        ..opts.clone()
    };
    let mut out = ClusterPolicies::default();
    let mut versions: Vec<&str> = kinds.iter().map(|(api, _)| api.as_str()).collect();
    versions.sort();
    versions.dedup();
    for api in versions {
        let path = if api.contains('/') {
            format!("/apis/{api}")
        } else {
            format!("/api/{api}")
        };
        let list = match get_json::<APIResourceList>(client, &path, &opts).await {
            Ok(list) => list,
            Err((_, e)) => {
                out.notes.push(format!(
                    "{api}: not read: discovery failed or not served: {e}"
                ));
                continue;
            }
        };
        for (_, kind) in kinds.iter().filter(|(a, _)| a == api) {
            let Some(r) = list
                .resources
                .iter()
                .find(|r| &r.kind == kind && !r.name.contains('/'))
            else {
                out.notes.push(format!(
                    "{kind} ({api}): not served by this server; none synced"
                ));
                continue;
            };
            list_kind_into(client, kind, &r.name, r.namespaced, api, &opts, &mut out).await;
        }
    }
    out
}

/// List one kind and add its objects (or a note, or an error).
async fn list_into(
    client: &Client,
    kind: &str,
    plural: &str,
    api_version: &str,
    opts: &FetchOptions,
    out: &mut ClusterPolicies,
) {
    list_kind_into(client, kind, plural, false, api_version, opts, out).await
}

async fn list_kind_into(
    client: &Client,
    kind: &str,
    plural: &str,
    namespaced: bool,
    api_version: &str,
    opts: &FetchOptions,
    out: &mut ClusterPolicies,
) {
    let listing = Listing {
        kind,
        plural,
        namespaced,
        metadata_only: false,
    };
    let (status, objects, _) = list_kind(client, &listing, api_version, opts).await;
    match status {
        KindStatus::Listed { .. } => {
            for o in objects {
                match serde_json::from_str::<Value>(&o.text) {
                    Ok(v) => out.objects.push(v),
                    // Cannot happen: the text was written from a JSON value.
                    Err(e) => out.errors.push(format!("{kind} {}: {e}", o.name)),
                }
            }
        }
        KindStatus::Forbidden { message, .. } => out.notes.push(format!(
            "{kind} ({api_version}): not read: forbidden: {message}"
        )),
        KindStatus::Failed { error, .. } => out
            .errors
            .push(format!("{kind} ({api_version}): not read: {error}")),
        KindStatus::NotServed | KindStatus::Skipped { .. } => {}
    }
}

/// The resources of a group version (`None` and an error when the answer cannot be had).
async fn resources(
    client: &Client,
    group_version: &str,
    opts: &FetchOptions,
    out: &mut ClusterPolicies,
) -> Option<APIResourceList> {
    match get_json::<APIResourceList>(client, &format!("/apis/{group_version}"), opts).await {
        Ok(list) => Some(list),
        Err((_, e)) => {
            out.errors
                .push(format!("discovery of {group_version} failed: {e}"));
            None
        }
    }
}

/// Read the cluster's policies. Never fails as a whole: what cannot be read is in
/// [`ClusterPolicies::notes`] (not served, forbidden) or [`ClusterPolicies::errors`].
pub async fn fetch_policies(client: &Client, opts: &FetchOptions) -> ClusterPolicies {
    let opts = FetchOptions {
        namespace: None,
        render: Render::Json,
        ..opts.clone()
    };
    let mut out = ClusterPolicies::default();
    let groups: APIGroupList = match get_json(client, "/apis", &opts).await {
        Ok(g) => g,
        Err((_, e)) => {
            out.errors.push(format!("discovery (/apis) failed: {e}"));
            return out;
        }
    };
    match preferred(&groups, TEMPLATES_GROUP) {
        None => out.notes.push(format!(
            "Gatekeeper ConstraintTemplates: {TEMPLATES_GROUP} is not served by this server (Gatekeeper is not installed); none read"
        )),
        Some(gv) => {
            list_into(
                client,
                "ConstraintTemplate",
                "constrainttemplates",
                &gv,
                &opts,
                &mut out,
            )
            .await
        }
    }
    if let Some(gv) = preferred(&groups, CONSTRAINTS_GROUP) {
        if let Some(list) = resources(client, &gv, &opts, &mut out).await {
            let mut kinds: Vec<(String, String)> = list
                .resources
                .into_iter()
                .filter(|r| !r.name.contains('/') && r.verbs.iter().any(|v| v == "list"))
                .map(|r| (r.kind, r.name))
                .collect();
            kinds.sort();
            for (kind, plural) in kinds {
                list_into(client, &kind, &plural, &gv, &opts, &mut out).await;
            }
        }
    }
    let vap_served = groups
        .groups
        .iter()
        .filter(|g| g.name == "admissionregistration.k8s.io")
        .flat_map(|g| g.versions.iter())
        .any(|v| v.group_version == VAP_GROUP_VERSION);
    let vap_resources = if vap_served {
        resources(client, VAP_GROUP_VERSION, &opts, &mut out)
            .await
            .map(|l| l.resources.into_iter().map(|r| r.name).collect::<Vec<_>>())
    } else {
        Some(Vec::new())
    };
    if let Some(names) = vap_resources {
        let has = |n: &str| names.iter().any(|x| x == n);
        if has("validatingadmissionpolicies") {
            list_into(
                client,
                "ValidatingAdmissionPolicy",
                "validatingadmissionpolicies",
                VAP_GROUP_VERSION,
                &opts,
                &mut out,
            )
            .await;
            if has("validatingadmissionpolicybindings") {
                list_into(
                    client,
                    "ValidatingAdmissionPolicyBinding",
                    "validatingadmissionpolicybindings",
                    VAP_GROUP_VERSION,
                    &opts,
                    &mut out,
                )
                .await;
            }
        } else {
            out.notes.push(format!(
                "ValidatingAdmissionPolicies: {VAP_GROUP_VERSION} validatingadmissionpolicies is not served by this server (Kubernetes 1.30 and later serve it); none read"
            ));
        }
    }
    out
}
