#!/bin/bash
# What the risk graph ("Top risks", on by default) adds to a scan: the same scan of the
# generated 100,000 objects with --top-risks 0 (no graph) and with the default, runs
# interleaved (A B A B ...) so that the VM's drift hits both alike; wall time and peak RSS of
# each run from /usr/bin/time, then the medians and their ratios.
#   cargo build --release -p kubeward && bench/risks.sh [RUNS]
set -euo pipefail
B=${B:-./target/release/kubeward}
IN=${IN:-/tmp/objects-100k.yaml}
RUNS=${1:-5}
[ -f "$IN" ] || python3 bench/generate.py 100000 > "$IN"
measure() { # label args...
  local label=$1; shift
  { /usr/bin/time -f "$label %e %M" "$B" scan --no-config "$IN" --format json --output /dev/null "$@" 2>&1 >/dev/null || true; } | tail -1
}
out=$(for i in $(seq "$RUNS"); do
  measure without --top-risks 0
  measure with
done)
echo "$out"
echo "$out" | python3 -c '
import sys, statistics as st
rows = [l.split() for l in sys.stdin if l.strip()]
m = {}
for label, s, kb in rows:
    m.setdefault(label, []).append((float(s), int(kb)))
for label in ("without", "with"):
    t = st.median(x[0] for x in m[label]); r = st.median(x[1] for x in m[label]) / 1024
    print(f"{label:8} median {t:.2f} s, peak RSS {r:.0f} MB ({len(m[label])} runs)")
tw = st.median(x[0] for x in m["with"]); to = st.median(x[0] for x in m["without"])
rw = st.median(x[1] for x in m["with"]) / 1024; ro = st.median(x[1] for x in m["without"]) / 1024
print(f"risks add {100*(tw/to-1):+.1f}% time and {rw-ro:+.0f} MB peak RSS")
'
