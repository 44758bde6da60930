#!/usr/bin/env bash
# Benchmark of `kubeward cluster` (BENCHMARKS.md, "kubeward cluster"): a real kube-apiserver
# v1.20 (../shared/k8s, no controller manager) on free loopback ports, filled with NAMESPACES x
# 100 objects by the load_cluster example, then RUNS full scans with the release binary, each
# timed end to end with /usr/bin/time (elapsed seconds, peak RSS). The cluster is stopped (its
# own pid files) on exit.
#   bench/cluster.sh [NAMESPACES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
NAMESPACES=${1:-100}
RUNS=${2:-5}
SHARED=${KUBEWARD_SHARED:-$(pwd)/../shared}
export BIN_DIR=${KUBEWARD_K8S_BIN:-/var/cache/kubeward-k8s/bin}
cargo build --release -p kubeward --bin kubeward
cargo build --release -p kubeward-cluster --example load_cluster
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export RUN_DIR; RUN_DIR=$(mktemp -d /tmp/kubeward-bench-cluster.XXXXXX)
export APISERVER_PORT; APISERVER_PORT=$(free_port)
export ETCD_CLIENT_PORT; ETCD_CLIENT_PORT=$(free_port)
export ETCD_PEER_PORT; ETCD_PEER_PORT=$(free_port)
export START_CONTROLLER_MANAGER=0
# Without a controller manager no `default` ServiceAccount exists: let bare Pods in anyway.
export APISERVER_EXTRA_ARGS="--disable-admission-plugins=ServiceAccount"
trap 'RUN_DIR="$RUN_DIR" "$SHARED/k8s/stop-cluster.sh" >/dev/null 2>&1 || true; rm -rf "$RUN_DIR"' EXIT
"$SHARED/k8s/start-cluster.sh" >"$RUN_DIR/start.log" 2>&1 || { cat "$RUN_DIR/start.log"; exit 1; }
KUBECONFIG_FILE="$RUN_DIR/admin.kubeconfig"
./target/release/examples/load_cluster "$KUBECONFIG_FILE" "$NAMESPACES"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "run $i: %e s elapsed, %M KB peak RSS, %P CPU" \
    ./target/release/kubeward cluster --no-config --kubeconfig "$KUBECONFIG_FILE" --format json \
    --output "$RUN_DIR/report.json" 2>&1 | grep -v '^kubeward: .* are reported on their owners' || true
done
python3 - "$RUN_DIR/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print(f"report: {s['objects']} objects, {len(r['findings'])} findings, {len(r['errors'])} errors, {len(r['warnings'])} warnings")
PY
