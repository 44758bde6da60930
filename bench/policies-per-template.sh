#!/usr/bin/env bash
# What each Gatekeeper library template costs in `kubeward scan` (BENCHMARKS.md, "Users'
# policies, session 13"): the built-in scan of IN once, then each template with its sample
# constraints alone; one line per template: name, constraints, wall s, user s, peak KB.
#   bench/policies-per-template.sh      (B=path/to/kubeward, IN=objects file, 10k by default)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-./target/release/kubeward}
IN=${IN:-/tmp/objects-10k.yaml}
[ -f "$IN" ] || python3 bench/generate.py 10000 > "$IN"
LIB=crates/kubeward-policy/tests/data/gatekeeper-library
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/time -o "$T/time" -f "built-in - %e %U %M" "$B" scan "$IN" --no-config --format json --output /dev/null >/dev/null 2>&1 || true
grep -v "exited with" "$T/time"
for t in $(find "$LIB" -name template.yaml | sort); do
  d=$(dirname "$t"); name=$(basename "$d")
  P="$T/$name"; mkdir -p "$P"; cp "$t" "$P/template.yaml"; n=0
  for c in $(find "$d" -name constraint.yaml | sort); do n=$((n + 1)); cp "$c" "$P/c$n.yaml"; done
  /usr/bin/time -o "$T/time" -f "$name $n %e %U %M" "$B" scan "$IN" --no-config --policy "$P" --format json --output /dev/null >/dev/null 2>&1 || true
  grep -v "exited with" "$T/time"
done
