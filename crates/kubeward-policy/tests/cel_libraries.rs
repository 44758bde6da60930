//! The Kubernetes CEL libraries ported in `src/k8snet.rs`, `src/k8ssemver.rs`,
//! `src/k8surl.rs`, `src/k8sformat.rs` and `src/authz.rs`, checked against the rows of their
//! upstream test tables (kubernetes/kubernetes, `staging/src/k8s.io/apiserver/pkg/cel/
//! library/`), each group citing the file and commit it was read at. Where an upstream row
//! expects a value of a library type (`net.IP{192.168.0.1}`), the value is compared here
//! through its Rust type or its string form.

use std::net::IpAddr;

use cel::objects::Value;
use cel::Context;
use kubeward_policy::k8scel::{self, Budget};
use kubeward_policy::k8snet::{Cidr, Ip};
use kubeward_policy::k8ssemver::Semver;

fn eval(src: &str) -> Result<Value, String> {
    let env = k8scel::env();
    let p = env.compile(src).map_err(|e| format!("compile: {e}"))?;
    let ctx = Context::with_env(env);
    Budget::run(k8scel::COST_LIMIT, k8scel::TIME_LIMIT, || {
        p.execute(&ctx).map_err(|e| format!("{e}"))
    })
}

fn check_rows(rows: &[(&str, Value)]) {
    for (expr, want) in rows {
        assert_eq!(eval(expr).as_ref(), Ok(want), "{expr}");
    }
}

fn check_errors(rows: &[(&str, &str)]) {
    for (expr, want) in rows {
        match eval(expr) {
            Err(e) => assert!(e.contains(want), "{expr}: {e:?} should contain {want:?}"),
            Ok(v) => panic!("{expr}: expected an error containing {want:?}, got {v:?}"),
        }
    }
}

fn t(s: &str) -> (&str, Value) {
    (s, Value::Bool(true))
}

fn f(s: &str) -> (&str, Value) {
    (s, Value::Bool(false))
}

fn opaque<T: 'static + Clone>(v: Value) -> T {
    match v {
        Value::Opaque(o) => o.downcast_ref::<T>().cloned().expect("library type"),
        other => panic!("not a library value: {other:?}"),
    }
}

/// ip_test.go at kubernetes/kubernetes 95f08499d652a6211121d8af35f470609217c730 (TestIP).
#[test]
fn ip_rows() {
    let ip = |s: &str| opaque::<Ip>(eval(s).expect(s)).0;
    assert_eq!(
        ip(r#"ip("192.168.0.1")"#),
        "192.168.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        ip(r#"ip("2001:db8::68")"#),
        "2001:db8::68".parse::<IpAddr>().unwrap()
    );
    check_rows(&[
        t(r#"isIP("192.168.0.1")"#),
        f(r#"isIP("192.168.0.1.0")"#),
        t(r#"ip.isCanonical("127.0.0.1")"#),
        (r#"ip("192.168.0.1").family()"#, Value::Int(4)),
        t(r#"ip("0.0.0.0").isUnspecified()"#),
        f(r#"ip("127.0.0.1").isUnspecified()"#),
        t(r#"ip("127.0.0.1").isLoopback()"#),
        f(r#"ip("1.2.3.4").isLoopback()"#),
        t(r#"ip("224.0.0.1").isLinkLocalMulticast()"#),
        f(r#"ip("224.0.1.1").isLinkLocalMulticast()"#),
        t(r#"ip("169.254.169.254").isLinkLocalUnicast()"#),
        f(r#"ip("192.168.0.1").isLinkLocalUnicast()"#),
        t(r#"ip("192.168.0.1").isGlobalUnicast()"#),
        f(r#"ip("255.255.255.255").isGlobalUnicast()"#),
        t(r#"isIP("2001:db8::68")"#),
        f(r#"isIP("2001:db8:::68")"#),
        t(r#"ip.isCanonical("2001:db8::68")"#),
        f(r#"ip.isCanonical("2001:DB8::68")"#),
        (r#"ip("2001:db8::68").family()"#, Value::Int(6)),
        t(r#"ip("::").isUnspecified()"#),
        f(r#"ip("::1").isUnspecified()"#),
        t(r#"ip("::1").isLoopback()"#),
        f(r#"ip("2001:db8::abcd").isLoopback()"#),
        t(r#"ip("ff02::1").isLinkLocalMulticast()"#),
        f(r#"ip("fd00::1").isLinkLocalMulticast()"#),
        t(r#"ip("fe80::1").isLinkLocalUnicast()"#),
        f(r#"ip("fd80::1").isLinkLocalUnicast()"#),
        t(r#"ip("2001:db8::abcd").isGlobalUnicast()"#),
        f(r#"ip("ff00::1").isGlobalUnicast()"#),
        (
            r#"string(ip("192.168.0.1"))"#,
            Value::String("192.168.0.1".to_string().into()),
        ),
        t(r#"type(ip("192.168.0.1")) == net.IP"#),
        // ip.go's documented examples
        f(r#"ip.isCanonical("2001:db8::0:0:0:abcd")"#),
        f(r#"isIP("127.0.0.256")"#),
        f(r#"isIP(":::1")"#),
        // rejected by the library after netip parses them (ip.go parseIPAddr)
        f(r#"isIP("::ffff:1.2.3.4")"#),
        f(r#"isIP("fe80::1%eth0")"#),
        // netip refuses IPv4 octets with leading zeros
        f(r#"isIP("01.2.3.4")"#),
        f(r#"isIP("::01.2.3.4")"#),
        // RFC 5952, as Go's Addr.String() writes it
        t(r#"ip.isCanonical("::102:304")"#),
        t(r#"ip.isCanonical("2001:db8:0:1::1")"#),
        f(r#"ip.isCanonical("2001:db8::1:0:0:1:1")"#),
        t(r#"ip("192.168.0.1") == ip("192.168.0.1")"#),
        f(r#"ip("192.168.0.1") == ip("192.168.0.2")"#),
    ]);
    check_errors(&[
        (r#"ip("192.168.0.1.0")"#, "IP Address parse error"),
        (r#"ip.isCanonical("127.0.0.1.0")"#, "IP Address parse error"),
        (r#"ip("2001:db8:::68")"#, "IP Address parse error"),
        (
            r#"ip.isCanonical("2001:db8:::68")"#,
            "IP Address parse error",
        ),
        // a compile error upstream (no overload for net.CIDR); here at evaluation
        (r#"isIP(cidr("192.168.0.0/24"))"#, "isIP"),
    ]);
}

/// cidr_test.go at kubernetes/kubernetes 0f835890a1dd7478d3efa65011a258c2c591efb5
/// (TestCIDR), plus the rows kubernetes/kubernetes#130450 added for `containsCIDR`.
#[test]
fn cidr_rows() {
    let cidr = |s: &str| opaque::<Cidr>(eval(s).expect(s)).to_string();
    assert_eq!(cidr(r#"cidr(dyn("192.168.0.0/24"))"#), "192.168.0.0/24");
    assert_eq!(cidr(r#"cidr("2001:db8::/32")"#), "2001:db8::/32");
    assert_eq!(cidr(r#"cidr("192.168.0.0/24").masked()"#), "192.168.0.0/24");
    assert_eq!(cidr(r#"cidr("192.168.0.1/24").masked()"#), "192.168.0.0/24");
    assert_eq!(cidr(r#"cidr("2001:db8::/32").masked()"#), "2001:db8::/32");
    assert_eq!(cidr(r#"cidr("2001:db8:1::/32").masked()"#), "2001:db8::/32");
    let ip = |s: &str| opaque::<Ip>(eval(s).expect(s)).0.to_string();
    assert_eq!(ip(r#"cidr("192.168.0.0/24").ip()"#), "192.168.0.0");
    assert_eq!(ip(r#"cidr("2001:db8::/32").ip()"#), "2001:db8::");
    assert_eq!(ip(r#"cidr("192.168.0.1/24").ip()"#), "192.168.0.1");
    check_rows(&[
        t(r#"cidr("192.168.0.0/24").containsIP(ip("192.168.0.1"))"#),
        f(r#"cidr("192.168.0.0/24").containsIP(ip("192.168.1.1"))"#),
        t(r#"cidr("192.168.0.0/24").containsIP("192.168.0.1")"#),
        f(r#"cidr("192.168.0.0/24").containsIP("192.168.1.1")"#),
        t(r#"cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))"#),
        f(r#"cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))"#),
        t(r#"cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")"#),
        f(r#"cidr("192.168.0.0/24").containsCIDR("192.168.0.0/23")"#),
        (r#"cidr("192.168.0.0/24").prefixLength()"#, Value::Int(24)),
        t(r#"cidr("2001:db8::/32").containsIP(ip("2001:db8::1"))"#),
        f(r#"cidr("2001:db8::/32").containsIP(ip("2001:dc8::1"))"#),
        t(r#"cidr("2001:db8::/32").containsIP("2001:db8::1")"#),
        f(r#"cidr("2001:db8::/32").containsIP("2001:dc8::1")"#),
        t(r#"cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/33"))"#),
        f(r#"cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/31"))"#),
        t(r#"cidr("2001:db8::/32").containsCIDR("2001:db8::/33")"#),
        f(r#"cidr("2001:db8::/32").containsCIDR("2001:db8::/31")"#),
        (r#"cidr("2001:db8::/32").prefixLength()"#, Value::Int(32)),
        (
            r#"string(cidr("192.168.0.0/24"))"#,
            Value::String("192.168.0.0/24".to_string().into()),
        ),
        t(r#"type(cidr("192.168.0.0/24")) == net.CIDR"#),
        // cidr.go's documented examples
        t(r#"cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()"#),
        f(r#"cidr('192.168.0.1/24') == cidr('192.168.0.1/24').masked()"#),
        (r#"cidr('::1/128').ip().family()"#, Value::Int(6)),
        t(r#"isCIDR('192.168.0.0/16')"#),
        t(r#"isCIDR('::1/128')"#),
        f(r#"isCIDR('192.168.0.0/33')"#),
        f(r#"isCIDR('::1/129')"#),
        // kubernetes/kubernetes#130450: subnets with other addresses are contained
        t(r#"cidr('192.168.0.0/16').containsCIDR('192.168.0.1/32')"#),
        t(r#"cidr('10.0.0.0/8').containsCIDR(cidr('10.1.0.0/16'))"#),
        f(r#"cidr('10.0.0.0/8').containsCIDR(cidr('11.0.0.0/16'))"#),
        // netip.ParsePrefix: no sign, no leading zero, no zone; families never mix
        f(r#"isCIDR('10.0.0.0/08')"#),
        f(r#"isCIDR('10.0.0.0/+8')"#),
        f(r#"isCIDR('fe80::/10%eth0')"#),
        f(r#"isCIDR('::ffff:1.2.3.4/120')"#),
        t(r#"isCIDR('0.0.0.0/0')"#),
        t(r#"cidr('0.0.0.0/0').containsIP('255.255.255.255')"#),
        f(r#"cidr('0.0.0.0/0').containsIP('::1')"#),
        f(r#"cidr('::/0').containsCIDR('10.0.0.0/8')"#),
    ]);
    check_errors(&[
        (r#"cidr("192.168.0.0/")"#, "bad bits after slash"),
        (r#"cidr("2001:db8::/")"#, "bad bits after slash"),
        // a compile error upstream (no overload for int); here at evaluation
        ("cidr(192168)", "cidr"),
    ]);
}

/// semver_test.go at kubernetes/kubernetes 2293553202fa21e3918086dc66cb4154ac7caac9
/// (TestSemver; every row with the normalize overloads, library version 1).
#[test]
fn semver_rows() {
    let v = opaque::<Semver>(eval(r#"semver("1.2.3")"#).unwrap()).0;
    assert_eq!(v, semver::Version::new(1, 2, 3));
    check_rows(&[
        t(r#"isSemver("1.2.3-beta.1+build.1")"#),
        f(r#"isSemver("")"#),
        f(r#"isSemver("v1.0.0")"#),
        f(r#"isSemver(" 1.0.0")"#),
        f(r#"isSemver("1. 0.0")"#),
        f(r#"isSemver("1.0.0 ")"#),
        f(r#"isSemver("01.01.01")"#),
        f(r#"isSemver("1")"#),
        f(r#"isSemver("1.1")"#),
        f(r#"isSemver("", true)"#),
        f(r#"isSemver(" 1.0.0", true)"#),
        f(r#"isSemver("1. 0.0", true)"#),
        f(r#"isSemver("1.0.0 ", true)"#),
        t(r#"isSemver("v1.0.0", true)"#),
        t(r#"isSemver("01.01.01", true)"#),
        t(r#"isSemver("1", true)"#),
        t(r#"isSemver("1.1", true)"#),
        t(r#"semver("v01.01", true) == semver("1.1.0")"#),
        t(r#"semver("1.2.3") == semver("1.2.3")"#),
        f(r#"semver("1.2.3") == semver("1.0.0")"#),
        t(r#"semver("1.0.0").isLessThan(semver("1.2.3"))"#),
        f(r#"semver("1.0.0").isLessThan(semver("1.0.0"))"#),
        t(r#"semver("1.2.3").isGreaterThan(semver("1.0.0"))"#),
        f(r#"semver("1.0.0").isGreaterThan(semver("1.0.0"))"#),
        (
            r#"semver("1.2.3").compareTo(semver("1.2.3"))"#,
            Value::Int(0),
        ),
        (
            r#"semver("1.0.0").compareTo(semver("1.2.3"))"#,
            Value::Int(-1),
        ),
        (
            r#"semver("1.2.3").compareTo(semver("1.0.0"))"#,
            Value::Int(1),
        ),
        (r#"semver("1.2.3").major()"#, Value::Int(1)),
        (r#"semver("1.2.3").minor()"#, Value::Int(2)),
        (r#"semver("1.2.3").patch()"#, Value::Int(3)),
        // semverlib.go's documented examples and semver.org precedence (build ignored)
        t(r#"semver('1.0', true) == semver('1.0.0')"#),
        t(r#"semver('01.01.01', true) == semver('1.1.1')"#),
        f(r#"isSemver('1.0-alpha', true)"#),
        t(r#"semver('1.0.0-alpha').isLessThan(semver('1.0.0'))"#),
        t(r#"semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))"#),
        t(r#"semver('1.0.0+a') == semver('1.0.0+b')"#),
        // blang/semver refuses these too: empty or leading-zero identifiers
        f(r#"isSemver('1.2.3-')"#),
        f(r#"isSemver('1.2.3+')"#),
        f(r#"isSemver('1.2.3-01')"#),
        t(r#"isSemver('1.2.3+01')"#),
        f(r#"isSemver('1.2.3-a..b')"#),
        f(r#"isSemver('1.2.3-a_b')"#),
        // the Semver methods do not take quantities, nor the quantity ones semvers
        t(r#"quantity('1k').isLessThan(quantity('2k'))"#),
    ]);
    check_errors(&[
        (r#"semver("v1.0")"#, "No Major.Minor.Patch elements found"),
        ("semver('200K')", "No Major.Minor.Patch elements found"),
        ("semver('1.0.0').isLessThan(quantity('1'))", "isLessThan"),
        // a compile error upstream (no overload for a list); here at evaluation
        ("isSemver([1, 2, 3])", "isSemver"),
    ]);
}

/// The "URL parsing" rows of `k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/
/// validation_test.go` (TestValidationExpressions) at kubernetes/kubernetes
/// f9cfc9d93491c42c0ee6b3705d4c46f7e173f356, with `self.url` bound to the object's
/// "https://user:pass@kubernetes.io:80/docs/home?k1=a&k2=b&k2=c#anchor", and the examples
/// of urls.go's documentation.
#[test]
fn url_rows() {
    let rows: Vec<String> = [
        "url('/path').getScheme() == ''",
        "url('https://example.com/').getScheme() == 'https'",
        "url('https://example.com:80/').getHost() == 'example.com:80'",
        "url('https://example.com/').getHost() == 'example.com'",
        "url('https://[::1]:80/').getHost() == '[::1]:80'",
        "url('https://[::1]/').getHost() == '[::1]'",
        "url('/path').getHost() == ''",
        "url('https://example.com:80/').getHostname() == 'example.com'",
        "url('https://127.0.0.1/').getHostname() == '127.0.0.1'",
        "url('https://[::1]/').getHostname() == '::1'",
        "url('/path').getHostname() == ''",
        "url('https://example.com:80/').getPort() == '80'",
        "url('https://example.com/').getPort() == ''",
        "url('/path').getPort() == ''",
        "url('https://example.com/path').getEscapedPath() == '/path'",
        "url('https://example.com/with space/').getEscapedPath() == '/with%20space/'",
        "url('https://example.com').getEscapedPath() == ''",
        "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == { 'k1': ['a'], 'k2': ['b', 'c']}",
        "url('https://example.com/path?key with spaces=value with spaces').getQuery() == { 'key with spaces': ['value with spaces']}",
        "url('https://example.com/path?').getQuery() == {}",
        "url('https://example.com/path').getQuery() == {}",
        "url(self.url).getScheme() == 'https'",
        "url(self.url).getHost() == 'kubernetes.io:80'",
        "url(self.url).getHostname() == 'kubernetes.io'",
        "url(self.url).getPort() == '80'",
        "url(self.url).getEscapedPath() == '/docs/home'",
        "url(self.url).getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
        "isURL('https://user:pass@example.com:80/path?query=val#fragment')",
        "isURL('/path') == true",
        "isURL('https://a:b:c/') == false",
        "isURL('../relative-path') == false",
        // the cost test's expression: an opaque URL (no authority) parses in Go
        "url('https:://kubernetes.io/').getHostname() != 'test'",
        // urls.go's documentation
        "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
        "url('https://127.0.0.1:80/').getHostname() == '127.0.0.1'",
        "url('https://[::1]:80/').getHostname() == '::1'",
        "isURL('/absolute-path')",
        // Go's net/url where the WHATWG parser of the url crate differs: the default port
        // stays, dot segments and the host's case are kept, the fragment is not the path's
        "url('https://example.com:443/').getPort() == '443'",
        "url('https://Example.COM/a/../b').getHost() == 'Example.COM'",
        "url('https://example.com/a/../b').getEscapedPath() == '/a/../b'",
        "url('HTTPS://example.com/').getScheme() == 'https'",
        "url('https://example.com/p#frag').getEscapedPath() == '/p'",
        "url('https://example.com/p?q=1#frag').getQuery() == {'q': ['1']}",
        "url('https://example.com/a%2Fb').getEscapedPath() == '/a%2Fb'",
        "url('https://example.com/?a=1;b=2&c=%zz&d=x+y').getQuery() == {'d': ['x y']}",
        "url('https://example.com:/').getPort() == ''",
        "url('https://example.com:/').getHost() == 'example.com:'",
        "url('mailto:someone@example.com').getHost() == ''",
        "isURL('*')",
        "!isURL('')",
        "!isURL('relative/path')",
        "!isURL('https://exa mple.com/')",
        "!isURL('https://[1.2.3.4]/')",
        "!isURL('https://example.com/%zz')",
        "!isURL('https://us er@example.com/')",
        "!isURL(':foo')",
    ]
    .iter()
    .map(|r| {
        r.replace(
            "self.url",
            "'https://user:pass@kubernetes.io:80/docs/home?k1=a&k2=b&k2=c#anchor'",
        )
    })
    .collect();
    let rows: Vec<(&str, Value)> = rows.iter().map(|r| t(r)).collect();
    check_rows(&rows);
    check_errors(&[
        (
            "url('https://a:b:c/')",
            "URL parse error during conversion from string",
        ),
        ("url('../relative-path')", "invalid URI for request"),
    ]);
    // errors never quote the URL: it may carry a password
    let e = eval("url('https://user:s3cret@host:x/')").unwrap_err();
    assert!(!e.contains("s3cret"), "{e}");
}

/// format_test.go at kubernetes/kubernetes 03bd70195975eb8f500a99f601f9c8ac85be93d7
/// (TestFormat): each row's expected `optional.none()` is checked as `!….hasValue()`, each
/// expected `optional.of([...])` as `….value() == [...]`; then the lookup and comparison
/// rows the test generates for every pair of named formats.
#[test]
fn format_rows() {
    let none = [
        r#"format.dns1123Label().validate("my-label-name")"#,
        r#"format.dns1123Subdomain().validate("apiextensions.k8s.io")"#,
        r#"format.qualifiedName().validate("apiextensions.k8s.io/v1beta1")"#,
        r#"format.dns1123LabelPrefix().validate("my-label-prefix-")"#,
        r#"format.dns1123SubdomainPrefix().validate("mysubdomain.prefix.-")"#,
        r#"format.dns1035LabelPrefix().validate("my-label-prefix-")"#,
        r#"format.uri().validate("http://example.com")"#,
        r#"format.uuid().validate("123e4567-e89b-12d3-a456-426614174000")"#,
        r#"format.byte().validate("aGVsbG8=")"#,
        r#"format.date().validate("2021-01-01")"#,
        r#"format.datetime().validate("2021-01-01T00:00:00Z")"#,
        r#"format.dns1123Subdomain().validate("example.com")"#,
        r#"format.dns1035Label().validate("my-label-name")"#,
        r#"format.qualifiedName().validate("my.name")"#,
        r#"format.date().validate("2020-01-01")"#,
        r#"format.datetime().validate("2020-01-01T00:00:00Z")"#,
        r#"format.labelValue().validate("my-cool-label-Value")"#,
    ];
    let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    let subdomain = r"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    let dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    let qualified = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    let label_value = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    let some = [
        (
            r#"format.dns1123Label().validate("contains a space")"#,
            label,
        ),
        (
            r#"format.dns1123Subdomain().validate("contains a space")"#,
            subdomain,
        ),
        (
            r#"format.dns1035Label().validate("contains a space")"#,
            dns1035,
        ),
        (
            r#"format.qualifiedName().validate("contains a space")"#,
            qualified,
        ),
        (
            r#"format.dns1123LabelPrefix().validate("contains a space-")"#,
            label,
        ),
        (
            r#"format.dns1123SubdomainPrefix().validate("contains a space-")"#,
            subdomain,
        ),
        (
            r#"format.dns1035LabelPrefix().validate("contains a space-")"#,
            dns1035,
        ),
        (r#"format.byte().validate("aGVsbG8")"#, "invalid base64"),
        (r#"format.date().validate("2020-01-32")"#, "invalid date"),
        (
            r#"format.datetime().validate("2020-01-32T00:00:00Z")"#,
            "invalid datetime",
        ),
        (
            r#"format.labelValue().validate("my-cool-label-Value!!\n\n!!!")"#,
            label_value,
        ),
    ];
    let mut rows: Vec<String> = none.iter().map(|e| format!("!{e}.hasValue()")).collect();
    rows.extend(
        some.iter()
            .map(|(e, m)| format!("{e}.value() == [r\"{m}\"]")),
    );
    rows.push(r#"format.named("unknown").hasValue() == false"#.into());
    let names = kubeward_policy::k8sformat::NAMES;
    for l in names {
        rows.push(format!(r#"format.named("{l}").hasValue()"#));
        rows.push(format!(r#"format.named("{l}").value() == format.{l}()"#));
        for r in names.iter().filter(|r| **r != l) {
            rows.push(format!("!(format.{l}() == format.{r}())"));
        }
    }
    // apimachinery's other messages, and strfmt's forms
    rows.extend(
        [
            r#"format.dns1123Label().validate("a.b").value() == ["must not contain dots"]"#,
            r#"format.qualifiedName().validate("/a").value() == ["prefix part must be non-empty"]"#,
            r#"size(format.qualifiedName().validate("a/b/c").value()) == 1"#,
            r#"!format.labelValue().validate("").hasValue()"#,
            r#"!format.uuid().validate("123E4567E89B12D3A456426614174000").hasValue()"#,
            r#"format.uri().validate("relative").hasValue()"#,
            r#"format.date().validate("2021-02-29").hasValue()"#,
            r#"!format.date().validate("2020-02-29").hasValue()"#,
            r#"format.date().validate("2021-1-01").hasValue()"#,
            r#"!format.datetime().validate("2021-01-01t23:59:59.5+01:00").hasValue()"#,
            r#"format.datetime().validate("2021-01-01T24:00:00Z").hasValue()"#,
            r#"format.datetime().validate("2021-01-01T00:00:00").hasValue()"#,
            r#"format.byte().validate("").hasValue()"#,
        ]
        .map(String::from),
    );
    rows.push(format!(
        r#"format.dns1123Label().validate("{}").value() == ["must be no more than 63 characters"]"#,
        "a".repeat(64)
    ));
    let rows: Vec<(&str, Value)> = rows.iter().map(|r| t(r)).collect();
    check_rows(&rows);
}

/// Hostile inputs: every string-taking function of the ported libraries on odd strings
/// (delimiters next to multi-byte characters, truncated escapes, huge numbers, empty parts)
/// answers a value or an error, never a panic.
#[test]
fn hostile_strings_never_panic() {
    let strings = [
        "",
        "%",
        "%e",
        "%é",
        "[",
        "]",
        "[]",
        "[é]",
        "é-",
        "-",
        "/",
        "//",
        "///",
        "?",
        "#",
        "*",
        ":",
        "::",
        ":::",
        "a:b:c",
        "http://[::1%25é]/",
        "http://[::1%25]:80/",
        "http://@/",
        "http://u:p@[",
        "http://h:99999999999999999999999/",
        "x:%zz",
        "/%C3%28?%ff=%fe",
        "1.2.3.4/",
        "1.2.3.4/-1",
        "::/129",
        "::ffff:0:0/96",
        "0/0",
        "1.2.3.4/4294967296",
        "v",
        "v.",
        "..",
        "1..2",
        "1.2.3-",
        "1.2.3+",
        "99999999999999999999.0.0",
        "0.0.0-00",
        "01-a",
        "é.é.é",
        "a/b/c",
        "/a",
        "a/",
        "2020-02-30",
        "2020-13-01T00:00:00Z",
        "0000-00-00",
        "t",
        "Tt",
        "2020-01-01T",
        "2020-01-01t99:99:99z",
        "é\u{0}",
    ];
    let mut exprs = Vec::new();
    for s in strings {
        let q = format!("{s:?}");
        for f in [
            "url",
            "isURL",
            "ip",
            "isIP",
            "ip.isCanonical",
            "cidr",
            "isCIDR",
            "semver",
            "isSemver",
            "format.named",
        ] {
            exprs.push(format!("{f}({q})"));
        }
        exprs.push(format!("semver({q}, true)"));
        exprs.push(format!("url({q}).getQuery()"));
        exprs.push(format!(
            "url({q}).getHostname() + url({q}).getPort() + url({q}).getEscapedPath()"
        ));
        exprs.push(format!("cidr('10.0.0.0/8').containsIP({q})"));
        exprs.push(format!("cidr('::/0').containsCIDR({q})"));
        for name in kubeward_policy::k8sformat::NAMES {
            exprs.push(format!("format.{name}().validate({q})"));
        }
    }
    for e in &exprs {
        let _ = eval(e);
    }
}

/// Library calls are charged to the budget by the length of their argument: 2,000 parses of
/// a 5,000-character string (about 500 units each) exceed 1,000,000.
#[test]
fn library_calls_are_charged_to_the_budget() {
    // One 5,000-character string, each function called on it 2,000 times: charged by length
    // (500 units a call), the calls pass the 1,000,000-unit budget. The string is written
    // once, so that parsing the expression stays cheap and the cost limit, not the clock,
    // stops the evaluation even on a slow, loaded debug build.
    let long = format!("/{}", "a".repeat(5000));
    let times = (0..2000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    for f in ["isURL", "isIP", "isCIDR", "isSemver"] {
        let e = eval(&format!(
            "[{long:?}].all(s, size([{times}].map(i, {f}(s))) > 0)"
        ))
        .expect_err(f);
        assert!(e.contains("cost limit exceeded"), "{f}: {e}");
    }
    let e = eval(&format!(
        "[{long:?}].all(s, [{times}].all(i, !format.uri().validate(s).hasValue()))"
    ))
    .unwrap_err();
    assert!(e.contains("cost limit exceeded"), "{e}");
    // short strings stay well within it
    assert_eq!(eval("['/a', '/b'].all(s, isURL(s))"), Ok(Value::Bool(true)));
}
