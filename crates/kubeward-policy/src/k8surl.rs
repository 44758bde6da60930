//! The Kubernetes CEL url library (`k8s.io/apiserver/pkg/cel/library/urls.go`; its test rows
//! are in `k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation_test.go`, "URL
//! parsing"): `url(s)`, `isURL(s)` and the `kubernetes.URL` methods `getScheme()`,
//! `getHost()`, `getHostname()`, `getPort()`, `getEscapedPath()`, `getQuery()`.
//!
//! Written by hand after Go's `net/url` (`parse`, `parseAuthority`, `parseHost`, `unescape`,
//! `escape`, `EscapedPath`, `splitHostPort`, `parseQuery`), because what these functions
//! return is Go's view of the URL: the `url` crate implements the WHATWG URL standard, which
//! removes default ports (`https://h:443/` has no port there, `getPort()` is `'443'` here),
//! resolves `.`/`..` segments, lowercases and IDNA-maps the host, percent-encodes the query,
//! and does not accept `/path` on its own. The port follows Go ≥ 1.24.8/1.25.2 in refusing a
//! bracketed host that is not an IPv6 address. Bytes that decode to invalid UTF-8 (`%ff` in a
//! query) are replaced by U+FFFD, as CEL strings must be UTF-8 (Go keeps the bytes).
//!
//! Errors name what is wrong, never the URL (it may carry a password).

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{Type, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Key, Map, Opaque, Value};
use cel::{Env, ExecutionError};

use crate::k8scel::{
    charge_traversal, declare, declare_type, opaque, opaque_arg, owned, string_arg, Budget,
};

const URL_TYPE_NAME: &str = "kubernetes.URL";

fn url_type() -> Type {
    Type::new_opaque_type(URL_TYPE_NAME)
}

/// A URL as Go's `url.URL` holds it (the parts the library reads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoUrl {
    pub scheme: String,
    pub opaque: String,
    /// Unescaped, as `URL.Host`.
    pub host: Vec<u8>,
    /// Unescaped, as `URL.Path`.
    pub path: Vec<u8>,
    /// The path as written (`URL.RawPath` when it differs from the default encoding).
    pub raw_path: String,
    pub raw_query: String,
    pub fragment: Vec<u8>,
}

impl Opaque for GoUrl {
    fn runtime_type_name(&self) -> &str {
        URL_TYPE_NAME
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

/// RFC 3986 sub-delims.
const SUB_DELIMS: &[u8] = b"!$&'()*+,;=";

/// Go's `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && (SUB_DELIMS.contains(&c) || b":[]<>\"".contains(&c))
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::QueryComponent => return true,
            Mode::Fragment => return false,
            _ => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`.
fn unescape(s: &str, mode: Mode) -> Result<Vec<u8>, &'static str> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !b[i + 1].is_ascii_hexdigit()
                    || !b[i + 2].is_ascii_hexdigit()
                {
                    return Err("invalid URL escape");
                }
                let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                let pct25 = &b[i..i + 3] == b"%25";
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && !pct25 {
                    return Err("invalid URL escape in host");
                }
                if mode == Mode::Zone && !pct25 && v != b' ' && should_escape(v, Mode::Host) {
                    return Err("invalid URL escape in zone");
                }
                out.push(v);
                i += 3;
            }
            b'+' => {
                out.push(if mode == Mode::QueryComponent {
                    b' '
                } else {
                    b'+'
                });
                i += 1;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err("invalid character in host name");
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Go's `escape` for a path.
fn escape_path(s: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &c in s {
        if should_escape(c, Mode::Path) {
            out.push('%');
            out.push(HEX[(c >> 4) as usize] as char);
            out.push(HEX[(c & 15) as usize] as char);
        } else {
            out.push(c as char);
        }
    }
    out
}

/// Go's `validEncoded` for a path.
fn valid_encoded_path(s: &str) -> bool {
    s.bytes()
        .all(|c| SUB_DELIMS.contains(&c) || b":@[]%".contains(&c) || !should_escape(c, Mode::Path))
}

/// Go's `validOptionalPort`: empty, or `:` and digits.
fn valid_optional_port(p: &str) -> bool {
    p.is_empty()
        || p.strip_prefix(':')
            .is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit()))
}

/// Go's `getScheme`: the scheme (empty when there is none) and the rest.
fn get_scheme(raw: &str) -> Result<(&str, &str), &'static str> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok(("", raw)),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err("missing protocol scheme"),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `parseHost`.
fn parse_host(host: &str) -> Result<Vec<u8>, &'static str> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host");
        };
        if !valid_optional_port(&host[i + 1..]) {
            return Err("invalid port after host");
        }
        let zone = host[..i].find("%25");
        let literal = &host[1..zone.unwrap_or(i)];
        // Go ≥ 1.24.8/1.25.2: only an IPv6 address may be enclosed in brackets.
        let unescaped = unescape(literal, Mode::Host)?;
        let ok = std::str::from_utf8(&unescaped)
            .ok()
            .and_then(|s| s.parse::<std::net::Ipv6Addr>().ok())
            .is_some();
        if !ok {
            return Err("invalid IP-literal in host");
        }
        if let Some(z) = zone {
            let mut out = unescape(&host[..z], Mode::Host)?;
            out.extend(unescape(&host[z..i], Mode::Zone)?);
            out.extend(unescape(&host[i..], Mode::Host)?);
            return Ok(out);
        }
    } else if let Some(i) = host.rfind(':') {
        if !valid_optional_port(&host[i..]) {
            return Err("invalid port after host");
        }
    }
    unescape(host, Mode::Host)
}

/// Go's `validUserinfo`.
fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

/// Go's `parseAuthority` (the user information is checked, not kept).
fn parse_authority(authority: &str) -> Result<Vec<u8>, &'static str> {
    let at = authority.rfind('@');
    let host = parse_host(&authority[at.map_or(0, |i| i + 1)..])?;
    if let Some(i) = at {
        let userinfo = &authority[..i];
        if !valid_userinfo(userinfo) {
            return Err("net/url: invalid userinfo");
        }
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        unescape(user, Mode::UserPassword)?;
        unescape(password, Mode::UserPassword)?;
    }
    Ok(host)
}

/// Go's `parse(rawURL, viaRequest)`.
fn parse(raw: &str, via_request: bool) -> Result<GoUrl, &'static str> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL");
    }
    if raw.is_empty() && via_request {
        return Err("empty url");
    }
    let mut u = GoUrl::default();
    if raw == "*" {
        u.path = b"*".to_vec();
        return Ok(u);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    u.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.bytes().filter(|&c| c == b'?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        u.raw_query = q.to_string();
    }
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            u.opaque = rest.to_string();
            return Ok(u);
        }
        if via_request {
            return Err("invalid URI for request");
        }
        if rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
            return Err("first path segment in URL cannot contain colon");
        }
    }
    if (!u.scheme.is_empty() || !via_request && !rest.starts_with("///")) && rest.starts_with("//")
    {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        u.host = parse_authority(authority)?;
        rest = path;
    }
    u.path = unescape(rest, Mode::Path)?;
    u.raw_path = rest.to_string();
    Ok(u)
}

/// `url.ParseRequestURI`: an absolute URI or an absolute path.
pub fn parse_request_uri(s: &str) -> Result<GoUrl, &'static str> {
    parse(s, true)
}

/// What `url(s)` keeps: `ParseRequestURI` must accept `s`, and the URL is then `url.Parse`d
/// (which, unlike `ParseRequestURI`, takes the fragment off the path or query).
pub fn parse_url(s: &str) -> Result<GoUrl, &'static str> {
    parse_request_uri(s)?;
    let (u, frag) = s.split_once('#').unwrap_or((s, ""));
    let mut url = parse(u, false)?;
    url.fragment = unescape(frag, Mode::Fragment)?;
    Ok(url)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl GoUrl {
    /// `URL.Hostname()` and `URL.Port()` (`splitHostPort`).
    pub fn host_port(&self) -> (String, String) {
        let host = lossy(&self.host);
        let (mut h, port) = match host.rfind(':') {
            Some(c) if valid_optional_port(&host[c..]) => {
                (host[..c].to_string(), host[c + 1..].to_string())
            }
            _ => (host.clone(), String::new()),
        };
        if h.starts_with('[') && h.ends_with(']') && h.len() >= 2 {
            h = h[1..h.len() - 1].to_string();
        }
        (h, port)
    }

    /// `URL.EscapedPath()`.
    pub fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty() && valid_encoded_path(&self.raw_path) {
            return self.raw_path.clone();
        }
        if self.path == b"*" {
            return "*".into();
        }
        escape_path(&self.path)
    }

    /// `URL.Query()` (`parseQuery`): pairs separated by `&`, a pair with `;` or a bad escape
    /// skipped, `+` read as a space.
    pub fn query(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for pair in self.raw_query.split('&') {
            if pair.is_empty() || pair.contains(';') {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (Ok(k), Ok(v)) = (
                unescape(k, Mode::QueryComponent),
                unescape(v, Mode::QueryComponent),
            ) else {
                continue;
            };
            let (k, v) = (lossy(&k), lossy(&v));
            match out.iter_mut().find(|(key, _)| *key == k) {
                Some((_, vs)) => vs.push(v),
                None => out.push((k, vec![v])),
            }
        }
        out
    }
}

fn string<'b, 'v>(s: String) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::String(Arc::new(s)))
}

/// `url(s)`: `url('/path')`, `url('https://example.com:80/')`; `url('https://a:b:c/')` and
/// `url('../relative-path')` are errors (urls.go).
fn to_url<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = string_arg(&args, 0, "url")?;
    charge_traversal(s.len())?;
    match parse_url(&s) {
        Ok(u) => opaque(u),
        Err(m) => Err(ExecutionError::function_error(
            "url",
            format!("URL parse error during conversion from string: {m}"),
        )),
    }
}

/// `isURL(s)`: `isURL('/path') == true`, `isURL('https://a:b:c/') == false`.
fn is_url<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = string_arg(&args, 0, "isURL")?;
    charge_traversal(s.len())?;
    owned(Value::Bool(parse_request_uri(&s).is_ok()))
}

fn url0(args: &[CowVal<'_, '_>], f: &str) -> Result<GoUrl, ExecutionError> {
    Budget::charge(1)?;
    opaque_arg::<GoUrl>(args, 0, f, URL_TYPE_NAME)
}

/// `u.getScheme()`: `url('/path').getScheme() == ''`.
fn get_scheme_fn<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    string(url0(&args, "getScheme")?.scheme)
}

/// `u.getHost()`: `url('https://[::1]:80/').getHost() == '[::1]:80'`.
fn get_host<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    string(lossy(&url0(&args, "getHost")?.host))
}

/// `u.getHostname()`: `url('https://[::1]/').getHostname() == '::1'`.
fn get_hostname<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    string(url0(&args, "getHostname")?.host_port().0)
}

/// `u.getPort()`: `url('https://example.com:80/').getPort() == '80'`.
fn get_port<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    string(url0(&args, "getPort")?.host_port().1)
}

/// `u.getEscapedPath()`: `url('https://example.com/with space/').getEscapedPath() ==
/// '/with%20space/'`.
fn get_escaped_path<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    string(url0(&args, "getEscapedPath")?.escaped_path())
}

/// `u.getQuery()`: `url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1':
/// ['a'], 'k2': ['b', 'c']}`.
fn get_query<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let u = url0(&args, "getQuery")?;
    Budget::charge(u.raw_query.len() as u64 / 10)?;
    let map: HashMap<Key, Value> = u
        .query()
        .into_iter()
        .map(|(k, vs)| {
            (
                Key::String(Arc::new(k)),
                Value::List(Arc::new(
                    vs.into_iter().map(|v| Value::String(Arc::new(v))).collect(),
                )),
            )
        })
        .collect();
    owned(Value::Map(Map { map: Arc::new(map) }))
}

/// Register the library.
pub(crate) fn register(env: &mut Env, failed: &mut Vec<String>) {
    declare_type(env, failed, URL_TYPE_NAME);
    declare(
        env,
        failed,
        "url",
        "string_to_url",
        None,
        vec![STRING_TYPE],
        to_url,
    );
    declare(
        env,
        failed,
        "isURL",
        "is_url_string",
        None,
        vec![STRING_TYPE],
        is_url,
    );
    type F = cel::common::functions::Function;
    let members: [(&str, &str, F); 6] = [
        ("getScheme", "url_get_scheme", get_scheme_fn),
        ("getHost", "url_get_host", get_host),
        ("getHostname", "url_get_hostname", get_hostname),
        ("getPort", "url_get_port", get_port),
        ("getEscapedPath", "url_get_escaped_path", get_escaped_path),
        ("getQuery", "url_get_query", get_query),
    ];
    for (name, id, f) in members {
        declare(env, failed, name, id, Some(url_type()), vec![], f);
    }
}
