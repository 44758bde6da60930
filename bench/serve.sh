#!/usr/bin/env bash
# Benchmark of `kubeward serve` (BENCHMARKS.md, "kubeward serve"): a release server on a
# loopback port with a cert from `kubeward cert`, and the loadgen example in another process
# over TLS with keep-alive. Bounded: each run lasts DURATION seconds (+2 s warm-up).
#   bench/serve.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
B=./target/release/kubeward
L=./target/release/examples/loadgen
cargo build --release -p kubeward --bin kubeward
cargo build --release -p kubeward-webhook --example loadgen
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
$B cert --name 127.0.0.1 --out-dir "$dir" >/dev/null 2>&1
# The config shipped in deploy/ (enforce baseline, warn and audit restricted).
sed -n '/serve.yaml: |/,$p' deploy/20-config.yaml | tail -n +2 | sed 's/^    //' >"$dir/serve.yaml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=info $B serve --no-cluster --listen "127.0.0.1:$port" --config "$dir/serve.yaml" \
  --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
url="https://127.0.0.1:$port/validate"
echo "== fixed rate 1000 req/s, 8 connections"
$L --url "$url" --ca "$dir/ca.crt" --connections 8 --rate 1000 --duration "$DURATION" --pid "$pid"
echo "== max throughput, 16 connections"
$L --url "$url" --ca "$dir/ca.crt" --connections 16 --rate 0 --duration "$DURATION" --pid "$pid"
echo "== server: $(grep -c '"admission"' "$dir/log") decisions logged"
