//! The Kubernetes CEL `ip` and `cidr` libraries (`k8s.io/apiserver/pkg/cel/library/ip.go`
//! and `cidr.go`, tested by `ip_test.go` and `cidr_test.go`): `ip(s)`, `isIP(s)`,
//! `ip.isCanonical(s)`, the `net.IP` methods `family()`, `isUnspecified()`, `isLoopback()`,
//! `isLinkLocalMulticast()`, `isLinkLocalUnicast()`, `isGlobalUnicast()`; `cidr(s)`,
//! `isCIDR(s)`, the `net.CIDR` methods `containsIP(ip|s)`, `containsCIDR(cidr|s)`, `ip()`,
//! `masked()`, `prefixLength()`; and `string(ip|cidr)`.
//!
//! Addresses are parsed by `std::net` (as Go's `netip.ParseAddr` does for the inputs that
//! matter: IPv4 octets with leading zeros are refused by both; Go parses a zone (`%eth0`) and
//! an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) and the library then refuses them, `std`
//! refuses the zone itself and the mapped form is refused here). The canonical form is
//! `std`'s `Display`, which follows RFC 5952 as Go's `Addr.String()` does. Prefix lengths
//! are read as `netip.ParsePrefix` reads them (digits only, no sign, no leading zero): a
//! split at the last `/` and a digit check, too small for a crate. The address of a CIDR
//! keeps its host bits (`cidr('192.168.0.1/24').ip()` is `192.168.0.1`), as in Go.
//! `containsCIDR` masks both sides, as fixed upstream by kubernetes/kubernetes#130450.
//!
//! Error messages never quote the value (it may come from an object).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use cel::common::types::{Type, STRING_TYPE};
use cel::common::value::CowVal;
use cel::objects::{Opaque, Value};
use cel::{Env, ExecutionError};

use crate::k8scel::{
    charge_traversal, declare, declare_type, opaque, opaque_arg, owned, string_arg, value, Budget,
};

const IP_TYPE_NAME: &str = "net.IP";
const CIDR_TYPE_NAME: &str = "net.CIDR";

fn ip_type() -> Type {
    Type::new_opaque_type(IP_TYPE_NAME)
}

fn cidr_type() -> Type {
    Type::new_opaque_type(CIDR_TYPE_NAME)
}

/// A `net.IP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ip(pub IpAddr);

impl Opaque for Ip {
    fn runtime_type_name(&self) -> &str {
        IP_TYPE_NAME
    }
}

/// A `net.CIDR`: an address (host bits kept) and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub bits: u8,
}

impl Opaque for Cidr {
    fn runtime_type_name(&self) -> &str {
        CIDR_TYPE_NAME
    }
}

fn err(f: &str, m: impl ToString) -> ExecutionError {
    ExecutionError::function_error(f, m)
}

/// `parseIPAddr` (ip.go): an IPv4 or IPv6 address, without a zone, not IPv4-mapped.
pub fn parse_ip(s: &str) -> Result<IpAddr, &'static str> {
    let addr = IpAddr::from_str(s).map_err(|_| {
        if s.contains('%') {
            "IP address with zone value is not allowed"
        } else {
            "IP Address parse error during conversion from string: not an IPv4 or IPv6 address"
        }
    })?;
    if let IpAddr::V6(v6) = addr {
        if v6.to_ipv4_mapped().is_some() {
            return Err("IPv4-mapped IPv6 address is not allowed");
        }
    }
    Ok(addr)
}

/// `parseCIDR` (cidr.go) over `netip.ParsePrefix`.
pub fn parse_cidr(s: &str) -> Result<Cidr, &'static str> {
    let Some((addr, bits)) = s.rsplit_once('/') else {
        return Err("network address parse error during conversion from string: no '/'");
    };
    let addr = IpAddr::from_str(addr).map_err(|_| {
        if addr.contains('%') {
            "network address parse error during conversion from string: IPv6 zones cannot be present in a prefix"
        } else {
            "network address parse error during conversion from string: not an IPv4 or IPv6 address"
        }
    })?;
    let digits = !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit());
    if !digits || (bits.len() > 1 && bits.starts_with('0')) || bits.len() > 3 {
        return Err(
            "network address parse error during conversion from string: bad bits after slash",
        );
    }
    let n: u16 = bits.parse().map_err(|_| {
        "network address parse error during conversion from string: bad bits after slash"
    })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if n > max {
        return Err(
            "network address parse error during conversion from string: prefix length out of range",
        );
    }
    if let IpAddr::V6(v6) = addr {
        if v6.to_ipv4_mapped().is_some() {
            return Err("IPv4-mapped IPv6 address is not allowed");
        }
    }
    Ok(Cidr {
        addr,
        bits: n as u8,
    })
}

fn bits_of(a: IpAddr) -> (u128, u32) {
    match a {
        IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn from_bits(v: u128, width: u32) -> IpAddr {
    if width == 32 {
        IpAddr::V4(Ipv4Addr::from(v as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(v))
    }
}

/// The network mask of a prefix length, in an address `width` bits wide.
fn mask(width: u32, bits: u8) -> u128 {
    let bits = u32::from(bits).min(width);
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    if bits == 0 {
        0
    } else {
        (u128::MAX << (width - bits)) & all
    }
}

impl Cidr {
    /// `Prefix.Masked()`: the host bits cleared.
    pub fn masked(self) -> Cidr {
        let (v, w) = bits_of(self.addr);
        Cidr {
            addr: from_bits(v & mask(w, self.bits), w),
            bits: self.bits,
        }
    }

    /// `Prefix.Contains(ip)`: same family, and equal on the prefix bits.
    pub fn contains(self, ip: IpAddr) -> bool {
        let (a, wa) = bits_of(self.addr);
        let (b, wb) = bits_of(ip);
        wa == wb && (a ^ b) & mask(wa, self.bits) == 0
    }

    /// `containsCIDR` (with kubernetes/kubernetes#130450): `other` lies within.
    pub fn contains_cidr(self, other: Cidr) -> bool {
        let m = self.masked();
        let o = Cidr {
            addr: other.addr,
            bits: self.bits,
        }
        .masked();
        let same_family = self.addr.is_ipv4() == other.addr.is_ipv4();
        same_family && m == o && self.bits <= other.bits
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.bits)
    }
}

/// Go's `netip.Addr.IsGlobalUnicast` (which `ip.go` calls).
fn is_global_unicast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => {
            !v4.is_unspecified()
                && !v4.is_broadcast()
                && !is_loopback(a)
                && !v4.is_multicast()
                && !is_link_local_unicast(a)
        }
        IpAddr::V6(v6) => {
            !v6.is_unspecified()
                && !v6.is_loopback()
                && !v6.is_multicast()
                && !is_link_local_unicast(a)
        }
    }
}

fn is_loopback(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.octets()[0] == 127,
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// `IsLinkLocalUnicast`: 169.254.0.0/16, fe80::/10.
fn is_link_local_unicast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.octets()[0] == 169 && v4.octets()[1] == 254,
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// `IsLinkLocalMulticast`: 224.0.0.0/24; IPv6 `ff02::/16` with any flags
/// (`v6u16(0) & 0xff0f == 0xff02`, as netip tests it).
fn is_link_local_multicast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            o[0] == 224 && o[1] == 0 && o[2] == 0
        }
        IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
    }
}

fn str0(args: &[CowVal<'_, '_>], f: &str) -> Result<std::sync::Arc<String>, ExecutionError> {
    let s = string_arg(args, 0, f)?;
    charge_traversal(s.len())?;
    Ok(s)
}

/// `ip(s)`: `ip("192.168.0.1")`; `ip("192.168.0.1.0")` is an error (ip_test.go).
fn ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = str0(&args, "ip")?;
    opaque(Ip(parse_ip(&s).map_err(|m| err("ip", m))?))
}

/// `isIP(s)`: `isIP("2001:db8::68") == true`, `isIP("2001:db8:::68") == false`.
fn is_ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = str0(&args, "isIP")?;
    owned(Value::Bool(parse_ip(&s).is_ok()))
}

/// `ip.isCanonical(s)`: `ip.isCanonical("2001:DB8::68") == false`; an invalid address is an
/// error.
fn is_canonical<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = string_arg(&args, 0, "ip.isCanonical")?;
    Budget::charge(1 + 2 * s.len() as u64 / 10)?;
    let a = parse_ip(&s).map_err(|m| err("ip.isCanonical", m))?;
    owned(Value::Bool(a.to_string() == *s))
}

fn ip_method(
    args: &[CowVal<'_, '_>],
    f: &str,
    test: fn(IpAddr) -> bool,
) -> Result<Value, ExecutionError> {
    let Ip(a) = opaque_arg::<Ip>(args, 0, f, IP_TYPE_NAME)?;
    Budget::charge(1)?;
    Ok(Value::Bool(test(a)))
}

fn family<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let Ip(a) = opaque_arg::<Ip>(&args, 0, "family", IP_TYPE_NAME)?;
    Budget::charge(1)?;
    owned(Value::Int(if a.is_ipv4() { 4 } else { 6 }))
}

fn is_unspecified<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(ip_method(&args, "isUnspecified", |a| a.is_unspecified())?)
}

fn is_loopback_fn<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(ip_method(&args, "isLoopback", is_loopback)?)
}

fn is_link_local_multicast_fn<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(ip_method(
        &args,
        "isLinkLocalMulticast",
        is_link_local_multicast,
    )?)
}

fn is_link_local_unicast_fn<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(ip_method(
        &args,
        "isLinkLocalUnicast",
        is_link_local_unicast,
    )?)
}

fn is_global_unicast_fn<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(ip_method(&args, "isGlobalUnicast", is_global_unicast)?)
}

fn ip_to_string<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let Ip(a) = opaque_arg::<Ip>(&args, 0, "string", IP_TYPE_NAME)?;
    owned(Value::String(std::sync::Arc::new(a.to_string())))
}

/// `cidr(s)`: `cidr("192.168.0.0/24")`; `cidr("192.168.0.0/")` is an error (cidr_test.go).
fn cidr<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = str0(&args, "cidr")?;
    opaque(parse_cidr(&s).map_err(|m| err("cidr", m))?)
}

/// `isCIDR(s)`: `isCIDR("::1/129") == false`.
fn is_cidr<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let s = str0(&args, "isCIDR")?;
    owned(Value::Bool(parse_cidr(&s).is_ok()))
}

fn cidr0(args: &[CowVal<'_, '_>], f: &str) -> Result<Cidr, ExecutionError> {
    let c = opaque_arg::<Cidr>(args, 0, f, CIDR_TYPE_NAME)?;
    Budget::charge(1)?;
    Ok(c)
}

/// `c.containsIP(ip|s)`: `cidr("192.168.0.0/24").containsIP("192.168.0.1") == true`.
fn contains_ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let c = cidr0(&args, "containsIP")?;
    let ip = match args.get(1).map(value).transpose()? {
        Some(Value::String(s)) => {
            charge_traversal(s.len())?;
            parse_ip(&s).map_err(|m| err("containsIP", m))?
        }
        _ => opaque_arg::<Ip>(&args, 1, "containsIP", IP_TYPE_NAME)?.0,
    };
    owned(Value::Bool(c.contains(ip)))
}

/// `c.containsCIDR(cidr|s)`: `cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25") == true`.
fn contains_cidr<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let c = cidr0(&args, "containsCIDR")?;
    let other = match args.get(1).map(value).transpose()? {
        Some(Value::String(s)) => {
            charge_traversal(s.len())?;
            parse_cidr(&s).map_err(|m| err("containsCIDR", m))?
        }
        _ => opaque_arg::<Cidr>(&args, 1, "containsCIDR", CIDR_TYPE_NAME)?,
    };
    owned(Value::Bool(c.contains_cidr(other)))
}

/// `c.ip()`: `cidr("192.168.0.0/24").ip() == ip("192.168.0.0")`.
fn cidr_ip<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    opaque(Ip(cidr0(&args, "ip")?.addr))
}

/// `c.masked()`: `cidr("192.168.0.1/24").masked() == cidr("192.168.0.0/24")`.
fn masked<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    opaque(cidr0(&args, "masked")?.masked())
}

/// `c.prefixLength()`: `cidr("192.168.0.0/24").prefixLength() == 24`.
fn prefix_length<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    owned(Value::Int(i64::from(cidr0(&args, "prefixLength")?.bits)))
}

fn cidr_to_string<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let c = opaque_arg::<Cidr>(&args, 0, "string", CIDR_TYPE_NAME)?;
    owned(Value::String(std::sync::Arc::new(c.to_string())))
}

/// Register the libraries.
pub(crate) fn register(env: &mut Env, failed: &mut Vec<String>) {
    declare_type(env, failed, IP_TYPE_NAME);
    declare_type(env, failed, CIDR_TYPE_NAME);
    let s = || vec![STRING_TYPE];
    declare(env, failed, "ip", "string_to_ip", None, s(), ip);
    declare(env, failed, "isIP", "is_ip", None, s(), is_ip);
    declare(
        env,
        failed,
        "ip.isCanonical",
        "ip_is_canonical",
        None,
        s(),
        is_canonical,
    );
    declare(
        env,
        failed,
        "string",
        "ip_to_string",
        None,
        vec![ip_type()],
        ip_to_string,
    );
    type F = cel::common::functions::Function;
    let ip_members: [(&str, &str, F); 6] = [
        ("family", "ip_family", family),
        ("isUnspecified", "ip_is_unspecified", is_unspecified),
        ("isLoopback", "ip_is_loopback", is_loopback_fn),
        (
            "isLinkLocalMulticast",
            "ip_is_link_local_multicast",
            is_link_local_multicast_fn,
        ),
        (
            "isLinkLocalUnicast",
            "ip_is_link_local_unicast",
            is_link_local_unicast_fn,
        ),
        (
            "isGlobalUnicast",
            "ip_is_global_unicast",
            is_global_unicast_fn,
        ),
    ];
    for (name, id, f) in ip_members {
        declare(env, failed, name, id, Some(ip_type()), vec![], f);
    }
    declare(env, failed, "cidr", "string_to_cidr", None, s(), cidr);
    declare(env, failed, "isCIDR", "is_cidr", None, s(), is_cidr);
    declare(
        env,
        failed,
        "string",
        "cidr_to_string",
        None,
        vec![cidr_type()],
        cidr_to_string,
    );
    let c = || Some(cidr_type());
    declare(
        env,
        failed,
        "containsIP",
        "cidr_contains_ip_string",
        c(),
        s(),
        contains_ip,
    );
    declare(
        env,
        failed,
        "containsIP",
        "cidr_contains_ip_ip",
        c(),
        vec![ip_type()],
        contains_ip,
    );
    declare(
        env,
        failed,
        "containsCIDR",
        "cidr_contains_cidr_string",
        c(),
        s(),
        contains_cidr,
    );
    declare(
        env,
        failed,
        "containsCIDR",
        "cidr_contains_cidr",
        c(),
        vec![cidr_type()],
        contains_cidr,
    );
    declare(env, failed, "ip", "cidr_ip", c(), vec![], cidr_ip);
    declare(env, failed, "masked", "cidr_masked", c(), vec![], masked);
    declare(
        env,
        failed,
        "prefixLength",
        "cidr_prefix_length",
        c(),
        vec![],
        prefix_length,
    );
}
