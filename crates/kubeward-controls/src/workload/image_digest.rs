use crate::pss::{frameworks, who};
use crate::workload::{image_of, mitre, nsa, ImageRef};
use crate::{control, Context, Control, ControlMeta, Fix, Target};

control! {
    /// ## What it does
    /// Flags every container (including init and ephemeral containers) whose `image` is not
    /// pinned by a digest (`name@sha256:...` or `name:tag@sha256:...`).
    ///
    /// ## Why it matters
    /// Tags, even version tags, are mutable pointers: whoever can push to the repository
    /// (or compromises the registry) can move `app:1.2.3` to other content, and the next node
    /// that pulls runs it. A digest names the content itself, so the image that was reviewed
    /// and scanned is the image that runs.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.2.3   # flagged
    /// - name: pinned
    ///   image: registry.example.com/app:1.2.3@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    /// ```
    ///
    /// ## How to fix
    /// Append the digest of the image you tested (`crane digest`, `docker buildx imagetools
    /// inspect`), and let a bot such as Renovate keep tag and digest up to date.
    pub struct ImageNotPinnedByDigest;
    id: "KW307",
    name: "image-not-pinned-by-digest",
    title: "Image is not pinned by digest",
    severity: Low,
    remediation: "Pin images by digest (name:tag@sha256:...) so the content cannot change under the same name.",
    frameworks: frameworks(
        None,
        &[nsa::IMAGES],
        &["5.5.1"],
        &[mitre::MALICIOUS_IMAGE],
    ),
}

impl Control for ImageNotPinnedByDigest {
    fn meta(&self) -> &'static ControlMeta {
        &Self::META
    }

    fn fix(&self) -> Fix {
        Fix::Suggest("append the image's digest (`crane digest IMAGE` or `docker buildx imagetools inspect IMAGE`): image: repo:tag@sha256:...")
    }

    fn check(&self, t: &Target<'_>, cx: &mut Context<'_>) {
        let Some(pod) = &t.pod else { return };
        for c in pod.containers() {
            let Some((node, image)) = image_of(&c) else {
                continue;
            };
            if ImageRef::parse(image).is_some_and(|r| r.digest.is_none()) {
                cx.report(
                    node,
                    c.path.key("image"),
                    format!("{} uses image \"{image}\" without a digest", who(&c)),
                );
            }
        }
    }
}
