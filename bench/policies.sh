#!/usr/bin/env bash
# Benchmark of users' policies in `kubeward scan` (BENCHMARKS.md, "Policies in scan"): the
# 100,000-object file scanned with the built-in controls alone, then with every Gatekeeper
# library template (crates/kubeward-policy/tests/data/gatekeeper-library) and all of its sample
# constraints as --policy, interleaved RUNS times in one session; wall time and peak RSS.
#   bench/policies.sh [RUNS]      (B=path/to/kubeward, IN=objects file)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
B=${B:-./target/release/kubeward}
IN=${IN:-/tmp/objects-100k.yaml}
[ -f "$IN" ] || python3 bench/generate.py 100000 > "$IN"
P=$(mktemp -d)
trap 'rm -rf "$P"' EXIT
LIB=crates/kubeward-policy/tests/data/gatekeeper-library
n=0
for t in $(find "$LIB" -name template.yaml | sort); do
  d=$(dirname "$t")
  name=$(basename "$d")
  cp "$t" "$P/$name-template.yaml"
  for c in $(find "$d" -name constraint.yaml | sort); do
    n=$((n + 1))
    cp "$c" "$P/$name-constraint-$n.yaml"
  done
done
echo "== $(ls "$P" | grep -c template) templates, $n constraints"
"$B" scan "$IN" --no-config --policy "$P" --format json --output /dev/null 2>&1 >/dev/null | grep -c "error" | sed 's/^/policy load errors (lines on stderr): /' || true
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "built-in only: %e s, %M KB" "$B" scan "$IN" --no-config --format json --output /dev/null || true
  /usr/bin/time -f "with policies: %e s, %M KB" "$B" scan "$IN" --no-config --policy "$P" --format json --output /dev/null || true
done
