//! Property tests of every version scheme: no panic on any input, and the order is a total order
//! (reflexive, antisymmetric, transitive) on random versions built from each scheme's alphabet.

use kubeward_vulndb::version::Scheme;
use proptest::prelude::*;
use std::cmp::Ordering;

const SCHEMES: [Scheme; 6] = Scheme::ALL;

/// Short versions from a small alphabet, so that random triples share prefixes and hit the rules.
fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,2}([.][0-9]{1,2}){0,3}",
        "[0-9.]{1,3}[a-c~^_+:rp-]{0,2}[0-9]{0,2}([.-][0-9a-z]{1,3}){0,2}",
        "(v|[0-9]!)?[0-9]{1,2}[.][0-9](a|b|rc|post|dev|-r|_p|_rc|-alpha|-SNAPSHOT|~|\\^|\\+)[0-9]?",
        "[0-9]{1,2}[.][0-9]{1,2}[.][0-9]{1,2}(-[0-9a-z]{1,3}([.][0-9a-z]{1,3})?)?(\\+[a-z0-9]{1,3})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_string(a in any::<String>(), b in any::<String>()) {
        for s in SCHEMES {
            let _ = s.compare(&a, &b);
        }
    }

    #[test]
    fn prepared_compares_like_compare(a in version(), b in version(), upper in any::<bool>()) {
        let a = if upper { a.to_uppercase() } else { a };
        for s in SCHEMES {
            prop_assert_eq!(s.prepare(&a).cmp_str(&b), s.compare(&a, &b), "{:?} {} {}", s, a, b);
        }
    }

    #[test]
    fn total_order(a in version(), b in version(), c in version()) {
        for s in SCHEMES {
            prop_assert_eq!(s.compare(&a, &a), Ordering::Equal, "{:?} reflexive {}", s, a);
            let ab = s.compare(&a, &b);
            prop_assert_eq!(ab, s.compare(&b, &a).reverse(), "{:?} antisymmetric {} {}", s, a, b);
            if matches!(s, Scheme::Apk)
                && ![&a, &b, &c].iter().all(|v| kubeward_vulndb::version::apk::is_well_formed(v))
            {
                // apk itself is not transitive on malformed versions (see is_well_formed).
                continue;
            }
            let bc = s.compare(&b, &c);
            let ac = s.compare(&a, &c);
            if ab != Ordering::Greater && bc != Ordering::Greater {
                let want = if ab == Ordering::Less || bc == Ordering::Less { Ordering::Less } else { Ordering::Equal };
                prop_assert_eq!(ac, want, "{:?} transitive {} {} {}", s, a, b, c);
            }
            if ab != Ordering::Less && bc != Ordering::Less {
                let want = if ab == Ordering::Greater || bc == Ordering::Greater { Ordering::Greater } else { Ordering::Equal };
                prop_assert_eq!(ac, want, "{:?} transitive {} {} {}", s, a, b, c);
            }
        }
    }
}
