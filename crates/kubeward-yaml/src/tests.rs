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
    let chunks = split_documents(text.as_bytes());
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
    assert_eq!(split_documents(text.as_bytes()).len(), 1);
    assert_eq!(split_documents(b"--- !!map\na: 1\n---\n").len(), 2);
}

#[test]
fn a_directive_belongs_to_the_document_after_it() {
    // The directive starts a piece; its `---` does not cut it again.
    let text = "a: 1\n---\n%YAML 1.2\n---\nb: 2\n";
    let chunks = split_documents(text.as_bytes());
    assert_eq!(chunks.len(), 3, "{chunks:?}");
    assert_eq!(
        &text[chunks[2].start..chunks[2].end],
        "%YAML 1.2\n---\nb: 2\n"
    );
    assert_eq!(chunks[2].first_line, 3);
    let parsed = parse_str(text, &Limits::default());
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    // `a: 1`, the empty document after the first `---`, and `b: 2`.
    assert_eq!(parsed.documents.len(), 3);
    // A stream that starts with a directive is one piece per document as well.
    let text = "%YAML 1.2\n---\na: 1\n---\nb: 2\n";
    assert_eq!(split_documents(text.as_bytes()).len(), 2);
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
    let chunks = split_documents(text.as_bytes());
    let first = parse_chunk(text.as_bytes(), chunks[0], &limits);
    assert!(first.error.is_none());
    let second = parse_chunk(text.as_bytes(), chunks[1], &limits);
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

    /// Feeding a stream in parts, dropping each part's finished pieces, cuts it exactly as
    /// splitting it whole does, whatever the line ends, markers and directives.
    #[test]
    fn feeding_in_parts_matches_splitting_whole(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("---".to_string()), Just("...".to_string()), Just("%YAML 1.2".to_string()),
                Just("# c".to_string()), Just(String::new()), "[a-z: ]{0,12}",
            ],
            0..40,
        ),
        ends in proptest::collection::vec(prop_oneof![Just("\n"), Just("\r\n"), Just("\r")], 40),
        parts in proptest::collection::vec(1usize..16, 1..20),
    ) {
        let text: String = lines.iter().zip(&ends).map(|(l, e)| format!("{l}{e}")).collect();
        let bytes = text.as_bytes();
        let whole = split_documents(bytes);
        let mut got = Vec::new();
        let mut splitter = Splitter::default();
        let mut fed = 0;
        let mut k = 0;
        while fed < bytes.len() {
            let n = parts[k % parts.len()];
            k += 1;
            fed = (fed + n).min(bytes.len());
            // The reader keeps only what the splitter has not finished.
            let base = splitter.current().0.min(splitter.position());
            splitter.feed(&bytes[base..fed], base, false, &mut got);
        }
        let base = splitter.current().0.min(splitter.position());
        splitter.feed(&bytes[base..], base, true, &mut got);
        if got.is_empty() {
            got.push(Chunk { start: 0, end: bytes.len(), first_line: 1, part: Part::Document });
        }
        prop_assert_eq!(got, whole);
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

/// Regression tests for the bad-input campaign (../shared/hostile-inputs, copied into
/// tests/hostile with their provenance).
mod hostile {
    use super::*;

    fn all(text: &[u8]) -> (Vec<Document>, Vec<Problem>) {
        let mut docs = Vec::new();
        let mut problems = Vec::new();
        for chunk in split_documents(text) {
            let parsed = parse_chunk(text, chunk, &Limits::default());
            docs.extend(parsed.documents);
            problems.extend(parsed.error);
        }
        (docs, problems)
    }

    // D01: an alias to an anchor of an earlier document (after `...`, in a `%YAML` stream,
    // with bare-CR line ends) panicked or bound to an unrelated node of the later document.
    #[test]
    fn d01_aliases_never_reach_into_an_earlier_document() {
        for text in [
            &b"--- &a [1]\n...\n*a\n"[..],
            b"--- &a [1]\r--- *a\r",
            b"%YAML 1.2\n--- &a [1]\n--- *a\n",
        ] {
            let (docs, problems) = all(text);
            assert_eq!(docs.len(), 1, "{:?}", String::from_utf8_lossy(text));
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(
                problems[0].message.contains("unknown anchor"),
                "{problems:?}"
            );
        }
        // Within one chunk too (the builder never carries anchors over a document end).
        let parsed = build::parse_documents(
            "--- &a [1]\n...\n--- [*a]\n",
            0,
            &chars::Shifts::default(),
            &Limits::default(),
        );
        assert_eq!(parsed.0.len(), 1);
        let e = parsed.1.expect("an error");
        assert!(e.message.contains("unknown anchor"), "{e:?}");
        assert_eq!(e.pos, Pos { line: 3, column: 6 });
    }

    #[test]
    fn d01_wrong_node_case_reports_the_alias() {
        let text = include_bytes!("../tests/hostile/D01-wrongnode.yaml");
        let (docs, problems) = all(text);
        // The ConfigMap parses; the Pod that aliases its anchor is refused at the alias.
        assert_eq!(docs.len(), 1, "{problems:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("unknown anchor"));
        assert_eq!(
            problems[0].pos,
            Pos {
                line: 13,
                column: 22
            }
        );
    }

    // D03: duplicate-key detection was quadratic (80k keys took 8.6 s).
    #[test]
    fn d03_duplicate_keys_are_found_in_linear_time() {
        let n = 200_000;
        let mut text = String::from("data:\n");
        for i in 0..n {
            text.push_str(&format!("  k{i}: v\n"));
        }
        text.push_str("  k7: again\n");
        let start = std::time::Instant::now();
        let parsed = parse_str(&text, &Limits::default());
        let took = start.elapsed();
        let doc = &parsed.documents[0];
        assert_eq!(doc.warnings.len(), 1, "{:?}", doc.warnings);
        assert!(doc.warnings[0].message.contains("\"k7\""));
        assert_eq!(doc.warnings[0].pos.line, n + 2);
        // Quadratic was ~50 s for this size; linear is well under a second even in debug.
        assert!(took.as_secs() < 20, "{took:?}");
    }

    #[test]
    fn merge_of_a_large_mapping_is_linear_too() {
        let mut text = String::from("base: &b\n");
        for i in 0..50_000 {
            text.push_str(&format!("  k{i}: v\n"));
        }
        text.push_str("obj:\n  <<: *b\n  k3: mine\n");
        let parsed = parse_str(&text, &Limits::default());
        let obj = parsed.documents[0].root().get("obj").unwrap();
        assert_eq!(obj.entries().count(), 50_000);
        assert_eq!(obj.get("k3").unwrap().as_str(), Some("mine"));
    }

    // D06: a `%` line or bare-CR line ends turned the stream into one piece, so one broken
    // document hid every document after it.
    #[test]
    fn d06_a_broken_document_costs_only_itself() {
        let lf = include_bytes!("../tests/hostile/D06-lf-broken-first.yaml");
        let cr: Vec<u8> = lf
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b })
            .collect();
        let crlf: Vec<u8> = lf
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect();
        let mut directive = b"%YAML 1.2\n---\n".to_vec();
        directive.extend_from_slice(lf);
        let (want_docs, want_problems) = all(lf);
        assert_eq!(want_problems.len(), 1);
        assert!(!want_docs.is_empty());
        for (name, text, shift) in [
            ("cr", cr.as_slice(), 0),
            ("crlf", crlf.as_slice(), 0),
            ("directive", directive.as_slice(), 2),
        ] {
            let (docs, problems) = all(text);
            assert_eq!(docs.len(), want_docs.len(), "{name}");
            assert_eq!(problems.len(), 1, "{name}: {problems:?}");
            assert_eq!(
                problems[0].pos.line,
                want_problems[0].pos.line + shift,
                "{name}"
            );
            let privileged = |d: &Document| {
                d.root()
                    .get_path(&["spec", "containers"])
                    .and_then(|c| c.items().next())
                    .and_then(|c| c.get_path(&["securityContext", "privileged"]))
                    .map(|p| p.pos())
            };
            let want: Vec<_> = want_docs.iter().filter_map(privileged).collect();
            let got: Vec<_> = docs.iter().filter_map(privileged).collect();
            let got: Vec<_> = got
                .into_iter()
                .map(|p| Pos {
                    line: p.line - shift,
                    column: p.column,
                })
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn document_end_markers_cut_pieces() {
        let text = "a: [1\n...\nb: 2\n...\n";
        let (docs, problems) = all(text.as_bytes());
        assert_eq!(docs.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(docs[0].root().get("b").unwrap().value_pos().line, 3);
    }

    // D07: one invalid UTF-8 byte dropped every document of the file.
    #[test]
    fn d07_invalid_utf8_costs_only_its_document() {
        let text = include_bytes!("../tests/hostile/D07-two-docs-one-latin1-byte.yaml");
        let (docs, problems) = all(text);
        assert_eq!(docs.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].pos,
            Pos {
                line: 9,
                column: 16
            }
        );
        assert!(problems[0].message.contains("UTF-8"));
    }

    // D09: JSON with surrogate-pair escapes (any non-BMP character from an ensure_ascii
    // encoder) was refused.
    #[test]
    fn d09_json_surrogate_pairs_are_combined() {
        let escaped = include_str!("../tests/hostile/D09-pod-ensure-ascii.json");
        let raw = include_str!("../tests/hostile/D09-pod-raw-utf8.json");
        let a = parse_str(escaped, &Limits::default());
        let b = parse_str(raw, &Limits::default());
        assert!(a.error.is_none(), "{:?}", a.error);
        let (a, b) = (a.documents[0].root(), b.documents[0].root());
        assert_eq!(a.to_json(), b.to_json());
        // Positions are those of the source, after the shortened escapes too.
        let pos = |r: NodeRef<'_>| {
            r.get_path(&["spec", "containers"])
                .and_then(|c| c.items().next())
                .and_then(|c| c.get_path(&["securityContext", "privileged"]))
                .map(|p| p.pos())
                .unwrap()
        };
        let col = escaped.find("\"privileged\"").unwrap() as u32 + 1;
        assert_eq!(
            pos(a),
            Pos {
                line: 1,
                column: col
            }
        );
    }

    #[test]
    fn surrogates_in_yaml_scalars_and_lone_surrogates() {
        let text = "a: \"x\\uD83D\\uDE80y\"\nb: \"\\uDE80\"\nc: 'k'\n";
        let parsed = parse_str(text, &Limits::default());
        assert!(parsed.error.is_none(), "{:?}", parsed.error);
        let r = parsed.documents[0].root();
        assert_eq!(r.get("a").unwrap().as_str(), Some("x\u{1F680}y"));
        assert_eq!(r.get("b").unwrap().as_str(), Some("\u{FFFD}"));
        assert_eq!(r.get("c").unwrap().value_pos(), Pos { line: 3, column: 4 });
        // Several pairs on one line: later nodes keep their source columns.
        let text = "{\"a\": \"\\ud83d\\ude80\\ud83d\\ude80\", \"b\": \"\\ud83d\\ude80\", \"c\": 1}";
        let parsed = parse_str(text, &Limits::default());
        assert!(parsed.error.is_none(), "{:?}", parsed.error);
        let r = parsed.documents[0].root();
        let col = text.find("\"c\"").unwrap() as u32 + 1;
        assert_eq!(
            r.get("c").unwrap().pos(),
            Pos {
                line: 1,
                column: col
            }
        );
        assert_eq!(r.get("a").unwrap().as_str(), Some("\u{1F680}\u{1F680}"));
    }

    // D10: C0 control characters were accepted; Kubernetes' decoders refuse them.
    #[test]
    fn d10_control_characters_are_refused_where_kubernetes_refuses_them() {
        let text = include_bytes!("../tests/hostile/D10-c0.yaml");
        let (docs, problems) = all(text);
        assert!(docs.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("U+0007"), "{problems:?}");
        let at = text.iter().position(|&b| b == 7).unwrap();
        let line = text[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        assert_eq!(problems[0].pos.line, line);
        // DEL and C1 controls: refused in YAML, accepted in JSON (as Go's JSON decoder does).
        assert!(all("a: \"x\u{7f}\"\n".as_bytes()).1.len() == 1);
        assert!(all("a: \"x\u{85}\"\n".as_bytes()).1.is_empty());
        assert!(all("a: \"x\u{9b}\"\n".as_bytes()).1.len() == 1);
        assert!(all("{\"a\": \"x\u{7f}\u{9b}\"}".as_bytes()).1.is_empty());
        assert!(all("{\"a\": \"x\u{1}\"}".as_bytes()).1.len() == 1);
        // Tabs and the three line breaks are fine.
        assert!(all(b"a: 1\t# c\r\nb: 2\rc: 3\n").1.is_empty());
    }
}

/// Positions the fuzz targets found off (fuzz/README.md, Y01-Y03): every position lies inside
/// the input, in characters.
mod positions {
    use super::*;

    /// The repros of fuzz/README.md: every error, warning and root lies inside the input.
    #[test]
    fn fuzz_repros_are_located_inside_the_input() {
        for text in [
            "---",
            "\n?\n? ",
            "  : {c\n}\u{2}",
            "  : {\n}",
            "%Y\u{e9}\u{e9}\u{e9}\0",
        ] {
            let widths: Vec<u32> = text.split('\n').map(|l| l.chars().count() as u32).collect();
            let inside = |p: Pos| {
                p.line >= 1
                    && p.column >= 1
                    && (p.line as usize) <= widths.len()
                    && p.column <= widths[p.line as usize - 1] + 1
            };
            let parsed = parse_str(text, &Limits::default());
            if let Some(e) = &parsed.error {
                assert!(inside(e.pos), "{text:?}: error {e:?}");
            }
            for d in &parsed.documents {
                assert!(
                    inside(d.root().pos()),
                    "{text:?}: root {:?}",
                    d.root().pos()
                );
                for w in &d.warnings {
                    assert!(inside(w.pos), "{text:?}: warning {w:?}");
                }
            }
        }
    }

    #[test]
    fn y04_decode_errors_count_lines_and_characters_as_the_parser_does() {
        let e = decode(
            "a: \u{e9}\u{e9}\rb: x\r\nc: \u{e9}"
                .as_bytes()
                .iter()
                .copied()
                .chain([0xff])
                .collect::<Vec<u8>>()
                .as_slice(),
        )
        .unwrap_err();
        assert_eq!(e.pos, Pos { line: 3, column: 5 });
    }

    #[test]
    fn y01_empty_document_at_the_end_is_on_its_own_line() {
        for text in ["---", "a: 1\n---", "---\n", "a: 1\n--- "] {
            let parsed = parse_str(text, &Limits::default());
            let lines = text.split('\n').count() as u32;
            for d in &parsed.documents {
                assert!(
                    d.root().pos().line <= lines,
                    "{text:?}: {:?}",
                    d.root().pos()
                );
            }
        }
    }

    #[test]
    fn y02_errors_after_a_reindented_bracket_keep_source_columns() {
        // The first `]` is re-indented by four spaces to parse as go-yaml does; the second
        // is misplaced, at column 3 of the source (column 7 of the re-indented line).
        let text = "k:\n  a: [1,\n    2\n] ]\n";
        let parsed = parse_str(text, &Limits::default());
        let e = parsed.error.expect("an error after the bracket");
        assert_eq!(e.pos, Pos { line: 4, column: 3 }, "{e:?}");
    }

    #[test]
    fn y03_directive_errors_are_in_characters() {
        for text in [
            "%YAML 1.2 \u{e9}\u{e9}\u{e9}\u{e9} x\n---\na: 1\n",
            "%T\u{e9}\u{e9}\u{e9}G !a !\u{e9}\n---\na: 1\n",
        ] {
            let parsed = parse_str(text, &Limits::default());
            if let Some(e) = parsed.error {
                let width = text
                    .lines()
                    .nth(e.pos.line as usize - 1)
                    .unwrap()
                    .chars()
                    .count() as u32;
                assert!(e.pos.column <= width + 1, "{text:?}: {e:?}");
            }
        }
    }
}
