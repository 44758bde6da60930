#!/usr/bin/env bash
# `kubeward serve` with users' policies (BENCHMARKS.md, "kubeward serve with policies"): the
# server of bench/serve.sh, once without policies and once with 20 Gatekeeper constraints and
# 20 ValidatingAdmissionPolicies (bench/serve-policies.py), each at a fixed 500 req/s over TLS
# (the issue's rate) with the loadgen example; both runs in one session.
#   bench/serve-policies.sh [DURATION]      (B, L: the release binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
B=${B:-./target/release/kubeward}
L=${L:-./target/release/examples/loadgen}
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
$B cert --name 127.0.0.1 --out-dir "$dir" >/dev/null 2>&1
sed -n '/serve.yaml: |/,$p' deploy/20-config.yaml | tail -n +2 | sed 's/^    //' >"$dir/serve.yaml"
python3 bench/serve-policies.py crates/kubeward-policy/tests/data/gatekeeper-library "$dir/policies"
for mode in none policies; do
  extra=()
  [ "$mode" = policies ] && extra=(--policy "$dir/policies")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  RUST_LOG=info $B serve --no-cluster --listen "127.0.0.1:$port" --config "$dir/serve.yaml" \
    --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" "${extra[@]}" 2>"$dir/log-$mode" &
  pid=$!
  for _ in $(seq 100); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "== $mode: fixed rate 500 req/s, 8 connections"
  $L --url "https://127.0.0.1:$port/validate" --ca "$dir/ca.crt" --connections 8 --rate 500 --duration "$DURATION" --pid "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  echo "   $(grep -c '"admission"' "$dir/log-$mode") decisions logged"
done
