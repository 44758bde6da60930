//! Sets of integers as sorted, disjoint, non-adjacent inclusive ranges: ports (u16) and IP
//! addresses (u32 for IPv4, u128 for IPv6) use the same code.
//!
//! A canonical form (ranges sorted, disjoint and never touching) makes equality structural, so
//! `==` on two sets is set equality; every operation below returns canonical sets.

/// The integer types a [`Ranges`] can hold.
pub trait Bound: Copy + Ord + std::fmt::Debug {
    /// The smallest and largest values of the domain.
    const MIN: Self;
    const MAX: Self;
    /// `self + 1`, or `None` at [`Bound::MAX`].
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at [`Bound::MIN`].
    fn pred(self) -> Option<Self>;
}

macro_rules! bound {
    ($t:ty) => {
        impl Bound for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
bound!(u16);
bound!(u32);
bound!(u128);

/// A set of integers of type `T`, canonical (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ranges<T: Bound>(Vec<(T, T)>);

impl<T: Bound> Default for Ranges<T> {
    fn default() -> Self {
        Ranges(Vec::new())
    }
}

impl<T: Bound> Ranges<T> {
    /// The empty set.
    pub fn empty() -> Self {
        Ranges(Vec::new())
    }

    /// `lo..=hi` (empty when `lo > hi`).
    pub fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            Ranges(Vec::new())
        } else {
            Ranges(vec![(lo, hi)])
        }
    }

    /// The whole domain of `T`.
    pub fn full() -> Self {
        Ranges(vec![(T::MIN, T::MAX)])
    }

    /// Whether the set holds nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ranges, sorted, disjoint and non-adjacent.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.0
    }

    /// Whether `v` is in the set (binary search).
    pub fn contains(&self, v: T) -> bool {
        let i = self.0.partition_point(|&(_, hi)| hi < v);
        self.0.get(i).is_some_and(|&(lo, _)| lo <= v)
    }

    /// Builds the canonical set of any ranges (sorted here, merged when they overlap or touch).
    pub fn from_ranges(mut v: Vec<(T, T)>) -> Self {
        v.retain(|(lo, hi)| lo <= hi);
        v.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match out.last_mut() {
                // Overlapping or adjacent: `lo <= last.hi + 1`.
                Some(last) if last.1.succ().is_none_or(|n| lo <= n) => {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                }
                _ => out.push((lo, hi)),
            }
        }
        Ranges(out)
    }

    /// `self ∪ other` (a linear merge).
    pub fn union(&self, other: &Self) -> Self {
        let mut v = Vec::with_capacity(self.0.len() + other.0.len());
        v.extend_from_slice(&self.0);
        v.extend_from_slice(&other.0);
        Self::from_ranges(v)
    }

    /// `self ∩ other` (a linear sweep over both sorted lists).
    pub fn intersect(&self, other: &Self) -> Self {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (a.get(i), b.get(j)) {
            let lo = alo.max(blo);
            let hi = ahi.min(bhi);
            if lo <= hi {
                out.push((lo, hi));
            }
            if ahi < bhi {
                i += 1;
            } else {
                j += 1;
            }
        }
        // Pieces of two canonical sets never touch each other: already canonical.
        Ranges(out)
    }

    /// The complement within the domain of `T`.
    pub fn complement(&self) -> Self {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut next = Some(T::MIN);
        for &(lo, hi) in &self.0 {
            if let Some(n) = next {
                if n < lo {
                    if let Some(p) = lo.pred() {
                        out.push((n, p));
                    }
                }
            }
            next = hi.succ();
        }
        if let Some(n) = next {
            out.push((n, T::MAX));
        }
        Ranges(out)
    }

    /// `self \ other`.
    pub fn subtract(&self, other: &Self) -> Self {
        self.intersect(&other.complement())
    }

    /// Whether every element of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.subtract(other).is_empty()
    }

    /// Whether the set is the whole domain.
    pub fn is_full(&self) -> bool {
        self.0 == [(T::MIN, T::MAX)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_merge_of_touching_ranges() {
        let r = Ranges::from_ranges(vec![(5u16, 9), (1, 3), (4, 4), (20, 30), (25, 26)]);
        assert_eq!(r.ranges(), &[(1, 9), (20, 30)]);
        assert!(r.contains(9) && !r.contains(10) && r.contains(20));
    }

    #[test]
    fn complement_at_the_domain_edges() {
        let r = Ranges::from_ranges(vec![(0u16, 0), (u16::MAX, u16::MAX)]);
        assert_eq!(r.complement().ranges(), &[(1, u16::MAX - 1)]);
        assert!(Ranges::<u16>::full().complement().is_empty());
        assert!(Ranges::<u16>::empty().complement().is_full());
    }

    #[test]
    fn subtract_and_subset() {
        let a = Ranges::range(10u32, 20);
        let b = Ranges::range(12u32, 13);
        assert_eq!(a.subtract(&b).ranges(), &[(10, 11), (14, 20)]);
        assert!(b.is_subset(&a) && !a.is_subset(&b));
    }
}
