//! Source rewrites for three places where regorus 0.14.1 reads Rego differently from OPA,
//! each found by a Gatekeeper library template. The rewrites keep the meaning OPA gives the
//! source and keep every line where it was (messages still point at the right line).
//!
//! 1. A rule with several bodies (`violation[r] { a } { b }`, OPA's incremental definition):
//!    regorus refuses it for set rules ("else cannot be used with set rules"); it becomes one
//!    rule per body, the head repeated (`... } violation[r] { b }`). (noupdateserviceaccount)
//! 2. A ref followed, on the next line, by an expression in parentheses
//!    (`input.parameters.x` newline `(a - b) >= c`): OPA only reads a call when `(` follows
//!    the name with no white space between, regorus reads a call across the line break; a
//!    `;` (OPA's expression separator) is put at the end of the first line.
//!    (horizontalpodautoscaler)
//! 3. `not f(..., a.b, ...)`: OPA's compiler moves a ref argument out of the negated
//!    expression (`__local = a.b; not f(..., __local, ...)`), so an undefined argument makes
//!    the body undefined; regorus calls `f` with an undefined argument and the `not` is true.
//!    Ref arguments of a one-line `not` call are bound first, on the same line.
//!    (pod-security-policy/users; OPA's expansion of negated expressions is described in
//!    open-policy-agent/opa issues 1877 and 4743.) Not rewritten: refs nested in refs
//!    (`not obj[input.k]`, which OPA expands the same way per those issues) and operands of
//!    infix operators (`not input.x == 1`; whether OPA expands these was not checked).

/// Apply the three rewrites.
pub(crate) fn rewrite(src: &str) -> String {
    let s = split_bodies_and_calls(src);
    hoist_not_args(&s)
}

fn is_term_end(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | ')' | ']' | '}' | '"' | '`')
}

/// Rewrites 1 and 2, in one pass that knows strings, raw strings and comments.
fn split_bodies_and_calls(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 64);
    // Open brackets: (char, is_body).
    let mut stack: Vec<(char, bool)> = Vec::new();
    // Last significant char and its position in `out` (just after it).
    let mut last_sig: Option<(char, usize)> = None;
    let mut newline_since_sig = false;
    // Start (in `out`) of the current top-level statement, and its head (text before the
    // first body's brace).
    let mut stmt_start: Option<usize> = None;
    let mut head: Option<String> = None;
    // Whether the last closing brace at top level closed a body.
    let mut closed_body = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
                continue;
            }
            '"' | '`' => {
                let quote = c;
                if stack.is_empty() && newline_since_sig_or_start(last_sig, newline_since_sig) {
                    stmt_start = Some(out.len());
                    head = None;
                }
                out.push(c);
                i += 1;
                while i < chars.len() {
                    let d = chars[i];
                    out.push(d);
                    i += 1;
                    if quote == '"' && d == '\\' && i < chars.len() {
                        out.push(chars[i]);
                        i += 1;
                        continue;
                    }
                    if d == quote {
                        break;
                    }
                }
                last_sig = Some((quote, out.len()));
                newline_since_sig = false;
                closed_body = false;
                continue;
            }
            '\n' => {
                newline_since_sig = true;
                out.push(c);
                i += 1;
                continue;
            }
            c if c.is_whitespace() => {
                out.push(c);
                i += 1;
                continue;
            }
            _ => {}
        }
        // A significant character.
        let top_level = stack.is_empty();
        if top_level && c == '{' && closed_body && last_sig.is_some_and(|(l, _)| l == '}') {
            // Rewrite 1: another body of the same rule.
            if let Some(h) = &head {
                out.push_str(h.trim());
                out.push(' ');
            }
            stack.push(('{', true));
            out.push(c);
            last_sig = Some((c, out.len()));
            newline_since_sig = false;
            closed_body = false;
            i += 1;
            continue;
        }
        if top_level && newline_since_sig_or_start(last_sig, newline_since_sig) {
            stmt_start = Some(out.len());
            head = None;
        }
        match c {
            '(' => {
                // Rewrite 2: `(` on a new line after a complete term, inside a body.
                let in_body = stack.last().is_some_and(|&(b, body)| b == '{' && body);
                if in_body && newline_since_sig {
                    if let Some((l, at)) = last_sig {
                        if is_term_end(l) {
                            out.insert(at, ';');
                        }
                    }
                }
                stack.push(('(', false));
            }
            '[' => stack.push(('[', false)),
            '{' => {
                let body = !last_sig.is_some_and(|(l, _)| {
                    matches!(
                        l,
                        '=' | ':' | ',' | '(' | '[' | '|' | '{' | '+' | '-' | '*' | '&'
                    )
                });
                if stack.is_empty() && body {
                    head = stmt_start.map(|s| out[s..].to_string());
                }
                stack.push(('{', body));
            }
            ')' | ']' => {
                stack.pop();
            }
            '}' => {
                let popped = stack.pop();
                closed_body = stack.is_empty() && popped.is_some_and(|(_, body)| body);
                out.push(c);
                last_sig = Some((c, out.len()));
                newline_since_sig = false;
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        last_sig = Some((c, out.len()));
        newline_since_sig = false;
        if c != '}' {
            closed_body = false;
        }
        i += 1;
    }
    out
}

fn newline_since_sig_or_start(last_sig: Option<(char, usize)>, newline: bool) -> bool {
    last_sig.is_none() || newline
}

/// Rewrite 3 on lines `not name(args)` (nothing else on the line but a comment).
fn hoist_not_args(src: &str) -> String {
    let mut n = 0;
    let mut out = String::with_capacity(src.len());
    for (li, line) in src.split('\n').enumerate() {
        if li > 0 {
            out.push('\n');
        }
        match hoist_line(line, &mut n) {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
    }
    out
}

fn hoist_line(line: &str, n: &mut usize) -> Option<String> {
    let indent_len = line.len() - line.trim_start().len();
    let (indent, rest) = line.split_at(indent_len);
    let rest = rest.strip_prefix("not ")?.trim_start();
    let open = rest.find('(')?;
    let name = &rest[..open];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    // Find the matching `)` and split arguments at top-level commas.
    let body = &rest[open + 1..];
    let mut depth = 0i32;
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut end = None;
    let mut in_str = false;
    let mut esc = false;
    for (k, c) in body.char_indices() {
        if in_str {
            cur.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                cur.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                cur.push(c);
            }
            ')' if depth == 0 => {
                args.push(std::mem::take(&mut cur));
                end = Some(k);
                break;
            }
            ')' | ']' | '}' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    let end = end?;
    let tail = body[end + 1..].trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    let mut binds = String::new();
    let mut new_args = Vec::new();
    for a in &args {
        let t = a.trim();
        if is_plain_ref(t) {
            *n += 1;
            let var = format!("__kubeward_not_arg_{n}");
            binds.push_str(&format!("{var} := {t}; "));
            new_args.push(var);
        } else {
            new_args.push(t.to_string());
        }
    }
    if binds.is_empty() {
        return None;
    }
    Some(format!(
        "{indent}{binds}not {name}({}){}{}",
        new_args.join(", "),
        if tail.is_empty() { "" } else { " " },
        tail
    ))
}

/// `a.b.c`, `a["k"].b`, `a[b]`: a ref with at least one step and no `_` index.
fn is_plain_ref(t: &str) -> bool {
    let Some(first) = t.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if !(t.contains('.') || t.contains('[')) || t.contains("[_]") {
        return false;
    }
    let mut depth = 0;
    for c in t.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '(' | ')' | ' ' | '{' | '}' | ',' | '|' if depth == 0 => return false,
            '(' | ')' | '{' | '}' | '|' => return false,
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_bodies_become_several_rules() {
        let src = "package p\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"x\"\n} {\n  b\n  msg := \"y\"\n}\n";
        let out = rewrite(src);
        assert_eq!(
            out,
            "package p\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"x\"\n} violation[{\"msg\": msg}] {\n  b\n  msg := \"y\"\n}\n"
        );
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn object_values_are_not_bodies() {
        let src = "package p\nx := {\"a\": 1}\ny {\n  true\n}\n";
        assert_eq!(rewrite(src), src);
    }

    #[test]
    fn paren_on_next_line_is_not_a_call() {
        let src = "package p\nf(h) {\n  input.x\n  (h.a - h.b) >= 1\n}\n";
        assert_eq!(
            rewrite(src),
            "package p\nf(h) {\n  input.x;\n  (h.a - h.b) >= 1\n}\n"
        );
        // A call with its arguments on the next lines is left alone.
        let call = "package p\nf(h) {\n  g(\n    (1)\n  )\n}\n";
        assert_eq!(rewrite(call), call);
    }

    #[test]
    fn not_call_ref_arguments_are_bound_first() {
        let src = "  not accept(rule, v, params.ranges) # c";
        assert_eq!(
            rewrite(src),
            "  __kubeward_not_arg_1 := params.ranges; not accept(rule, v, __kubeward_not_arg_1) # c"
        );
        for same in [
            "  not f(x)",
            "  not f(x[_].y)",
            "  not f(g(a.b))",
            "  not x.y",
        ] {
            assert_eq!(rewrite(same), same);
        }
    }
}
