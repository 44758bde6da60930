//! Ordering compared with the real tools on random pairs: `dpkg --compare-versions` (package
//! `dpkg`), rpm's own `rpm.vercmp` through `rpm --eval` (package `rpm`), npm's `semver` module
//! (with node, or Debian's `node-semver`) and Python's `packaging` (package `python3-packaging`). A test whose tool is
//! missing says so and passes; see README.md for what CI installs.

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

/// Run `tool args`, the pairs as JSON on its standard input; its standard output.
fn run_with_pairs(tool: &str, args: &[&str], pairs: &[(String, String)]) -> String {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool} runs: {e}"));
    let input = serde_json::to_string(pairs).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{tool} failed");
    String::from_utf8(out.stdout).unwrap()
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

// No Maven comparison here: Debian's `maven` is 3.8.7, whose `ComparableVersion` differs from
// Maven 3.9's (which generated OSV's Maven fixtures) on 19 of the 14,854 fixture pairs (3.9 reads
// `.X` as `-X` for a qualifier X); tests/versions.rs checks every fixture pair instead.

fn semver_version(r: &mut Rng) -> String {
    let mut s = format!(
        "{}.{}.{}",
        r.pick(&["0", "1", "2", "10"]),
        r.pick(&["0", "1", "9", "10"]),
        r.pick(&["0", "1", "2", "11"])
    );
    if r.below(2) == 0 {
        s.push('-');
        let ids = [
            "alpha", "beta", "rc", "0", "1", "2", "11", "a1", "x-y", "1a",
        ];
        s.push_str(r.pick(&ids));
        for _ in 0..r.below(3) {
            s.push('.');
            s.push_str(r.pick(&ids));
        }
    }
    if r.below(4) == 0 {
        s.push_str(r.pick(&["+build", "+1", "+b.2"]));
    }
    s
}

/// npm's own `semver` package (node-semver's `compare`), as npm ships it.
#[test]
fn semver_agrees_with_node_semver() {
    // npm's own copy (the machine image's global npm), or Debian's node-semver.
    let module = [
        "/usr/lib/node_modules/npm/node_modules/semver",
        "/usr/local/lib/node_modules/npm/node_modules/semver",
        "/usr/share/nodejs/semver",
    ]
    .into_iter()
    .find(|m| std::path::Path::new(m).exists());
    let (Some(module), true) = (module, have("node", &["--version"])) else {
        eprintln!("SKIPPED: node and a node-semver module are not installed (npm, or apt-get install node-semver)");
        return;
    };
    let mut r = Rng(seed() ^ 0x736d);
    let pairs: Vec<(String, String)> = (0..2000)
        .map(|_| (semver_version(&mut r), semver_version(&mut r)))
        .collect();
    let script = format!(
        "const s = require({module:?}); const p = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(p.map(([a, b]) => s.compare(a, b)).join(' '))"
    );
    let out = run_with_pairs("node", &["-e", &script], &pairs);
    let results: Vec<i32> = out.split_whitespace().map(|s| s.parse().unwrap()).collect();
    assert_eq!(results.len(), pairs.len());
    for ((a, b), want) in pairs.iter().zip(results) {
        assert_eq!(
            Scheme::SemVer.compare(a, b),
            want.cmp(&0),
            "semver.compare('{a}', '{b}') = {want}"
        );
    }
    eprintln!(
        "semver: {} random pairs agree with node-semver",
        pairs.len()
    );
}

fn pep440_version(r: &mut Rng) -> String {
    let mut s = String::new();
    if r.below(8) == 0 {
        s.push_str(r.pick(&["1!", "0!", "2!"]));
    }
    s.push_str(r.pick(&["0", "1", "1.0", "1.0.0", "2.1", "10", "1.01"]));
    for _ in 0..r.below(4) {
        s.push_str(r.pick(&[
            "a", "b", "rc", "c", "alpha", "beta", "pre", ".post", "-", "_", ".", "post", "rev",
            "r", ".dev", "dev", "0", "1", "2", "+local", "+1.a", "+abc.5", "-1", "RC",
        ]));
    }
    s
}

/// Python's own `packaging.version` (Debian's `python3-packaging`), on the versions it accepts.
#[test]
fn pep440_agrees_with_python_packaging() {
    // A python3 on PATH may be a virtualenv or pyenv one without `packaging`: try Debian's too.
    let Some(python) = ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| have(p, &["-c", "import packaging.version"]))
    else {
        eprintln!(
            "SKIPPED: Python's packaging is not installed (apt-get install python3-packaging)"
        );
        return;
    };
    let mut r = Rng(seed() ^ 0x7079);
    let pairs: Vec<(String, String)> = (0..3000)
        .map(|_| mutate_pair(&mut r, pep440_version))
        .collect();
    let script = "import json, sys\nfrom packaging.version import Version, InvalidVersion\nout = []\nfor a, b in json.load(sys.stdin):\n    try:\n        x, y = Version(a), Version(b)\n        out.append(str((x > y) - (x < y)))\n    except InvalidVersion:\n        out.append('skip')\nprint(' '.join(out))";
    let text = run_with_pairs(python, &["-c", script], &pairs);
    let results: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(results.len(), pairs.len());
    let mut compared = 0;
    for ((a, b), want) in pairs.iter().zip(results) {
        if want == "skip" {
            // Not PEP 440: packaging >= 22 refuses it; ours orders it as a LegacyVersion.
            assert!(
                !kubeward_vulndb::version::pep440::is_valid(a)
                    || !kubeward_vulndb::version::pep440::is_valid(b),
                "packaging refused '{a}' or '{b}', we accept both"
            );
            continue;
        }
        let want: i32 = want.parse().unwrap();
        assert!(
            kubeward_vulndb::version::pep440::is_valid(a)
                && kubeward_vulndb::version::pep440::is_valid(b),
            "packaging accepts '{a}' and '{b}', we do not"
        );
        assert_eq!(
            Scheme::Pep440.compare(a, b),
            want.cmp(&0),
            "packaging: '{a}' vs '{b}' = {want}"
        );
        compared += 1;
    }
    assert!(compared > 500, "only {compared} valid pairs");
    eprintln!(
        "pep440: {compared} random valid pairs agree with packaging (the rest are legacy versions)"
    );
}
