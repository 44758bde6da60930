use super::*;
use proptest::prelude::*;

fn one(text: &str) -> Document {
    let parsed = parse_str(text, &Limits::default());
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    parsed.documents.into_iter().next().expect("one document")
}

#[test]
fn positions_point_at_keys_and_items() {
    let doc = one("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: true\n");
    let root = doc.root();
    let c = root.get_path(&["spec", "containers"]).unwrap();
    let first = c.items().next().unwrap();
    assert_eq!(first.value_pos(), Pos { line: 5, column: 5 });
    let p = first.get_path(&["securityContext", "privileged"]).unwrap();
    assert_eq!(p.pos(), Pos { line: 7, column: 7 });
    assert_eq!(
        p.value_pos(),
        Pos {
            line: 7,
            column: 19
        }
    );
    assert_eq!(p.as_bool(), Some(true));
}

#[test]
fn split_keeps_absolute_lines() {
    let text = "a: 1\n---\nb: 2\n---\n# only a comment\n---\nc:\n  d: x\n";
    let chunks = split_documents(text);
    assert_eq!(chunks.len(), 4);
    let parsed = parse_str(text, &Limits::default());
    assert!(parsed.error.is_none());
    let d = parsed
        .documents
        .iter()
        .find(|d| d.root().get("c").is_some())
        .unwrap();
    assert_eq!(
        d.root().get_path(&["c", "d"]).unwrap().pos(),
        Pos { line: 8, column: 3 }
    );
}

#[test]
fn marker_needs_whitespace_after_it() {
    // `----` and `---x` are content, not document markers.
    let text = "a: |\n  x\n----: 1\n";
    assert_eq!(split_documents(text).len(), 1);
    assert_eq!(split_documents("--- !!map\na: 1\n---\n").len(), 2);
}

#[test]
fn directives_keep_the_stream_whole() {
    let text = "a: 1\n---\n%YAML 1.2\n---\nb: 2\n";
    assert_eq!(split_documents(text).len(), 1);
}

#[test]
fn resolves_scalars_like_go_yaml_v2() {
    let doc = one("a: yes\nb: 'true'\nc: 0x10\nd: ~\ne:\nf: 010\ng: !!str true\nh: 1.5\ni: -3\n");
    let r = doc.root();
    assert_eq!(r.get("a").unwrap().as_bool(), Some(true));
    assert_eq!(r.get("b").unwrap().as_bool(), None);
    assert_eq!(r.get("b").unwrap().as_str(), Some("true"));
    assert_eq!(r.get("c").unwrap().as_i64(), Some(16));
    assert!(r.get("d").unwrap().is_null());
    assert!(r.get("e").unwrap().is_null());
    assert_eq!(r.get("f").unwrap().as_i64(), Some(8));
    assert_eq!(r.get("g").unwrap().as_str(), Some("true"));
    assert_eq!(r.get("h").unwrap().value_type(), ValueType::Float);
    assert_eq!(r.get("i").unwrap().as_i64(), Some(-3));
}

#[test]
fn merge_keys_share_nodes_and_explicit_keys_win() {
    let doc = one("base: &b\n  x: 1\n  y: 2\nobj:\n  <<: *b\n  y: 3\n");
    let obj = doc.root().get("obj").unwrap();
    assert_eq!(obj.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(obj.get("y").unwrap().as_i64(), Some(3));
    assert_eq!(obj.len(), 2);
    // x points where it was written: inside the anchor.
    assert_eq!(obj.get("x").unwrap().pos().line, 2);
}

#[test]
fn duplicate_keys_are_warnings_and_last_wins() {
    let doc = one("a: 1\nb: 2\na: 3\n");
    assert_eq!(doc.root().get("a").unwrap().as_i64(), Some(3));
    assert_eq!(doc.warnings.len(), 1);
    assert_eq!(doc.warnings[0].pos, Pos { line: 3, column: 1 });
    assert!(doc.warnings[0].message.contains("duplicate key \"a\""));
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut text = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev}]\n"));
    }
    let start = std::time::Instant::now();
    let parsed = parse_str(&text, &Limits::default());
    let err = parsed.error.expect("refused");
    assert!(err.message.contains("alias bomb"), "{}", err.message);
    assert!(err.pos.line > 1);
    // Not a timing assertion of speed, a guard against exponential work: a linear refusal
    // takes microseconds, an exponential one would take hours.
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn recursive_alias_is_an_error_not_a_hang() {
    let parsed = parse_str("a: &x [1, *x]\n", &Limits::default());
    assert!(parsed.error.is_some());
}

#[test]
fn depth_limit() {
    let deep = "[".repeat(300) + &"]".repeat(300);
    let parsed = parse_str(&deep, &Limits::default());
    let err = parsed.error.expect("too deep");
    // The scanner's own flow-level limit may speak first; either way it is refused.
    assert!(
        err.message.contains("nesting deeper than 200") || err.message.contains("recursion limit"),
        "{}",
        err.message
    );
    // Block style too: each level is a mapping key.
    let mut block = String::new();
    for i in 0..300 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    let err = parse_str(&block, &Limits::default())
        .error
        .expect("too deep");
    assert!(
        err.message.contains("nesting deeper than 200"),
        "{}",
        err.message
    );
}

#[test]
fn size_limit_names_the_document_line() {
    let text = "a: 1\n---\nb: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n";
    let limits = Limits {
        max_document_bytes: 20,
        ..Limits::default()
    };
    let chunks = split_documents(text);
    let first = parse_chunk(text, chunks[0], &limits);
    assert!(first.error.is_none());
    let second = parse_chunk(text, chunks[1], &limits);
    assert_eq!(second.error.unwrap().pos.line, 2);
}

#[test]
fn syntax_error_location_is_absolute() {
    let text = "a: 1\n---\nb: [1, 2\nc: 3\n";
    let parsed = parse_str(text, &Limits::default());
    assert_eq!(parsed.documents.len(), 1);
    let err = parsed.error.unwrap();
    assert!(err.pos.line >= 3, "{err:?}");
}

#[test]
fn closing_bracket_at_parent_indentation_is_tolerated_like_kubectl() {
    let text = "spec:\n  containers:\n    - name: a\n      args: [\n          \"-x\", \"1\",\n      ]\n      image: i\n";
    let parsed = parse_str(text, &Limits::default());
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let c = parsed.documents[0]
        .root()
        .get_path(&["spec", "containers"])
        .unwrap()
        .items()
        .next()
        .unwrap();
    assert_eq!(c.get("args").unwrap().len(), 2);
    assert_eq!(c.get("image").unwrap().pos(), Pos { line: 7, column: 7 });
    // Other indentation errors are still errors.
    assert!(parse_str("a:\n  b: 1\n c: 2\n", &Limits::default())
        .error
        .is_some());
}

#[test]
fn json_is_yaml() {
    let doc = one("{\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}");
    assert_eq!(
        doc.root().get_path(&["spec", "hostPID"]).unwrap().as_bool(),
        Some(true)
    );
}

#[test]
fn invalid_utf8_is_located() {
    let err = decode(b"a: 1\nb: \xff\n").unwrap_err();
    assert_eq!(err.pos, Pos { line: 2, column: 4 });
}

#[test]
fn to_json_round_trips_types() {
    let doc = one("a: [1, true, x, ~, '2']\n");
    assert_eq!(
        doc.root().to_json(),
        serde_json::json!({"a": [1, true, "x", null, "2"]})
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes at all: no panic, and every reported position lies inside the input.
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,300}") {
        let lines = s.lines().count() as u32 + 2;
        let parsed = parse_str(&s, &Limits::default());
        if let Some(e) = parsed.error {
            prop_assert!(e.pos.line >= 1 && e.pos.line <= lines, "{:?} for {:?}", e, s);
        }
    }

    /// YAML-shaped text mutated at random.
    #[test]
    fn never_panics_on_mutated_manifests(
        cut in 0usize..400, insert in "[-:\\[\\]{}&*!|>'\"#\n ]{0,6}"
    ) {
        let base = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: {a: b}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    args: [\"a\", 'b']\n    securityContext: &sc\n      privileged: true\n  initContainers:\n  - name: d\n    securityContext: *sc\n---\nkind: List\nitems: []\n";
        let at = cut.min(base.len());
        let at = (0..=at).rev().find(|&i| base.is_char_boundary(i)).unwrap_or(0);
        let text = format!("{}{}{}", &base[..at], insert, &base[at..]);
        let parsed = parse_str(&text, &Limits::default());
        for d in &parsed.documents {
            let _ = d.root().to_json();
        }
    }

    /// Splitting never changes what a clean multi-document stream parses to.
    #[test]
    fn split_matches_whole_stream(values in proptest::collection::vec(0i64..1000, 1..20)) {
        let text: String = values.iter().map(|v| format!("---\nv: {v}\nl: [a, b]\n")).collect();
        let parsed = parse_str(&text, &Limits::default());
        prop_assert!(parsed.error.is_none());
        let got: Vec<i64> = parsed.documents.iter().map(|d| d.root().get("v").unwrap().as_i64().unwrap()).collect();
        prop_assert_eq!(got, values);
    }
}
