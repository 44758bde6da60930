//! Version ordering of every ecosystem (kubeward-vulndb's dpkg, rpm, apk, PEP 440, SemVer and
//! Maven) on arbitrary strings. The input is two versions separated by a NUL byte.
//! Invariants: no panic; each order is total and consistent: `a == a`, `cmp(a, b)` is the
//! reverse of `cmp(b, a)`, and a version prepared once compares as the plain comparison does.
#![no_main]

use std::cmp::Ordering;

use kubeward_fuzz::text_of;
use kubeward_vulndb::Scheme;
use libfuzzer_sys::fuzz_target;

const SCHEMES: [Scheme; 6] = Scheme::ALL;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    for s in SCHEMES {
        assert_eq!(s.compare(a, a), Ordering::Equal, "{s:?}: {a:?} != itself");
        let ab = s.compare(a, b);
        let ba = s.compare(b, a);
        assert_eq!(
            ab,
            ba.reverse(),
            "{s:?}: {a:?} vs {b:?} is not antisymmetric"
        );
        assert_eq!(
            s.prepare(a).cmp_str(b),
            ab,
            "{s:?}: prepared {a:?} vs {b:?} differs from compare"
        );
    }
});
