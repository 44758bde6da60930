//! The licence policy of `.kubeward.yaml` (`licenses: {deny: [...], allow: [...]}`) applied to
//! a package's declared SPDX expression, with the `spdx` crate's parser and evaluator.

use spdx::{Expression, LicenseReq};

/// A checked licence policy.
#[derive(Clone, Debug, Default)]
pub struct LicensePolicy {
    deny: Vec<String>,
    allow: Vec<String>,
}

impl LicensePolicy {
    /// Check the configured IDs: each must be an SPDX licence ID (or a `LicenseRef-`). The
    /// errors name the list and the ID.
    pub fn new(cfg: &kubeward_engine::config::LicensePolicy) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        for (what, list) in [("licenses.deny", &cfg.deny), ("licenses.allow", &cfg.allow)] {
            for id in list {
                if spdx::license_id(id).is_none() && !id.starts_with("LicenseRef-") {
                    errors.push(format!(
                        "`{what}`: {id:?} is not an SPDX licence ID (https://spdx.org/licenses/)"
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(LicensePolicy {
            deny: cfg.deny.clone(),
            allow: cfg.allow.clone(),
        })
    }

    /// Whether there is any policy at all.
    pub fn is_empty(&self) -> bool {
        self.deny.is_empty() && self.allow.is_empty()
    }

    fn listed(list: &[String], r: &LicenseReq) -> bool {
        let full = r.license.to_string();
        let id = r.license.id().map(|i| i.name).unwrap_or("");
        list.iter()
            .any(|l| l.eq_ignore_ascii_case(&full) || l.eq_ignore_ascii_case(id))
    }

    /// Why the declared licence `license` breaks the policy, or `None` when it does not.
    pub fn judge(&self, license: &str) -> Option<String> {
        let Ok(e) = Expression::parse(license.trim()) else {
            if self
                .deny
                .iter()
                .any(|d| d.eq_ignore_ascii_case(license.trim()))
            {
                return Some(format!("licence {license:?} is denied"));
            }
            return (!self.allow.is_empty()).then(|| {
                format!("licence {license:?} is not an SPDX expression, so it cannot be shown to be allowed")
            });
        };
        if !self.deny.is_empty() {
            if let Err(failed) = e.evaluate_with_failures(|r| !Self::listed(&self.deny, r)) {
                let names: Vec<String> = failed.iter().map(|f| f.req.to_string()).collect();
                return Some(format!(
                    "licence {license:?} cannot be met without a denied licence ({})",
                    names.join(", ")
                ));
            }
        }
        if !self.allow.is_empty() && !e.evaluate(|r| Self::listed(&self.allow, r)) {
            return Some(format!(
                "licence {license:?} cannot be met with the allowed licences only"
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(deny: &[&str], allow: &[&str]) -> LicensePolicy {
        LicensePolicy::new(&kubeward_engine::config::LicensePolicy {
            deny: deny.iter().map(|s| s.to_string()).collect(),
            allow: allow.iter().map(|s| s.to_string()).collect(),
            pos: None,
        })
        .unwrap()
    }

    #[test]
    fn deny_and_allow() {
        let p = policy(&["GPL-2.0-only", "AGPL-3.0-only"], &[]);
        assert!(p.judge("GPL-2.0-only OR MIT").is_none());
        assert!(p.judge("GPL-2.0-only AND MIT").is_some());
        assert!(p.judge("AGPL-3.0-only").is_some());
        assert!(p.judge("MIT").is_none());
        assert!(p.judge("Some custom licence").is_none());
        let p = policy(&[], &["MIT", "Apache-2.0"]);
        assert!(p.judge("MIT OR GPL-3.0-only").is_none());
        assert!(p.judge("MIT AND GPL-3.0-only").is_some());
        assert!(p.judge("Some custom licence").is_some());
        assert!(LicensePolicy::new(&kubeward_engine::config::LicensePolicy {
            deny: vec!["NotALicence".into()],
            ..Default::default()
        })
        .is_err());
    }
}
