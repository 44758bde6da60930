//! Benchmark (BENCHMARKS.md, "kubeward rbac"): a generated cluster of ROLES roles and BINDINGS
//! bindings (default 5,000 and 10,000), loaded from YAML text with kubeward's reader; then
//! every subject's effective permissions, the whole analysis (risks and escalation paths), and
//! who-can queries.
//!
//! ```text
//! cargo run --release -p kubeward-rbac --example rbac_bench [ROLES BINDINGS] [--write FILE]
//! ```
//! `--write FILE` writes the generated manifests instead (for `kubeward rbac` with hyperfine).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use kubeward_rbac::{load, parse_target, RbacModel, Request, SubjectKey};
use kubeward_yaml::Limits;

/// A deterministic cluster: 50 namespaces; a quarter of the roles are ClusterRoles (a few of
/// them aggregated); rules mix plain, wildcard, resourceNames and risky ones; bindings name
/// 1-3 subjects among 2,000 users, 200 groups and 3,000 service accounts.
fn generate(roles: usize, bindings: usize) -> String {
    let mut s = String::with_capacity(roles * 400 + bindings * 400);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const RESOURCES: &[(&str, &str)] = &[
        ("\"\"", "pods"),
        ("\"\"", "secrets"),
        ("\"\"", "configmaps"),
        ("\"\"", "services"),
        ("\"\"", "pods/exec"),
        ("\"\"", "serviceaccounts/token"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("batch", "jobs"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("networking.k8s.io", "networkpolicies"),
        ("\"\"", "nodes/proxy"),
    ];
    const VERBS: &[&str] = &[
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    let cluster_roles = roles / 4;
    for i in 0..roles {
        let cluster = i < cluster_roles;
        let ns = format!("ns-{}", i % 50);
        if cluster {
            let _ = write!(
                s,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr-{i}\n  labels: {{tier: t{}}}\n",
                i % 10
            );
            if i % 250 == 0 {
                let _ = write!(
                    s,
                    "aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {{tier: t{}}}\n",
                    (i / 250) % 10
                );
            }
        } else {
            let _ = write!(
                s,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role-{i}\n  namespace: {ns}\n"
            );
        }
        s.push_str("rules:\n");
        for _ in 0..(1 + next() % 4) {
            let (g, r) = RESOURCES[(next() % RESOURCES.len() as u64) as usize];
            let verbs: Vec<&str> = (0..1 + next() % 3)
                .map(|_| VERBS[(next() % VERBS.len() as u64) as usize])
                .collect();
            let verbs = if next() % 40 == 0 {
                vec!["\"*\""]
            } else {
                verbs
            };
            let _ = writeln!(
                s,
                "- apiGroups: [{g}]\n  resources: [{r}]\n  verbs: [{}]",
                verbs.join(", ")
            );
            if next() % 10 == 0 {
                s.push_str("  resourceNames: [one, two]\n");
            }
        }
    }
    for i in 0..bindings {
        let cluster = i % 10 == 0;
        let ns = format!("ns-{}", i % 50);
        let role_is_cluster = cluster || next() % 3 == 0;
        let role = if role_is_cluster {
            if i % 997 == 0 {
                "cluster-admin".to_string()
            } else {
                format!("cr-{}", next() % cluster_roles as u64)
            }
        } else {
            // A Role of this binding's namespace: role-i lives in ns-(i % 50).
            let j = i % 50;
            let first = cluster_roles + (j + 50 - cluster_roles % 50) % 50;
            let count = (roles - first).div_ceil(50) as u64;
            format!("role-{}", first + 50 * (next() % count) as usize)
        };
        if cluster {
            let _ = write!(s, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb-{i}\n");
        } else {
            let _ = write!(s, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-{i}\n  namespace: {ns}\n");
        }
        let _ = write!(
            s,
            "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {}\n  name: {role}\nsubjects:\n",
            if role_is_cluster { "ClusterRole" } else { "Role" }
        );
        for _ in 0..(1 + next() % 3) {
            match next() % 10 {
                0..=3 => {
                    let _ = writeln!(s, "- kind: User\n  name: user-{}", next() % 2000);
                }
                4 => {
                    let _ = writeln!(s, "- kind: Group\n  name: group-{}", next() % 200);
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "- kind: ServiceAccount\n  name: sa-{}\n  namespace: ns-{}",
                        next() % 60,
                        next() % 50
                    );
                }
            }
        }
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (roles, bindings) = (num(0, 5000), num(1, 10000));
    let text = generate(roles, bindings);
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let path = args.get(i + 1).expect("--write FILE");
        std::fs::write(path, &text).expect("write");
        eprintln!(
            "wrote {path}: {roles} roles, {bindings} bindings, {} bytes",
            text.len()
        );
        return;
    }
    let t0 = Instant::now();
    let (objects, problems) =
        load::read_text(&Arc::from("generated.yaml"), &text, &Limits::default());
    assert!(problems.is_empty(), "{problems:?}");
    let t_parse = t0.elapsed();
    let t1 = Instant::now();
    let model = RbacModel::from_objects(objects);
    let t_model = t1.elapsed();
    let unresolved = model.notes.len();

    let t2 = Instant::now();
    let subjects: Vec<SubjectKey> = model.subjects().into_iter().cloned().collect();
    let mut permissions = 0usize;
    for k in &subjects {
        permissions += model.permissions(&k.identity(&[])).len();
    }
    let t_perms = t2.elapsed();

    let t3 = Instant::now();
    let analysis = model.analysis();
    let t_analysis = t3.elapsed();

    let queries = [
        ("get", "secrets", "ns-7"),
        ("create", "pods", "ns-3"),
        ("create", "pods/exec", ""),
        ("list", "deployments.apps", "ns-42"),
        ("create", "serviceaccounts/token", "ns-1"),
    ];
    let mut times = Vec::new();
    let mut found = 0;
    let rounds = 200;
    for _ in 0..rounds {
        for (verb, res, ns) in queries {
            let req = Request {
                verb: verb.into(),
                namespace: ns.into(),
                target: parse_target(res, "").unwrap(),
            };
            let t = Instant::now();
            found += model.who_can(&req).len();
            times.push(t.elapsed());
        }
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let n = times.len();
    println!(
        "{roles} roles, {bindings} bindings, {} subjects ({unresolved} notes)",
        subjects.len()
    );
    println!(
        "parse (YAML -> RBAC objects): {:>8.1} ms",
        t_parse.as_secs_f64() * 1e3
    );
    println!(
        "model (index, aggregation):   {:>8.1} ms",
        t_model.as_secs_f64() * 1e3
    );
    println!(
        "effective permissions, every subject: {:>8.1} ms ({permissions} permissions)",
        t_perms.as_secs_f64() * 1e3
    );
    println!(
        "risks + escalation paths, every subject: {:>8.1} ms ({} risks, {} paths)",
        t_analysis.as_secs_f64() * 1e3,
        analysis.risks.len(),
        analysis.paths.len()
    );
    println!(
        "who-can over {n} queries: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} answers per round)",
        ms(times[n / 2]),
        ms(times[n * 99 / 100]),
        ms(times[n - 1]),
        found / rounds
    );
}
