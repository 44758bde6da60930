//! The library API beyond the Gatekeeper library's suites: located errors, one bad policy
//! never stopping the others, the review and inventory shapes, matching, enforcement
//! actions, cost and time limits, and no object value in an error.

use std::time::Instant;

use kubeward_policy::load::parse_documents;
use kubeward_policy::{
    EnforcementAction, EngineChoice, Inventory, PolicyErrorKind, PolicySet, PolicySetBuilder,
    Violation,
};
use serde_json::{json, Value};

fn build(text: &str, engine: EngineChoice) -> (PolicySet, Vec<kubeward_policy::PolicyError>) {
    let (docs, errors) = parse_documents(text, "policies.yaml");
    assert!(errors.is_empty(), "{errors:?}");
    let mut b = PolicySetBuilder::new(engine);
    for d in docs {
        assert!(b.add(d));
    }
    b.build()
}

fn rego_template(kind: &str, rego: &str) -> String {
    let indented: String = rego.lines().map(|l| format!("        {l}\n")).collect();
    format!(
        "apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: {}
spec:
  crd:
    spec:
      names:
        kind: {kind}
      validation:
        openAPIV3Schema:
          type: object
          properties:
            n: {{type: integer}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
{indented}",
        kind.to_lowercase()
    )
}

fn cel_template(kind: &str, validations: &str) -> String {
    format!(
        "apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: {}
spec:
  crd:
    spec:
      names:
        kind: {kind}
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: K8sNativeValidation
      source:
        validations:
{validations}",
        kind.to_lowercase()
    )
}

fn constraint(kind: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: constraints.gatekeeper.sh/v1beta1
kind: {kind}
metadata:
  name: {name}
spec:
{spec}"
    )
}

fn pod(ns: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": ns, "labels": labels},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
}

fn messages(v: &[Violation]) -> Vec<String> {
    v.iter()
        .map(|v| format!("{}: {}", v.constraint, v.message))
        .collect()
}

#[test]
fn bad_policies_are_located_and_the_others_still_run() {
    let text = [
        rego_template("Good", "package good\nviolation[{\"msg\": \"bad pod\"}] {\n  input.review.object.kind == \"Pod\"\n}"),
        rego_template("BadRego", "package bad\nviolation[{\"msg\": msg}] {\n  msg := \n}"),
        cel_template("BadCel", "        - expression: 'object.spec.('\n"),
        rego_template("NoViolation", "package nov\ndeny[msg] { msg := \"x\" }"),
        constraint("Good", "good", "  parameters: {n: 1}\n"),
        constraint("Good", "bad-params", "  parameters: {n: \"one\"}\n"),
        constraint("Missing", "orphan", "  parameters: {}\n"),
        constraint("BadRego", "of-bad-template", "  parameters: {}\n"),
    ]
    .join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    let kinds: Vec<PolicyErrorKind> = errors.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            PolicyErrorKind::Compile,
            PolicyErrorKind::Compile,
            PolicyErrorKind::Compile,
            PolicyErrorKind::Parameters,
            PolicyErrorKind::MissingTemplate,
            PolicyErrorKind::MissingTemplate,
        ],
        "{errors:#?}"
    );
    // Each error names the place: the Rego line, the CEL expression, the parameters, or
    // the document.
    let starts: Vec<u32> = text
        .split("---\n")
        .scan(1u32, |line, doc| {
            let l = *line;
            *line += doc.lines().count() as u32 + 1;
            Some(l)
        })
        .collect();
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| i as u32 + 1)
            .unwrap()
    };
    // The Rego error is where regorus puts it in the module, mapped into the YAML file.
    let at = |e: &kubeward_policy::PolicyError| {
        text.lines()
            .nth(e.source.line as usize - 1)
            .and_then(|l| l.chars().nth(e.source.column as usize - 1))
    };
    let rego_line = errors[0].source.line;
    assert!(
        rego_line > starts[1] && rego_line < starts[2],
        "{}",
        errors[0]
    );
    assert!(
        errors[0].message.contains("badrego.rego:2:25"),
        "{}",
        errors[0]
    );
    assert_eq!(at(&errors[0]), Some('{'), "{}", errors[0]);
    assert_eq!(
        errors[1].source.line,
        line_of("object.spec.("),
        "{}",
        errors[1]
    );
    assert_eq!(errors[1].source.column, 23, "{}", errors[1]);
    // No `violation` rule: the Rego field.
    assert!(
        errors[2].source.line > starts[3] && errors[2].source.line < starts[4],
        "{}",
        errors[2]
    );
    assert!(errors[2].message.contains("violation"), "{}", errors[2]);
    assert_eq!(
        errors[3].source.line,
        line_of("n: \"one\""),
        "{}",
        errors[3]
    );
    assert_eq!(errors[4].source.line, starts[6]);
    assert_eq!(errors[5].source.line, starts[7]);
    for e in &errors {
        assert!(e.to_string().starts_with("policies.yaml:"), "{e}");
    }
    assert!(errors[3]
        .message
        .contains("spec.parameters.n: expected integer, found a string"));
    assert!(!errors[3].message.contains("one"), "{}", errors[3].message);
    let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
    assert_eq!(messages(&v), vec!["good: bad pod"]);
}

#[test]
fn the_review_and_the_inventory_have_gatekeepers_shapes() {
    let t = rego_template(
        "Echo",
        "package echo\nviolation[{\"msg\": \"review\", \"details\": {\"review\": input.review, \"parameters\": input.parameters, \"inventory\": data.inventory}}] {\n  true\n}",
    );
    let text = [t, constraint("Echo", "echo", "  enforcementAction: warn\n")].join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"team": "x"}}});
    let ing = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "a"}});
    let inv = Inventory::new([&ns, &ing]);
    let object = pod("a", json!({"app": "x"}));
    let v = policies.evaluate(&object, &inv);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].enforcement_action, EnforcementAction::Warn);
    assert_eq!(
        v[0].details["review"],
        json!({"uid": "", "kind": {"group": "", "version": "v1", "kind": "Pod"},
               "resource": {"group": "", "version": "", "resource": ""},
               "name": "p", "namespace": "a", "operation": "", "userInfo": {},
               "object": object, "oldObject": null, "options": null, "namespaceObject": null})
    );
    assert_eq!(v[0].details["parameters"], json!({}));
    assert_eq!(
        v[0].details["inventory"]["cluster"]["v1"]["Namespace"]["a"],
        ns
    );
    assert_eq!(
        v[0].details["inventory"]["namespace"]["a"]["networking.k8s.io/v1"]["Ingress"]["i"],
        ing
    );
}

#[test]
fn match_criteria() {
    let t = rego_template(
        "Any",
        "package any\nviolation[{\"msg\": \"hit\"}] {\n  true\n}",
    );
    let cases: &[(&str, Value, bool)] = &[
        ("  match:\n    kinds: [{apiGroups: [\"\"], kinds: [Pod]}]\n", pod("a", json!({})), true),
        ("  match:\n    kinds: [{apiGroups: [apps], kinds: [Pod]}]\n", pod("a", json!({})), false),
        ("  match:\n    kinds: [{apiGroups: [\"*\"], kinds: [\"*\"]}]\n", pod("a", json!({})), true),
        ("  match:\n    namespaces: [\"kube-*\"]\n", pod("kube-system", json!({})), true),
        ("  match:\n    namespaces: [\"kube-*\"]\n", pod("default", json!({})), false),
        ("  match:\n    excludedNamespaces: [\"*-system\"]\n", pod("kube-system", json!({})), false),
        ("  match:\n    excludedNamespaces: [\"*-system\"]\n", pod("prod", json!({})), true),
        ("  match:\n    scope: Cluster\n", pod("a", json!({})), false),
        ("  match:\n    scope: Namespaced\n", pod("a", json!({})), true),
        ("  match:\n    name: \"p*\"\n", pod("a", json!({})), true),
        ("  match:\n    name: q\n", pod("a", json!({})), false),
        ("  match:\n    labelSelector: {matchLabels: {app: x}}\n", pod("a", json!({"app": "x"})), true),
        ("  match:\n    labelSelector: {matchExpressions: [{key: app, operator: NotIn, values: [x]}]}\n", pod("a", json!({"app": "x"})), false),
        ("  match:\n    namespaceSelector: {matchLabels: {team: x}}\n", pod("a", json!({})), true),
        ("  match:\n    namespaceSelector: {matchLabels: {team: z}}\n", pod("a", json!({})), false),
    ];
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"team": "x"}}});
    let inv = Inventory::new([&ns]);
    for (spec, object, want) in cases {
        let text = [t.clone(), constraint("Any", "c", spec)].join("---\n");
        let (policies, errors) = build(&text, EngineChoice::Auto);
        assert!(errors.is_empty(), "{spec}: {errors:?}");
        let got = !policies.evaluate(object, &inv).is_empty();
        assert_eq!(got, *want, "{spec}");
    }
    // A namespaceSelector on a namespaced object whose Namespace is unknown: an error that
    // fails closed, as Gatekeeper's matcher does.
    let text = [
        t.clone(),
        constraint(
            "Any",
            "c",
            "  match:\n    namespaceSelector: {matchLabels: {team: x}}\n",
        ),
    ]
    .join("---\n");
    let (policies, _) = build(&text, EngineChoice::Auto);
    let v = policies.evaluate(&pod("b", json!({})), &inv);
    assert!(
        v[0].evaluation_error && v[0].message.contains("missing Namespace"),
        "{v:?}"
    );
    // A bad selector is a located error.
    let text = [
        t,
        constraint(
            "Any",
            "c",
            "  match:\n    labelSelector: {matchExpressions: [{key: a, operator: Is}]}\n",
        ),
    ]
    .join("---\n");
    let (_, errors) = build(&text, EngineChoice::Auto);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .contains("spec.match.labelSelector.matchExpressions[0].operator"),
        "{}",
        errors[0]
    );
}

#[test]
fn cel_messages_variables_and_failure_policy() {
    let t = cel_template(
        "Cel",
        "        - expression: 'object.metadata.name.startsWith(\"ok\")'
          messageExpression: '\"bad name \" + object.metadata.name + \" \" + string(variables.params.n)'
        - expression: 'variables.missing.size() > 0'
        - expression: 'has(object.spec.nope)'
          message: no nope
        - expression: 'has(object.spec.nope)'
",
    );
    let t = t.replace(
        "        validations:\n",
        "        variables:\n        - name: missing\n          expression: 'object.spec.missing'\n        validations:\n",
    );
    let text = [t, constraint("Cel", "c", "  parameters: {n: 3}\n")].join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
    let m: Vec<&str> = v.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(m.len(), 4, "{m:?}");
    assert_eq!(m[0], "bad name p 3");
    assert!(
        m[1].starts_with("expression 'variables.missing.size() > 0' resulted in error:"),
        "{}",
        m[1]
    );
    assert!(v[1].evaluation_error);
    assert_eq!(m[2], "no nope");
    assert_eq!(m[3], "failed expression: has(object.spec.nope)");
}

#[test]
fn an_undeclared_variable_is_a_compile_error() {
    let t = cel_template("Cel", "        - expression: 'variables.nope == 1'\n");
    let (_, errors) = build(&t, EngineChoice::Auto);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, PolicyErrorKind::Compile);
    assert!(
        errors[0].message.contains("variables.nope"),
        "{}",
        errors[0]
    );
}

#[test]
fn hostile_cel_is_stopped_by_its_budget() {
    let t = cel_template(
        "Slow",
        "        - expression: 'lists.range(1000).all(a, lists.range(1000).all(b, lists.range(1000).all(c, a + b + c >= 0)))'\n",
    );
    let text = [t, constraint("Slow", "c", "  parameters: {}\n")].join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let start = Instant::now();
    let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    assert_eq!(v.len(), 1);
    assert!(v[0].evaluation_error);
    assert!(v[0].message.contains("limit exceeded"), "{}", v[0].message);
}

#[test]
fn a_doubling_chain_of_cel_variables_is_stopped() {
    let mut vars = String::from(
        "        variables:\n        - name: v0\n          expression: '\"xxxxxxxxxxxxxxxx\"'\n",
    );
    for i in 1..40 {
        vars.push_str(&format!(
            "        - name: v{i}\n          expression: 'variables.v{p} + variables.v{p}'\n",
            p = i - 1
        ));
    }
    let t = cel_template("Big", "        - expression: 'size(variables.v39) > 0'\n").replace(
        "        validations:\n",
        &format!("{vars}        validations:\n"),
    );
    let text = [t, constraint("Big", "c", "  parameters: {}\n")].join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("limit exceeded"), "{}", v[0].message);
}

#[test]
fn hostile_rego_is_stopped_by_its_timer() {
    let t = rego_template(
        "SlowRego",
        "package slow\nviolation[{\"msg\": \"never\"}] {\n  x := numbers.range(1, 100000)[_]\n  y := numbers.range(1, 100000)[_]\n  x == y + 200000\n}",
    );
    let text = [t, constraint("SlowRego", "c", "  parameters: {}\n")].join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let start = Instant::now();
    let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].evaluation_error, "{v:?}");
}

#[test]
fn evaluation_errors_do_not_quote_object_values() {
    let secret = "hunter2-very-secret";
    let rego = rego_template(
        "Num",
        "package num\nviolation[{\"msg\": \"x\"}] {\n  to_number(input.review.object.data.password) > 1\n}",
    );
    let cel = cel_template(
        "NumCel",
        "        - expression: 'int(object.data.password) > 1'\n",
    );
    let text = [
        rego,
        cel,
        constraint("Num", "r", "  parameters: {}\n"),
        constraint("NumCel", "c", "  parameters: {}\n"),
    ]
    .join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let object = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": secret}});
    let v = policies.evaluate(&object, &Inventory::default());
    assert_eq!(v.len(), 2, "{v:?}");
    for x in &v {
        assert!(x.evaluation_error, "{x:?}");
        assert!(!x.message.contains(secret), "{}", x.message);
    }
}

#[test]
fn engine_choice() {
    let both = "apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: both}
spec:
  crd: {spec: {names: {kind: Both}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: K8sNativeValidation
      source:
        validations:
        - expression: 'false'
          message: from cel
    - engine: Rego
      source:
        rego: |
          package both
          violation[{\"msg\": \"from rego\"}] { true }
";
    let text = [
        both.to_string(),
        constraint("Both", "c", "  parameters: {}\n"),
    ]
    .join("---\n");
    for (engine, want) in [
        (EngineChoice::Auto, "from cel"),
        (EngineChoice::Cel, "from cel"),
        (EngineChoice::Rego, "from rego"),
    ] {
        let (policies, errors) = build(&text, engine);
        assert!(errors.is_empty(), "{errors:?}");
        let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
        assert_eq!(messages(&v), vec![format!("c: {want}")]);
    }
    // Rego v1 syntax
    let v1 = both
        .replace(
            "        - expression: 'false'\n          message: from cel\n",
            "",
        )
        .replace(
            "    - engine: K8sNativeValidation\n      source:\n        validations:\n",
            "",
        )
        .replace(
            "        rego: |\n",
            "        version: v1\n        rego: |\n",
        )
        .replace(
            "violation[{\"msg\": \"from rego\"}] { true }",
            "violation contains {\"msg\": \"v1\"} if { true }",
        );
    let text = [v1, constraint("Both", "c", "  parameters: {}\n")].join("---\n");
    let (policies, errors) = build(&text, EngineChoice::Auto);
    assert!(errors.is_empty(), "{errors:?}");
    let v = policies.evaluate(&pod("a", json!({})), &Inventory::default());
    assert_eq!(messages(&v), vec!["c: v1"]);
}

/// A Rego module cut short (an unclosed brace) is reported by regorus on the line after its
/// last one; at the end of a file that line does not exist: the error stays on the module's
/// last line, inside the file (found by the `policy` fuzz target).
#[test]
fn a_rego_error_after_the_last_line_stays_in_the_file() {
    let text = rego_template(
        "K8sCut",
        "package k8scut\nviolation[{\"msg\": msg}] {\n  msg := \"x\"",
    );
    let lines = text.lines().count() as u32;
    let (_, errors) = build(&text, EngineChoice::Rego);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, PolicyErrorKind::Compile);
    let at = &errors[0].source;
    assert!(at.line >= 1 && at.line <= lines, "{at} in {lines} lines");
    assert_eq!(at.line, lines, "the module's last line: {at}");
}

/// The re-indenting shim for go-yaml's quoted scalars (`parse_documents`) stands only when the
/// re-indented text parses: an error in it would be located in re-indented lines, past the
/// real end of the line (found by the `policy` fuzz target). The file's own error stands.
#[test]
fn an_error_after_the_quoted_scalar_shim_is_located_in_the_file() {
    let text =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: \"one\n  two\" x\n";
    let (_, errors) = parse_documents(text, "policies.yaml");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let at = &errors[0].source;
    let lines: Vec<&str> = text.lines().collect();
    let line = lines[at.line as usize - 1];
    assert!(
        at.column as usize <= line.chars().count() + 1,
        "{at}: past the end of {line:?}"
    );
    // The scalar the shim could not make parse: where the file's own error is.
    assert_eq!(
        (at.line, errors[0].kind),
        (6, PolicyErrorKind::Input),
        "{}",
        errors[0]
    );
}

/// regorus gives a Rego error's column in bytes; the file's columns are characters, so an
/// error after non-ASCII text stays on its line (found by the `policy` fuzz target).
#[test]
fn a_rego_error_column_after_non_ascii_text_is_in_characters() {
    let text = rego_template(
        "K8sWide",
        "package k8swide\nviolation[{\"msg\": msg}] {\n  msg := \"ééééééééééééééééééééé\" ]\n}",
    );
    let (_, errors) = build(&text, EngineChoice::Rego);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let at = &errors[0].source;
    let line = text.lines().nth(at.line as usize - 1).unwrap_or("");
    assert!(
        at.line >= 1 && at.column as usize <= line.chars().count() + 1,
        "{at}: past the end of {line:?}"
    );
}

/// The Gatekeeper library writes `requires-sync-data` as JSON inside double quotes in a block
/// scalar; Gatekeeper trims the quotes before decoding it. Read as Gatekeeper reads it, only
/// the kinds it names join the inventory (before, the quotes made it unreadable and every
/// object of a scan was kept for the inventory: 4.4 GB on the 100,000-object benchmark).
#[test]
fn the_library_s_quoted_sync_annotation_limits_the_inventory() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gatekeeper-library/general/uniqueserviceselector");
    let mut text = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    assert!(
        text.contains("requires-sync-data: |\n      \"["),
        "the library's annotation is a quoted JSON text in a block scalar"
    );
    text.push_str("\n---\n");
    text.push_str(&constraint(
        "K8sUniqueServiceSelector",
        "unique",
        "  match:\n    kinds:\n    - apiGroups: [\"\"]\n      kinds: [Service]\n",
    ));
    let (set, errors) = build(&text, EngineChoice::Rego);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(set.needs_all_objects());
    let service =
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "a"}});
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "a"}});
    assert!(set.inventory_needs(&service));
    assert!(
        !set.inventory_needs(&deployment),
        "Deployments are not synced for this template"
    );

    // An annotation that cannot be read is an error located at it; the template is kept and
    // keeps every kind (it may read any).
    let broken = text.replace(
        "requires-sync-data: |\n      \"[",
        "requires-sync-data: |\n      \"[[[",
    );
    let (set, errors) = build(&broken, EngineChoice::Rego);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, PolicyErrorKind::SyncAnnotation);
    assert_eq!(
        (errors[0].source.line, errors[0].source.column),
        (9, 7),
        "at the value"
    );
    assert!(
        errors[0].message.contains("requires-sync-data"),
        "{errors:?}"
    );
    assert!(set.inventory_needs(&deployment));
    assert_eq!(set.len().0, 1, "the template is kept");
}

/// A template that declares the kinds it needs synced (`requires-sync-data`) sees those kinds
/// in `data.inventory`, as a Gatekeeper whose sync config follows the templates' annotations
/// would give it; one without the annotation sees every kind of the input.
#[test]
fn a_template_sees_the_kinds_it_declares_in_its_inventory() {
    let rego = "package k8scount\nviolation[{\"msg\": msg}] {\n  n := count([o | o := data.inventory.namespace[_][_][_][_]])\n  msg := sprintf(\"%v objects\", [n])\n}\n";
    let template = rego_template("K8sCount", rego);
    let annotated = template.replacen(
        "metadata:\n  name: k8scount\n",
        "metadata:\n  name: k8scount\n  annotations:\n    metadata.gatekeeper.sh/requires-sync-data: |\n      \"[[{\"groups\": [\"\"], \"versions\": [\"v1\"], \"kinds\": [\"Service\"]}]]\"\n",
        1,
    );
    assert_ne!(annotated, template);
    let objects = [
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "a"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "a"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "b"}}),
    ];
    let inventory = Inventory::new(objects.iter());
    let pod = pod("a", json!({}));
    for (text, want) in [(&template, "3 objects"), (&annotated, "1 objects")] {
        let text = format!(
            "{text}---\n{}",
            constraint(
                "K8sCount",
                "c",
                "  match:\n    kinds:\n    - apiGroups: [\"\"]\n      kinds: [Pod]\n"
            )
        );
        let (set, errors) = build(&text, EngineChoice::Rego);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            messages(&set.evaluate(&pod, &inventory)),
            [format!("c: {want}")]
        );
    }
}

/// What `serve` must sync from its cluster: the kinds a referential template names in
/// `requires-sync-data` (expanded over its groups and versions), a binding's param kind, and
/// the Namespaces when something selects on them; templates that read the inventory without
/// naming kinds are listed apart.
#[test]
fn sync_requirements_name_what_the_inventory_needs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gatekeeper-library/general/uniqueingresshost");
    let unique = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    let unnamed = rego_template(
        "K8sCount",
        "package k8scount\nviolation[{\"msg\": \"x\"}] { count(data.inventory.cluster) > 100 }\n",
    );
    let labels = rego_template(
        "K8sNone",
        "package k8snone\nviolation[{\"msg\": \"x\"}] { false }\n",
    );
    let text = format!(
        "{unique}\n---\n{}---\n{unnamed}---\n{}---\n{labels}---\n{}---\n{}---\n{}",
        constraint("K8sUniqueIngressHost", "u", "  match:\n    kinds: [{apiGroups: [networking.k8s.io], kinds: [Ingress]}]\n"),
        constraint("K8sCount", "c", "  match:\n    kinds: [{apiGroups: [\"\"], kinds: [Pod]}]\n"),
        constraint("K8sNone", "by-namespace", "  match:\n    namespaceSelector: {matchLabels: {team: a}}\n"),
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: limit}\nspec:\n  paramKind: {apiVersion: v1, kind: ConfigMap}\n  matchConstraints:\n    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]\n  validations: [{expression: \"object.spec.replicas <= int(params.data.max)\"}]\n",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: limit}\nspec:\n  policyName: limit\n  paramRef: {name: limits, namespace: default}\n  validationActions: [Deny]\n",
    );
    let (set, errors) = build(&text, EngineChoice::Rego);
    assert!(errors.is_empty(), "{errors:?}");
    let needs = set.sync_requirements();
    let kinds: Vec<(&str, &str)> = needs
        .kinds
        .iter()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("extensions/v1beta1", "Ingress"),
            ("networking.k8s.io/v1", "Ingress"),
            ("networking.k8s.io/v1beta1", "Ingress"),
            ("v1", "ConfigMap"),
            ("v1", "Namespace"),
        ]
    );
    assert_eq!(needs.unnamed, ["k8scount"]);
}

/// A ValidatingAdmissionPolicy whose expression does not compile: a scan leaves it out (an
/// error at its location); an admission server keeps it, and its failurePolicy decides every
/// request it matches, as the API server does (Fail: an evaluation error that denies; Ignore:
/// one that admits), so that a broken `Fail` policy never admits everything.
#[test]
fn an_uncompiled_vap_is_decided_by_its_failure_policy_when_kept() {
    let vap = |name: &str, failure: &str| {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: {name}}}\nspec:\n  failurePolicy: {failure}\n  matchConstraints:\n    resourceRules: [{{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}}]\n  validations: [{{expression: \"object.spec.replicas <=\"}}]\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{name: {name}}}\nspec:\n  policyName: {name}\n  validationActions: [Deny]\n"
        )
    };
    let text = format!("{}---\n{}", vap("strict", "Fail"), vap("lenient", "Ignore"));
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "a"}, "spec": {"replicas": 1}});
    let service =
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "a"}});
    let (docs, _) = parse_documents(&text, "policies.yaml");

    let (set, errors) = build(&text, EngineChoice::Auto);
    let compile = errors
        .iter()
        .filter(|e| e.kind == PolicyErrorKind::Compile)
        .count();
    assert_eq!(compile, 2, "{errors:?}");
    assert!(
        set.is_empty(),
        "a scan leaves them out (and their bindings)"
    );

    let mut b = PolicySetBuilder::new(EngineChoice::Auto).keep_uncompiled(true);
    for d in docs {
        assert!(b.add(d));
    }
    let (set, errors) = b.build();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors
        .iter()
        .all(|e| e.kind == PolicyErrorKind::CompileKept));
    assert!(
        errors[0].source.line > 1,
        "located at the policy: {errors:?}"
    );
    // What the webhook sees (`review`; `evaluate` leaves out what Ignore lets pass).
    let review = kubeward_policy::Review::from_object(&deployment).unwrap();
    let v = set.review(&review, &Inventory::default());
    let decided: Vec<(String, bool, bool)> = v
        .iter()
        .map(|v| (v.template.clone(), v.evaluation_error, v.ignored))
        .collect();
    assert_eq!(
        decided,
        [
            ("strict".to_string(), true, false),
            ("lenient".to_string(), true, true)
        ]
    );
    assert!(v[0].message.contains("do not compile"), "{}", v[0].message);
    // A request the policy does not match is not touched.
    assert!(set.evaluate(&service, &Inventory::default()).is_empty());
}
