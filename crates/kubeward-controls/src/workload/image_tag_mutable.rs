use crate::pss::{frameworks, who};
use crate::workload::{image_of, mitre, nsa, ImageRef};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) whose `image` has no
    /// tag or the tag `latest` (compared case-insensitively) and is not pinned by a digest
    /// (`@sha256:...`). The reference is parsed as the runtime parses it: in
    /// `registry:5000/app` the `:5000` is a port, so that image has no tag.
    ///
    /// ## Why it matters
    /// A missing tag means `latest`, and `latest` moves: two replicas of the same Deployment
    /// can run different code, a rollback does not roll back, and whoever can push to the
    /// repository changes what runs in the cluster on the next pull, without any change to
    /// the manifest. It also makes audits meaningless: nobody can say which build is running.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:latest   # flagged
    /// - name: sidecar
    ///   image: registry:5000/proxy                # flagged: no tag
    /// ```
    ///
    /// ## How to fix
    /// Use an immutable version tag (`app:1.2.3`), ideally with the digest as well
    /// (`app:1.2.3@sha256:...`).
    pub struct ImageTagMutable;
    id: "KW306",
    name: "image-tag-mutable",
    title: "Image uses the latest tag or no tag",
    severity: Medium,
    remediation: "Reference images by a version tag and, better, by digest (app:1.2.3@sha256:...).",
    frameworks: frameworks(
        None,
        &[nsa::IMAGES],
        &["5.5.1"],
        &[mitre::MALICIOUS_IMAGE],
    ),
}

impl Control for ImageTagMutable {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("pin a release tag or a digest of the image you deploy")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            let Some((node, image)) = image_of(&c) else {
                continue;
            };
            let Some(r) = ImageRef::parse(image) else {
                continue;
            };
            if r.digest.is_some() {
                continue;
            }
            let message = match r.tag {
                None => format!(
                    "{} uses image \"{image}\" without a tag (it means \"latest\")",
                    who(&c)
                ),
                Some(tag) if tag.eq_ignore_ascii_case("latest") => {
                    format!(
                        "{} uses image \"{image}\" with the mutable tag \"{tag}\"",
                        who(&c)
                    )
                }
                Some(_) => continue,
            };
            cx.report(node, c.path.key("image"), message);
        }
    }
}
