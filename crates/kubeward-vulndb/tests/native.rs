//! Ordering compared with the real tools on random pairs: `dpkg --compare-versions` (package
//! `dpkg`) and rpm's own `rpm.vercmp` through `rpm --eval` (Debian package `rpm`). A test whose tool
//! is missing says so and passes; CI installs both (see README.md).

use kubeward_vulndb::version::Scheme;
use std::cmp::Ordering;
use std::process::Command;

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    std::env::var("KUBEWARD_VERSION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6b75_6265_7761_7264)
}

/// Versions built from pieces that exercise every rule: numbers with leading zeros, letters,
/// `~`, `+`, `.`, epochs, revisions. Pairs often share a prefix so the interesting rules decide.
fn dpkg_version(r: &mut Rng) -> String {
    let pieces = [
        "0", "1", "01", "2", "10", "9", "a", "b", "z", "A", "~", "~~", "+", ".", "rc", "~rc1",
        "+b1", ".0",
    ];
    let mut s = String::new();
    if r.below(5) == 0 {
        s.push_str(r.pick(&["0:", "1:", "2:", "10:"]));
    }
    s.push_str(r.pick(&["0", "1", "2", "10", "1.0", "1.2.3"]));
    for _ in 0..r.below(4) {
        s.push_str(r.pick(&pieces));
    }
    if r.below(2) == 0 {
        s.push('-');
        s.push_str(r.pick(&[
            "0",
            "1",
            "1a",
            "1~b",
            "1+c",
            "2.1",
            "0ubuntu1",
            "1+deb12u1",
            "~",
        ]));
    }
    s
}

fn rpm_version(r: &mut Rng) -> String {
    let pieces = [
        "0", "1", "01", "2", "10", "a", "b", "Z", "~", "^", ".", "_", "+", "rc", "git1", "-", "-1",
        "^1",
    ];
    let mut s = String::new();
    if r.below(5) == 0 {
        s.push_str(r.pick(&["0:", "1:", "01:", ":", "2:"]));
    }
    s.push_str(r.pick(&["0", "1", "2", "1.0", "a", "~", "^", "."]));
    for _ in 0..r.below(5) {
        s.push_str(r.pick(&pieces));
    }
    s
}

fn mutate_pair(r: &mut Rng, make: fn(&mut Rng) -> String) -> (String, String) {
    let a = make(r);
    let b = match r.below(3) {
        0 => make(r),
        1 => format!("{a}{}", make(r).chars().skip(1).collect::<String>()),
        _ => {
            let keep = r.below(a.len() + 1);
            format!("{}{}", &a[..keep], make(r))
        }
    };
    (a, b)
}

fn have(tool: &str, args: &[&str]) -> bool {
    Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn dpkg_agrees_with_dpkg_compare_versions() {
    if !have("dpkg", &["--version"]) {
        eprintln!("SKIPPED: dpkg is not installed (apt-get install dpkg)");
        return;
    }
    let mut r = Rng(seed());
    let mut compared = 0;
    for _ in 0..400 {
        let (a, b) = mutate_pair(&mut r, dpkg_version);
        let run = |op: &str| {
            Command::new("dpkg")
                .args(["--compare-versions", &a, op, &b])
                .output()
                .expect("dpkg runs")
        };
        let lt = run("lt");
        let code = lt.status.code();
        if code != Some(0) && code != Some(1) {
            continue; // dpkg refused a version (a syntax error, not a warning)
        }
        let eq = run("eq");
        let want = if lt.status.success() {
            Ordering::Less
        } else if eq.status.success() {
            Ordering::Equal
        } else {
            Ordering::Greater
        };
        assert_eq!(
            Scheme::Dpkg.compare(&a, &b),
            want,
            "dpkg --compare-versions '{a}' vs '{b}'"
        );
        compared += 1;
    }
    assert!(compared > 300, "only {compared} pairs compared");
    eprintln!("dpkg: {compared} random pairs agree with dpkg --compare-versions");
}

#[test]
fn rpm_agrees_with_rpm_vercmp() {
    if !have(
        "rpm",
        &["--eval", "%{lua: print(rpm.vercmp(\"1\", \"2\"))}"],
    ) {
        eprintln!("SKIPPED: rpm (4.16 or later, with rpm.vercmp in Lua) is not installed (apt-get install rpm)");
        return;
    }
    let mut r = Rng(seed() ^ 0x5eed);
    let pairs: Vec<(String, String)> = (0..2000)
        .map(|_| mutate_pair(&mut r, rpm_version))
        .collect();
    // One rpm process for all pairs: a Lua loop over rpm.vercmp (rpm's rpmverCmp over parseEVR).
    // The alphabet above has no Lua or macro metacharacters, so the strings are quoted as they are.
    let mut lua = String::from("%{lua: local t = {");
    for (a, b) in &pairs {
        lua.push_str(&format!("{{\"{a}\",\"{b}\"}},"));
    }
    lua.push_str("} for _, p in ipairs(t) do print(rpm.vercmp(p[1], p[2]) .. \" \") end}");
    let out = Command::new("rpm")
        .args(["--eval", &lua])
        .output()
        .expect("rpm runs");
    assert!(
        out.status.success(),
        "rpm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let results: Vec<i32> = text
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(results.len(), pairs.len());
    for ((a, b), want) in pairs.iter().zip(results) {
        assert_eq!(
            Scheme::Rpm.compare(a, b),
            want.cmp(&0),
            "rpm.vercmp('{a}', '{b}') = {want}"
        );
    }
    eprintln!("rpm: {} random pairs agree with rpm.vercmp", pairs.len());
}
