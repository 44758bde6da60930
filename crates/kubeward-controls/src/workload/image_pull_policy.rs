use crate::pss::{frameworks, who};
use crate::workload::{image_of, mitre, nsa, ImageRef};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// When the configuration sets `require_pull_always`, flags every container (including
    /// init and ephemeral containers) whose effective `imagePullPolicy` is not `Always`:
    ///
    /// * an explicit `IfNotPresent` or `Never`, at the field;
    /// * a missing (or null) policy where the API server defaults it to `IfNotPresent`, at
    ///   the container (at the null value when one is written): an image with a tag other than `latest`, or with a digest and no tag. A
    ///   missing policy on an image tagged `latest`, or with neither tag nor digest, defaults
    ///   to `Always` and is not flagged.
    ///
    /// Off by default: the control reports nothing unless `require_pull_always` is set.
    ///
    /// ## Why it matters
    /// With `IfNotPresent`, a pod scheduled on a node that already holds a private image runs
    /// it without the node ever checking the pod's pull credentials: any tenant who can create
    /// pods and guess the image name uses another tenant's private image. `Always` makes the
    /// kubelet authenticate each pull (the layers stay cached, so it costs little). This is
    /// what the `AlwaysPullImages` admission plugin enforces cluster-wide.
    ///
    /// ## Example
    /// ```yaml
    /// # require_pull_always: true
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3
    ///   imagePullPolicy: IfNotPresent   # flagged
    /// ```
    ///
    /// ## How to fix
    /// Set `imagePullPolicy: Always`, or enable the `AlwaysPullImages` admission plugin (or
    /// the kubelet's image pull credential verification) for the whole cluster.
    pub struct ImagePullPolicyNotAlways;
    id: "KW309",
    name: "image-pull-policy-not-always",
    title: "Image pull policy is not Always",
    severity: Low,
    remediation: "Set imagePullPolicy: Always so that every pull is authorized against the pod's credentials.",
    frameworks: frameworks(
        None,
        &[nsa::IMAGES],
        &["5.5.1"],
        &[mitre::MALICIOUS_IMAGE],
    ),
}

impl Control for ImagePullPolicyNotAlways {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::set(Some("imagePullPolicy"), "Always")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        if !cx.settings.require_pull_always {
            return;
        }
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            let path = c.path.key("imagePullPolicy");
            match c.node.get("imagePullPolicy").filter(|n| !n.is_null()) {
                Some(n) => {
                    let Some(policy) = n.as_str() else { continue };
                    if policy != "Always" {
                        cx.report(
                            n,
                            path,
                            format!(
                                "{} sets imagePullPolicy to \"{policy}\", not Always",
                                who(&c)
                            ),
                        );
                    }
                }
                None => {
                    let Some((_, image)) = image_of(&c) else {
                        continue;
                    };
                    let Some(r) = ImageRef::parse(image) else {
                        continue;
                    };
                    // As the API server defaults it: `latest` (exactly, even with a digest), or
                    // neither tag nor digest, means Always.
                    let defaults_to_always =
                        r.tag == Some("latest") || (r.tag.is_none() && r.digest.is_none());
                    if !defaults_to_always {
                        cx.report(
                            c.node.get("imagePullPolicy").unwrap_or(c.node),
                            path,
                            format!(
                                "{} does not set imagePullPolicy; for image \"{image}\" it defaults to IfNotPresent",
                                who(&c)
                            ),
                        );
                    }
                }
            }
        }
    }
}
