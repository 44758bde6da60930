#!/bin/bash
# Two (or more) builds side by side: what the risk graph adds to a scan of the generated
# 100,000 objects for each binary, runs interleaved (the first binary without risks, then each
# binary with them, RUNS times) so that the VM's drift hits them alike; medians of wall time
# and peak RSS, and each one's difference with the scan without risks.
#   bench/risks-ab.sh RUNS OLD_BINARY NEW_BINARY...
set -euo pipefail
RUNS=$1; shift
IN=${IN:-/tmp/objects-100k.yaml}
[ -f "$IN" ] || python3 bench/generate.py 100000 > "$IN"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "without %e %M" "$1" scan --no-config "$IN" --format json --output /dev/null --top-risks 0 2>&1 >/dev/null | tail -1 || true
  n=0
  for b in "$@"; do
    n=$((n + 1))
    /usr/bin/time -f "$n:$(basename "$b") %e %M" "$b" scan --no-config "$IN" --format json --output /dev/null 2>&1 >/dev/null | tail -1 || true
  done
done | python3 -c '
import sys, statistics as st
m = {}
for l in sys.stdin:
    p = l.split()
    if len(p) == 3:
        m.setdefault(p[0], []).append((float(p[1]), int(p[2])))
t0 = st.median(x[0] for x in m["without"]); r0 = st.median(x[1] for x in m["without"]) / 1024
for k, v in m.items():
    t = st.median(x[0] for x in v); r = st.median(x[1] for x in v) / 1024
    print(f"{k:16} {t:.2f} s {r:.0f} MB ({100*(t/t0-1):+.1f}% time, {r-r0:+.0f} MB) runs: {[x[0] for x in v]}")
'
