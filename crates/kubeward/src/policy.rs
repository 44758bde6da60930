//! `kubeward policy test`: Gatekeeper `gator verify` suites run by kubeward-policy, one line
//! per case. Exit 0 when every case passed, 1 when one failed, 2 when a suite could not be read
//! or is not a valid suite.

use anyhow::Result;
use kubeward_policy::suite::{find_suites, run_suite, Counts, Outcome, SuiteOptions};
use kubeward_policy::EngineChoice;

use crate::cli::{PolicyCommand, PolicyTestArgs};

pub fn run(command: PolicyCommand) -> Result<u8> {
    match command {
        PolicyCommand::Test(a) => test(a),
    }
}

fn test(a: PolicyTestArgs) -> Result<u8> {
    let engine = match a.engine.as_str() {
        "rego" => EngineChoice::Rego,
        "cel" => EngineChoice::Cel,
        _ => EngineChoice::Auto,
    };
    let opts = SuiteOptions { engine };
    let mut input_errors = 0;
    let mut total = Counts::default();
    for path in &a.suites {
        let suites = match find_suites(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kubeward: error: {e}");
                input_errors += 1;
                continue;
            }
        };
        if suites.is_empty() {
            eprintln!(
                "kubeward: error: {}: no suite file (kind: Suite) found",
                path.display()
            );
            input_errors += 1;
        }
        for s in suites {
            let report = run_suite(&s, &opts);
            if let Some(e) = &report.error {
                eprintln!("kubeward: error: {}: {e}", s.display());
                input_errors += 1;
            }
            for t in &report.tests {
                for c in &t.cases {
                    match &c.outcome {
                        Outcome::Pass if !a.quiet => {
                            println!("ok   {} {}/{}", s.display(), t.name, c.name)
                        }
                        Outcome::Fail(why) => {
                            println!("FAIL {} {}/{}: {why}", s.display(), t.name, c.name)
                        }
                        Outcome::Skipped(why) if !a.quiet => {
                            println!("skip {} {}/{}: {why}", s.display(), t.name, c.name)
                        }
                        _ => {}
                    }
                }
            }
            let mut c = report.counts();
            if report.error.is_some() {
                // counted as an input error, not as a failed case
                c.failed -= 1;
            }
            total += c;
        }
    }
    println!(
        "{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    Ok(if input_errors > 0 {
        2
    } else if total.failed > 0 {
        1
    } else {
        0
    })
}
