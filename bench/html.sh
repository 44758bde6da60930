#!/bin/bash
# The HTML report against the JSON report on the generated 100,000 objects: the same scan
# written as JSON and as HTML, runs interleaved (A B A B ...) so that the VM's drift hits both
# alike, wall time and peak RSS of each from /usr/bin/time, the medians and their ratio, and
# the two files' sizes; then the page in headless Chromium (tests/html_report.rs,
# first_view_benchmark): time to the first view and the browser's memory.
#   cargo build --release -p kubeward && bench/html.sh [RUNS]
set -euo pipefail
B=${B:-./target/release/kubeward}
IN=${IN:-/tmp/objects-100k.yaml}
OUT=${OUT:-/tmp/kubeward-html-bench}
RUNS=${1:-3}
mkdir -p "$OUT"
[ -f "$IN" ] || python3 bench/generate.py 100000 > "$IN"
measure() { # format
  { /usr/bin/time -f "$1 %e %M" "$B" scan --no-config "$IN" --format "$1" --output "$OUT/report.$1" 2>&1 >/dev/null || true; } | tail -1
}
out=$(for i in $(seq "$RUNS"); do
  measure json
  measure html
done)
echo "$out"
echo "$out" | OUT="$OUT" python3 -c '
import os, sys, statistics as st
rows = [l.split() for l in sys.stdin if l.strip()]
m = {}
for label, s, kb in rows:
    m.setdefault(label, []).append((float(s), int(kb)))
for label in ("json", "html"):
    t = st.median(x[0] for x in m[label]); r = st.median(x[1] for x in m[label]) / 1024
    size = os.path.getsize(os.environ["OUT"] + "/report." + label) / 1e6
    print(f"{label:5} median {t:.2f} s, peak RSS {r:.0f} MB, {size:.1f} MB ({len(m[label])} runs)")
tj = st.median(x[0] for x in m["json"]); th = st.median(x[0] for x in m["html"])
sj = os.path.getsize(os.environ["OUT"] + "/report.json"); sh = os.path.getsize(os.environ["OUT"] + "/report.html")
print(f"html/json: time {th/tj:.2f}x, size {sh/sj:.3f}x")
'
KUBEWARD_HTML_REPORT="$OUT/report.html" cargo test -q -p kubeward --test html_report -- --ignored --nocapture first_view_benchmark 2>&1 | grep -E "^run |test result"
