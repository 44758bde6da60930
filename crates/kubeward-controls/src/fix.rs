//! How `kubeward fix` repairs a control's findings: each control declares it with
//! [`crate::Control::fix`]. The default is [`Fix::None`], so a control that says nothing is
//! never edited.
//!
//! An [`Fix::Edit`] is applied at the finding's field path (the path of the field the control
//! wants changed, which controls report even when the field is missing). Only edits whose
//! outcome is certain are declared: a value the user must choose (resource limits, an image
//! digest, a user ID) is a [`Fix::Suggest`], printed and never guessed.

use serde::Serialize;

/// A control's fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fix {
    /// No fix is certain; the remediation text says what to do.
    None,
    /// The fix needs a value only the user knows; this suggestion is shown, nothing is edited.
    Suggest(&'static str),
    /// A certain edit at the finding's field path.
    Edit(FixEdit),
}

/// A certain edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixEdit {
    /// Only findings whose field path ends with this key get the edit (a control may report
    /// several fields, not all of them fixable); `None`: every finding of the control.
    pub field: Option<&'static str>,
    pub action: FixAction,
}

/// What the edit does to the field at the finding's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAction {
    /// Set the field to `value` (YAML plain text: `false`, `RuntimeDefault`), or with `under`,
    /// the field's mapping entry reached by those keys (`seccompProfile` → `type`). Missing
    /// mappings on the way are created.
    Set {
        under: &'static [&'static str],
        value: &'static str,
    },
    /// Make the list at the field contain `item` (created when missing).
    Include(&'static str),
}

impl Fix {
    /// Shorthand for the commonest fix: set the reported field to `value`.
    pub const fn set(field: Option<&'static str>, value: &'static str) -> Fix {
        Fix::Edit(FixEdit {
            field,
            action: FixAction::Set { under: &[], value },
        })
    }

    /// `auto`, `suggestion` or `no`: for `kubeward controls`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fix::None => "no",
            Fix::Suggest(_) => "suggestion",
            Fix::Edit(_) => "auto",
        }
    }

    /// One line for people: what `kubeward fix` does, or suggests.
    pub fn describe(&self) -> String {
        match self {
            Fix::None => "not fixable automatically".to_string(),
            Fix::Suggest(s) => format!("suggestion: {s}"),
            Fix::Edit(e) => {
                let at = e.field.unwrap_or("the reported field");
                match e.action {
                    FixAction::Set { under: [], value } => format!("sets {at} to {value}"),
                    FixAction::Set { under, value } => {
                        format!("sets {at}.{} to {value}", under.join("."))
                    }
                    FixAction::Include(item) => format!("adds {item} to {at}"),
                }
            }
        }
    }

    /// The JSON form for `kubeward controls --format json`.
    pub fn to_info(&self) -> FixInfo {
        FixInfo {
            kind: self.kind(),
            description: self.describe(),
        }
    }
}

/// A control's fix as `kubeward controls --format json` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct FixInfo {
    /// `auto` (kubeward fix edits it), `suggestion` (a value only the user knows), or `no`.
    pub kind: &'static str,
    pub description: String,
}
