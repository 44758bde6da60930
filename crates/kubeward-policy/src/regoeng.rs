//! Rego templates on regorus, evaluated as Gatekeeper's Rego driver does
//! (open-policy-agent/frameworks `constraint/pkg/client/drivers/rego`, read at its current
//! main): the template's `violation` set is queried once per matching constraint with
//! `input = {"review": <the request, with namespaceObject>, "parameters":
//! <spec.parameters or {}>}` and `data.inventory`; each result gives `msg` and `details`
//! (defaulting to `{}`); an evaluation error becomes one result carrying the error, as the
//! driver turns a failed query into a violation of every constraint queried.
//!
//! Where Gatekeeper renames packages (the template to `data.template`, libraries under
//! `data.libs`), each template here gets its own regorus engine, so packages of different
//! templates cannot collide and no renaming is needed. Libraries must still live under
//! `data.lib`, as Gatekeeper requires.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use serde_json::{Map, Value};

use crate::template::RegoCode;
use crate::{Inventory, RawResult, Review};

/// Wall-clock budget of one query (one template, one constraint, one object). Gatekeeper has
/// no such limit; a hostile policy must not hang a scan or the webhook.
pub(crate) const REGO_TIME_LIMIT: Duration = Duration::from_secs(2);

struct Loaded {
    engine: regorus::Engine,
    /// The inventory whose data the engine holds.
    inventory: u64,
}

pub(crate) struct RegoProgram {
    /// The index that answers for a library template regorus would evaluate in quadratic
    /// time ([`crate::accel`]); `None` for every other template.
    accelerator: Option<crate::accel::Accelerator>,
    /// One engine per core: an evaluation takes a free one, so that templates evaluated on
    /// several threads at once (a scan's workers) do not wait for each other.
    loaded: Vec<Mutex<Loaded>>,
    rule: String,
}

fn error_text(e: &anyhow::Error) -> String {
    // regorus errors carry the module, line and column and the policy's source line; a
    // runtime error may also quote a value, so evaluation errors are redacted by the caller.
    let s = format!("{e:#}");
    s.trim_end().to_string()
}

impl RegoProgram {
    pub fn compile(
        template: &str,
        code: &RegoCode,
        accelerate: bool,
    ) -> Result<RegoProgram, String> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(!code.v1);
        // Gatekeeper disables print() unless asked; gathered here and dropped.
        engine.set_gather_prints(true);
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: REGO_TIME_LIMIT,
            check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
        });
        let pkg = engine
            .add_policy(
                format!("{template}.rego"),
                crate::regoshim::rewrite(&code.rego),
            )
            .map_err(|e| error_text(&e))?;
        for (i, lib) in code.libs.iter().enumerate() {
            let lp = engine
                .add_policy(
                    format!("{template}.lib_{i}.rego"),
                    crate::regoshim::rewrite(lib),
                )
                .map_err(|e| format!("libs[{i}]: {}", error_text(&e)))?;
            if !(lp == "data.lib" || lp.starts_with("data.lib.")) {
                return Err(format!(
                    "libs[{i}]: the package of a library must be under data.lib, found {}",
                    lp.trim_start_matches("data.")
                ));
            }
        }
        if pkg == "data.lib" || pkg.starts_with("data.lib.") {
            return Err("the template's package must not be under data.lib".into());
        }
        let source_path = format!("{template}.rego");
        match engine.has_declared_rule_rooted_at(&source_path, "violation") {
            Ok(true) => {}
            Ok(false) => return Err("the template must define a violation rule".into()),
            Err(e) => return Err(error_text(&e)),
        }
        let rule = format!("{pkg}.violation");
        // Analyse the modules now so that errors found before evaluation (unknown functions,
        // unsafe variables, ...) are compile errors of the template.
        engine
            .compile_with_entrypoint(&rule.as_str().into())
            .map_err(|e| error_text(&e))?;
        let n = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
        Ok(RegoProgram {
            accelerator: crate::accel::recognise(&code.rego, &code.libs, code.v1)
                .filter(|_| accelerate)
                .map(crate::accel::Accelerator::new),
            loaded: (0..n)
                .map(|_| {
                    Mutex::new(Loaded {
                        engine: engine.clone(),
                        inventory: 0,
                    })
                })
                .collect(),
            rule,
        })
    }

    pub fn accelerated(&self) -> bool {
        self.accelerator.is_some()
    }

    pub fn evaluate(
        &self,
        parameters: &Value,
        review: &Review,
        inventory: &Inventory,
        uses_inventory: bool,
        sync_kinds: Option<&[String]>,
    ) -> Result<Vec<RawResult>, String> {
        if let Some(results) = self
            .accelerator
            .as_ref()
            .and_then(|a| a.evaluate(review, inventory))
        {
            return Ok(results);
        }
        let free = self.loaded.iter().find_map(|m| match m.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        });
        let mut g = match free {
            Some(g) => g,
            None => match self.loaded[0].lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            },
        };
        // A template that never names the inventory cannot read it: its engine is left
        // without data (loading it would make the engine prepare its modules again).
        if uses_inventory && g.inventory != inventory.id() {
            g.engine.clear_data();
            let data = inventory.rego_data(sync_kinds)?;
            g.engine
                .add_data(data)
                .map_err(|e| format!("loading data.inventory: {}", error_text(&e)))?;
            g.inventory = inventory.id();
        }
        let mut input = regorus::Value::new_object();
        if let Ok(m) = input.as_object_mut() {
            m.insert(regorus::Value::from("review"), review.rego_request()?);
            m.insert(regorus::Value::from("parameters"), to_regorus(parameters)?);
        }
        g.engine.set_input(input);
        let out = g.engine.eval_rule(self.rule.clone());
        let _ = g.engine.take_prints();
        let out = match out {
            Ok(v) => v,
            Err(e) => {
                return Ok(vec![RawResult {
                    message: crate::redact(&error_text(&e), review),
                    details: Value::Object(Map::new()),
                    error: true,
                    ignored: false,
                }])
            }
        };
        let out = serde_json::to_value(&out).map_err(|e| format!("reading the result: {e}"))?;
        let mut results = Vec::new();
        let items = match out {
            Value::Array(a) => a,
            // undefined (no violation)
            _ => Vec::new(),
        };
        for r in items {
            let Some(msg) = r.get("msg") else {
                // The hook's `"msg": r.msg` is undefined: Gatekeeper drops the result.
                continue;
            };
            let message = match msg {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let details = r
                .get("details")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            results.push(RawResult {
                message,
                details,
                error: false,
                ignored: false,
            });
        }
        Ok(results)
    }
}

fn to_regorus(v: &Value) -> Result<regorus::Value, String> {
    serde_json::from_value::<regorus::Value>(v.clone())
        .map_err(|e| format!("converting the input for Rego: {e}"))
}
