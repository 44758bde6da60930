//! The edit engine on hand-written manifests: each expected text is what a person editing the
//! file by hand in its own style would write; every byte outside the edited lines is the same.

use kubeward_fix::edit::Leaf;
use kubeward_fix::edit_document;

fn set(v: &str) -> Leaf {
    Leaf::Value(v.to_string())
}

fn item(v: &str) -> Leaf {
    Leaf::Item(v.to_string())
}

fn edited(text: &str, requests: &[(&str, Leaf)]) -> String {
    let (out, refused) = edit_document(text, 0, requests).expect("parses");
    assert!(refused.is_empty(), "refused: {refused:?}");
    out
}

fn refused(text: &str, requests: &[(&str, Leaf)]) -> (String, Vec<(u32, u32, String)>) {
    let (out, refused) = edit_document(text, 0, requests).expect("parses");
    assert!(!refused.is_empty(), "expected a refusal, got {out}");
    (
        out,
        refused
            .into_iter()
            .map(|r| (r.pos.line, r.pos.column, r.reason))
            .collect(),
    )
}

#[test]
fn replaces_a_scalar_keeping_its_comment() {
    let text = "spec:\n  containers:\n  - name: app\n    securityContext:\n      privileged: true   # needed?\n      runAsUser: 1000\n";
    assert_eq!(
        edited(text, &[("spec.containers[0].securityContext.privileged", set("false"))]),
        "spec:\n  containers:\n  - name: app\n    securityContext:\n      privileged: false   # needed?\n      runAsUser: 1000\n"
    );
}

#[test]
fn inserts_a_key_at_the_mapping_indentation_after_its_last_entry() {
    // 4-space indentation, indented sequences, a comment line and a blank line after.
    let text = "spec:\n    containers:\n        - name: app\n          securityContext:\n              runAsUser: 1000\n          # the image\n          image: x\n\nstatus: {}\n";
    assert_eq!(
        edited(
            text,
            &[("spec.containers[0].securityContext.allowPrivilegeEscalation", set("false"))]
        ),
        "spec:\n    containers:\n        - name: app\n          securityContext:\n              runAsUser: 1000\n              allowPrivilegeEscalation: false\n          # the image\n          image: x\n\nstatus: {}\n"
    );
}

#[test]
fn creates_missing_mappings_with_the_document_indentation() {
    let text = "spec:\n   containers:\n   - name: app\n     image: x\n";
    assert_eq!(
        edited(
            text,
            &[
                ("spec.containers[0].securityContext.allowPrivilegeEscalation", set("false")),
                ("spec.containers[0].securityContext.seccompProfile.type", set("RuntimeDefault")),
                ("spec.containers[0].securityContext.capabilities.drop", item("ALL")),
            ]
        ),
        "spec:\n   containers:\n   - name: app\n     image: x\n     securityContext:\n        allowPrivilegeEscalation: false\n        seccompProfile:\n           type: RuntimeDefault\n        capabilities:\n           drop:\n           - ALL\n"
    );
}

#[test]
fn keeps_crlf_line_ends() {
    let text = "spec:\r\n  hostNetwork: true\r\n  containers:\r\n  - name: app\r\n    image: x\r\n";
    assert_eq!(
        edited(
            text,
            &[
                ("spec.hostNetwork", set("false")),
                ("spec.containers[0].securityContext.runAsNonRoot", set("true")),
            ]
        ),
        "spec:\r\n  hostNetwork: false\r\n  containers:\r\n  - name: app\r\n    image: x\r\n    securityContext:\r\n      runAsNonRoot: true\r\n"
    );
}

#[test]
fn flow_mappings_get_flow_entries() {
    let text =
        "spec:\n  containers:\n  - {name: app, image: x, securityContext: {runAsUser: 1000}}\n";
    assert_eq!(
        edited(
            text,
            &[
                ("spec.containers[0].securityContext.allowPrivilegeEscalation", set("false")),
                ("spec.containers[0].securityContext.capabilities.drop", item("ALL")),
            ]
        ),
        "spec:\n  containers:\n  - {name: app, image: x, securityContext: {runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}\n"
    );
}

#[test]
fn json_keeps_its_quotes_and_one_entry_per_line() {
    let text = "{\n  \"kind\": \"Pod\",\n  \"spec\": {\n    \"containers\": [\n      {\n        \"name\": \"app\",\n        \"imagePullPolicy\": \"IfNotPresent\"\n      }\n    ]\n  }\n}\n";
    assert_eq!(
        edited(
            text,
            &[
                ("spec.containers[0].imagePullPolicy", set("Always")),
                ("spec.automountServiceAccountToken", set("false")),
            ]
        ),
        "{\n  \"kind\": \"Pod\",\n  \"spec\": {\n    \"containers\": [\n      {\n        \"name\": \"app\",\n        \"imagePullPolicy\": \"Always\"\n      }\n    ],\n    \"automountServiceAccountToken\": false\n  }\n}\n"
    );
}

#[test]
fn appends_to_lists_in_their_style() {
    let block =
        "sc:\n  capabilities:\n    drop:\n      - \"NET_RAW\"\n    add: [NET_BIND_SERVICE]\n";
    assert_eq!(
        edited(block, &[("sc.capabilities.drop", item("ALL"))]),
        "sc:\n  capabilities:\n    drop:\n      - \"NET_RAW\"\n      - \"ALL\"\n    add: [NET_BIND_SERVICE]\n"
    );
    let flow = "sc:\n  capabilities:\n    drop: ['NET_RAW']\n";
    assert_eq!(
        edited(flow, &[("sc.capabilities.drop", item("ALL"))]),
        "sc:\n  capabilities:\n    drop: ['NET_RAW', 'ALL']\n"
    );
    let empty = "sc:\n  capabilities:\n    drop: []\n";
    assert_eq!(
        edited(empty, &[("sc.capabilities.drop", item("ALL"))]),
        "sc:\n  capabilities:\n    drop: [ALL]\n"
    );
    // Already there: nothing to do.
    assert_eq!(
        edited(block, &[("sc.capabilities.drop", item("NET_RAW"))]),
        block
    );
}

#[test]
fn an_empty_value_is_filled_in_place() {
    let text = "spec:\n  securityContext:\n  hostPID:   # set me\n  containers: []\n";
    assert_eq!(
        edited(
            text,
            &[
                ("spec.securityContext.runAsNonRoot", set("true")),
                ("spec.hostPID", set("false")),
            ]
        ),
        "spec:\n  securityContext:\n    runAsNonRoot: true\n  hostPID: false   # set me\n  containers: []\n"
    );
}

#[test]
fn keeps_quoting_of_string_values() {
    let text = "c:\n  imagePullPolicy: 'IfNotPresent'\n";
    assert_eq!(
        edited(text, &[("c.imagePullPolicy", set("Always"))]),
        "c:\n  imagePullPolicy: 'Always'\n"
    );
}

#[test]
fn a_last_line_without_line_break_stays_without() {
    let text = "spec:\n  containers:\n  - name: app\n    image: x";
    assert_eq!(
        edited(text, &[("spec.containers[0].securityContext.privileged", set("false"))]),
        "spec:\n  containers:\n  - name: app\n    image: x\n    securityContext:\n      privileged: false"
    );
}

#[test]
fn inserts_before_a_trailing_block_scalar_never_into_it() {
    let text = "c:\n  name: app\n  args:\n  - |\n    echo hi\n    exit 0\n";
    // The last entry ends in a block scalar: the new key goes after `name`.
    assert_eq!(
        edited(text, &[("c.securityContext.privileged", set("false"))]),
        "c:\n  name: app\n  securityContext:\n    privileged: false\n  args:\n  - |\n    echo hi\n    exit 0\n"
    );
}

#[test]
fn later_documents_and_separators_are_untouched() {
    let text =
        "# head\n---\nkind: A\nspec:\n  hostIPC: true\n---\nkind: B\nspec:\n  hostIPC: true\n...\n";
    let (out, refused) = edit_document(text, 1, &[("spec.hostIPC", set("false"))]).unwrap();
    assert!(refused.is_empty());
    assert_eq!(
        out,
        "# head\n---\nkind: A\nspec:\n  hostIPC: true\n---\nkind: B\nspec:\n  hostIPC: false\n...\n"
    );
}

#[test]
fn refuses_anchors_aliases_merge_keys_tags_block_scalars_and_templates() {
    let anchored = "base: &sc\n  privileged: true\nspec:\n  securityContext: *sc\n";
    let (out, why) = refused(
        anchored,
        &[("spec.securityContext.privileged", set("false"))],
    );
    assert_eq!(out, anchored);
    assert_eq!((why[0].0, why[0].1), (4, 20), "{why:?}");
    assert!(why[0].2.contains("alias"), "{why:?}");

    let anchor_itself = "sc: &sc\n  privileged: true\n";
    let (_, why) = refused(anchor_itself, &[("sc.privileged", set("false"))]);
    assert!(why[0].2.contains("anchor"), "{why:?}");

    let merged = "base: &b {a: 1}\nsc:\n  <<: *b\n  privileged: true\n";
    let (_, why) = refused(merged, &[("sc.allowPrivilegeEscalation", set("false"))]);
    assert!(why[0].2.contains("merge key"), "{why:?}");
    assert_eq!((why[0].0, why[0].1), (3, 3));

    let tagged = "sc:\n  privileged: !!bool true\n";
    let (_, why) = refused(tagged, &[("sc.privileged", set("false"))]);
    assert!(why[0].2.contains("tag"), "{why:?}");
    assert_eq!((why[0].0, why[0].1), (2, 15));

    let block = "c:\n  imagePullPolicy: |\n    IfNotPresent\n";
    let (_, why) = refused(block, &[("c.imagePullPolicy", set("Always"))]);
    assert!(why[0].2.contains("block scalar"), "{why:?}");

    // Located at the `{{` itself, not at the mapping the key would go into.
    let templated = "sc:\n  runAsUser: \"{{ .Values.uid }}\"\n";
    let (out, why) = refused(templated, &[("sc.privileged", set("false"))]);
    assert_eq!(out, templated);
    assert!(why[0].2.contains("templated"), "{why:?}");
    assert_eq!((why[0].0, why[0].1), (2, 15), "{why:?}");
    let crlf = "sc:\r\n  a: 1\r\n  b:\r\n  - x {{ .Values.y }}\r\n";
    let (_, why) = refused(crlf, &[("sc.privileged", set("false"))]);
    assert_eq!((why[0].0, why[0].1), (4, 7), "{why:?}");
}

/// yamllint's `indentation` rule (`relaxed`: `spaces: consistent`, `indent-sequences:
/// consistent`) takes the width from the file's first nested mapping and the sequence style
/// from its first sequence under a key, and warns about lines that differ. New lines follow
/// those, not the style used most, so they are never a new warning.
#[test]
fn new_lines_follow_the_files_first_nested_mapping_and_sequence() {
    // The first sequence is not indented; the two after it are.
    let mixed = "spec:\n  containers:\n  - name: a\n    volumeMounts:\n      - name: v\n        mountPath: /x\n  volumes:\n    - name: v\n";
    assert_eq!(
        edited(
            mixed,
            &[("spec.containers[0].securityContext.capabilities.drop", item("ALL"))]
        ),
        "spec:\n  containers:\n  - name: a\n    volumeMounts:\n      - name: v\n        mountPath: /x\n    securityContext:\n      capabilities:\n        drop:\n        - ALL\n  volumes:\n    - name: v\n"
    );
    // The first document decides for the second (yamllint reads the file as one stream).
    let two = "a:\n    b:\n        - x\n---\nspec:\n    containers:\n    - name: c\n";
    let (out, refused) = edit_document(
        two,
        1,
        &[(
            "spec.containers[0].securityContext.capabilities.drop",
            item("ALL"),
        )],
    )
    .unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(
        out,
        "a:\n    b:\n        - x\n---\nspec:\n    containers:\n    - name: c\n      securityContext:\n          capabilities:\n              drop:\n                  - ALL\n"
    );
}

#[test]
fn refuses_wrong_types_with_their_position() {
    let text = "spec:\n  containers: x\n";
    let (_, why) = refused(
        text,
        &[(
            "spec.containers[0].securityContext.privileged",
            set("false"),
        )],
    );
    assert_eq!((why[0].0, why[0].1), (2, 15));
}

#[test]
fn field_paths_with_bracketed_keys() {
    let text = "metadata:\n  annotations:\n    a.b/c: x\n";
    assert_eq!(
        edited(text, &[("metadata.annotations['a.b/c']", set("y"))]),
        "metadata:\n  annotations:\n    a.b/c: y\n"
    );
}

/// go-yaml (kubectl) and PyYAML accept a flow list whose `]` sits at its key's indentation (as
/// istio's spire-quickstart.yaml has it); kubeward reads it so, and fix edits such a document
/// with every other byte kept.
#[test]
fn a_closing_bracket_at_the_keys_indentation_is_edited_around() {
    let text = "spec:\n  containers:\n  - name: c\n    args: [\n        \"-a\", \"b\",\n    ]\n    image: x\n  hostPID: true\n";
    // The YAML parser alone refuses it (the spec wants the `]` indented).
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    assert!(
        std::iter::from_fn(|| parser.next_event()).any(|e| e.is_err()),
        "saphyr-parser accepts it now: the tolerance may go"
    );
    assert_eq!(
        edited(
            text,
            &[
                ("spec.hostPID", set("false")),
                ("spec.containers[0].securityContext.privileged", set("false")),
            ]
        ),
        "spec:\n  containers:\n  - name: c\n    args: [\n        \"-a\", \"b\",\n    ]\n    image: x\n    securityContext:\n      privileged: false\n  hostPID: false\n"
    );
}

/// The `fix` fuzz target's invariants (`kubeward_fix::invariants::check`) hold on an input
/// it found, its bytes read as the target reads them (lossy UTF-8).
fn invariants_hold(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Err(e) = kubeward_fix::invariants::check(&text) {
        panic!("{e}");
    }
}

/// Found by the `fix` fuzz target: a flow mapping whose only entry is a key without a value
/// (`{privilege\u{fffd}\u{fffd} true}`, from bytes that are not UTF-8) must be edited into text
/// that still parses, or refused.
#[test]
fn a_flow_mapping_of_one_bare_key_is_edited_into_text_that_parses() {
    invariants_hold(include_bytes!("data/fuzz-fix-cda002e8.yaml"));
}

/// Found by the `fix` fuzz target (CI's run, session 13): in `{key:` + newline + `}` the key's
/// empty value ends where the key does, before the `:`; new entries were written there, between
/// the key and its colon, and the edited text did not parse.
#[test]
fn new_entries_go_after_the_colon_of_a_last_key_without_value() {
    invariants_hold(include_bytes!("data/fuzz-fix-aa4ed9fd.yaml"));
}

/// Found by the `fix` fuzz target right after the fix above: the same flow mapping with a
/// trailing comma (`{key, ` then the bracket on the next line at a smaller indentation).
#[test]
fn a_flow_mapping_with_a_trailing_comma_is_edited_into_text_that_parses() {
    invariants_hold(include_bytes!("data/fuzz-fix-5009d339.yaml"));
}

/// Found by the `fix` fuzz target in the same run: an indentless block sequence whose first
/// item is a flow mapping (`volumeMounts:` then `- {name: tmp, ...}` at the key's column) was
/// taken for a flow collection (it starts, for the parser, at the `{`); its end ran to the
/// next key, and `securityContext` added to the container went one line too late.
#[test]
fn an_indentless_sequence_of_flow_mappings_is_a_block_sequence() {
    invariants_hold(include_bytes!("data/fuzz-fix-5a1c4.yaml"));
}

/// Found by the `fix` fuzz target (an open run, session 13): the last entry of a flow mapping
/// ends a line with CR LF and the bracket is on the next line at column 1; the entry's span
/// took in the CR, and new entries written after it started a line of their own.
#[test]
fn new_entries_never_follow_a_line_break_of_the_last_entry() {
    invariants_hold(include_bytes!("data/fuzz-fix-crlf.yaml"));
}
