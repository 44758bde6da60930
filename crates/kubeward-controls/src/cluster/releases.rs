//! The Kubernetes releases and their end of life, offline: kubeward never asks the network.
//!
//! Written 2026-11-23 from the Kubernetes release pages (kubernetes.io/releases and
//! kubernetes.io/releases/patch-releases, "End of Life" per minor release; endoflife.date
//! agrees). Each minor release gets patches for about 14 months. Releases newer than the last
//! entry are not judged: a release the table does not know is newer than every one it does,
//! so it is not past its end of life yet. Update the table when a release ships.

/// The date this table was written (`YYYY-MM-DD`).
pub const WRITTEN: &str = "2026-11-23";

/// One minor release of Kubernetes (`v1.<minor>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    pub minor: u16,
    pub released: &'static str,
    /// The last day it gets patches.
    pub end_of_life: &'static str,
}

const fn r(minor: u16, released: &'static str, end_of_life: &'static str) -> Release {
    Release {
        minor,
        released,
        end_of_life,
    }
}

/// Oldest first.
#[rustfmt::skip]
pub const RELEASES: &[Release] = &[
    r(19, "2020-08-26", "2021-10-28"),
    r(20, "2020-12-08", "2022-02-28"),
    r(21, "2021-04-08", "2022-06-28"),
    r(22, "2021-08-04", "2022-10-28"),
    r(23, "2021-12-07", "2023-02-28"),
    r(24, "2022-05-03", "2023-07-28"),
    r(25, "2022-08-23", "2023-10-27"),
    r(26, "2022-12-09", "2024-02-28"),
    r(27, "2023-04-11", "2024-06-28"),
    r(28, "2023-08-15", "2024-10-28"),
    r(29, "2023-12-13", "2025-02-28"),
    r(30, "2024-04-17", "2025-06-28"),
    r(31, "2024-08-13", "2025-10-28"),
    r(32, "2024-12-11", "2026-02-28"),
    r(33, "2025-04-23", "2026-06-28"),
    r(34, "2025-08-27", "2026-10-27"),
    r(35, "2025-12-17", "2027-02-28"),
];

/// What the table says about `v1.<minor>` on `date` (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Supported(&'static Release),
    EndOfLife(&'static Release),
    /// Older than every release in the table: long out of support.
    OlderThanTable,
    /// Newer than every release in the table: not judged.
    NewerThanTable,
}

pub fn support(minor: u16, date: &str) -> Support {
    let (Some(first), Some(last)) = (RELEASES.first(), RELEASES.last()) else {
        return Support::NewerThanTable;
    };
    if minor < first.minor {
        return Support::OlderThanTable;
    }
    if minor > last.minor {
        return Support::NewerThanTable;
    }
    match RELEASES.iter().find(|r| r.minor == minor) {
        // ISO dates compare as strings.
        Some(r) if r.end_of_life < date => Support::EndOfLife(r),
        Some(r) => Support::Supported(r),
        None => Support::NewerThanTable,
    }
}

/// The releases still patched on `date`, oldest first.
pub fn supported_on(date: &str) -> impl Iterator<Item = &'static Release> + '_ {
    RELEASES.iter().filter(move |r| r.end_of_life >= date)
}

/// The major and minor of a server version string: `v1.20.15`, `v1.27.3-eks-a5565ad`,
/// `v1.28.2+k3s1`, `1.29`; `None` when it is not one.
pub fn parse_version(s: &str) -> Option<(u16, u16)> {
    let s = s.trim().strip_prefix('v').unwrap_or(s.trim());
    let mut parts = s.splitn(3, '.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_ordered_and_dated() {
        for pair in RELEASES.windows(2) {
            assert_eq!(pair[0].minor + 1, pair[1].minor);
            assert!(pair[0].released < pair[1].released);
            assert!(pair[0].end_of_life < pair[1].end_of_life);
        }
        for r in RELEASES {
            assert!(r.released < r.end_of_life && r.released <= WRITTEN);
        }
    }

    #[test]
    fn support_on_a_date() {
        assert!(
            matches!(support(20, "2026-11-23"), Support::EndOfLife(r) if r.end_of_life == "2022-02-28")
        );
        assert!(matches!(support(35, "2026-11-23"), Support::Supported(_)));
        assert!(
            matches!(support(34, "2026-10-27"), Support::Supported(_)),
            "the last day is still supported"
        );
        assert!(matches!(support(34, "2026-10-28"), Support::EndOfLife(_)));
        assert_eq!(support(16, "2019-01-01"), Support::OlderThanTable);
        assert_eq!(support(40, "2020-01-01"), Support::NewerThanTable);
        let minors: Vec<u16> = supported_on("2026-11-23").map(|r| r.minor).collect();
        assert_eq!(minors, [35]);
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("v1.20.15"), Some((1, 20)));
        assert_eq!(parse_version("v1.27.3-eks-a5565ad"), Some((1, 27)));
        assert_eq!(parse_version("v1.28.2+k3s1"), Some((1, 28)));
        assert_eq!(parse_version("1.29"), Some((1, 29)));
        assert_eq!(parse_version("20+"), None);
        assert_eq!(parse_version("v1"), None);
        assert_eq!(parse_version(""), None);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = parse_version(&s);
        }
    }
}
