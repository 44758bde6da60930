#!/usr/bin/env bash
# Benchmark of `kubeward audit` (BENCHMARKS.md, "kubeward audit"): throughput on a realistic
# 1 GB audit log (bench/audit-log.py), plain and gzip, and peak RSS.
#   bench/audit.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1024}
B=./target/release/kubeward
LOG=/tmp/kubeward-audit-${SIZE}m.log
cargo build --release -p kubeward --bin kubeward
[[ -s $LOG ]] || python3 bench/audit-log.py "$SIZE" >"$LOG"
[[ -s $LOG.gz ]] || gzip -1 -k "$LOG"
ls -l "$LOG" "$LOG.gz"
# Exit code 1 (findings) is expected: -i ignores it.
hyperfine -i --warmup 1 --runs 5 \
  "$B audit --no-config -f json -o /dev/null $LOG" \
  "$B audit --no-config -f json -o /dev/null $LOG.gz"
for f in "$LOG" "$LOG.gz"; do
  /usr/bin/time -f "$f: %e s, peak RSS %M KB" "$B" audit --no-config -f json -o /dev/null "$f" || true
done
