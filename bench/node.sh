#!/usr/bin/env bash
# Benchmark `kubeward node` (BENCHMARKS.md, section "kubeward node"): a synthetic kubeadm
# control-plane host tree (static pod manifests, kubeconfigs, PKI, kubelet config, etcd data
# dir, with modes and owners) and six REAL processes whose command lines are the components'
# (a sleeping stand-in started with `exec -a kube-apiserver ...` and the flags).
#
# Build first:  cargo build --release -p kubeward && cargo build --release -p kubeward-node --example fake_component
# Then:         bench/node.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/kubeward}
FAKE=${FAKE:-target/release/examples/fake_component}
ROOT=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$ROOT"
}
trap cleanup EXIT

put() { # put MODE PATH TEXT
  mkdir -p "$(dirname "$ROOT$2")"
  printf '%s' "$3" > "$ROOT$2"
  chmod "$1" "$ROOT$2"
}

APISERVER=(--advertise-address=10.0.0.10 --anonymous-auth=false --authorization-mode=Node,RBAC
  --client-ca-file=/etc/kubernetes/pki/ca.crt --enable-admission-plugins=NodeRestriction
  --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt
  --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key --etcd-servers=https://127.0.0.1:2379
  --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
  --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key --profiling=false
  --audit-log-path=/var/log/kubernetes/audit.log --audit-log-maxage=30 --audit-log-maxbackup=10
  --audit-log-maxsize=100 --service-account-key-file=/etc/kubernetes/pki/sa.pub
  --service-account-signing-key-file=/etc/kubernetes/pki/sa.key
  --service-account-issuer=https://kubernetes.default.svc.cluster.local
  --tls-cert-file=/etc/kubernetes/pki/apiserver.crt --tls-private-key-file=/etc/kubernetes/pki/apiserver.key)
CM=(--bind-address=127.0.0.1 --kubeconfig=/etc/kubernetes/controller-manager.conf --profiling=false
  --root-ca-file=/etc/kubernetes/pki/ca.crt --service-account-private-key-file=/etc/kubernetes/pki/sa.key
  --use-service-account-credentials=true --leader-elect=true)
SCHED=(--bind-address=127.0.0.1 --kubeconfig=/etc/kubernetes/scheduler.conf --profiling=false)
ETCD=(--cert-file=/etc/kubernetes/pki/etcd/server.crt --key-file=/etc/kubernetes/pki/etcd/server.key
  --client-cert-auth=true --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
  --peer-key-file=/etc/kubernetes/pki/etcd/peer.key --peer-client-cert-auth=true
  --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt --data-dir=/var/lib/etcd)
KUBELET=(--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml
  --container-runtime-endpoint=unix:///run/containerd/containerd.sock)
PROXY=(--config=/var/lib/kube-proxy/config.conf --hostname-override=node-1)

manifest() { # manifest NAME FLAGS...
  local name=$1; shift
  local text="apiVersion: v1
kind: Pod
metadata:
  name: $name
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
  - name: $name
    image: registry.k8s.io/$name:v1.32.0
    command:
    - $name
"
  for f in "$@"; do text+="    - $f
"; done
  put 600 "/etc/kubernetes/manifests/$name.yaml" "$text"
}

put 644 /etc/passwd $'root:x:0:0:root:/root:/bin/bash\netcd:x:998:998::/var/lib/etcd:/sbin/nologin\n'
put 644 /etc/group $'root:x:0:\netcd:x:998:\n'
manifest kube-apiserver "${APISERVER[@]}"
manifest kube-controller-manager "${CM[@]}"
manifest kube-scheduler "${SCHED[@]}"
manifest etcd "${ETCD[@]}"
for f in admin.conf super-admin.conf scheduler.conf controller-manager.conf kubelet.conf; do
  put 600 "/etc/kubernetes/$f" $'apiVersion: v1\nkind: Config\n'
done
for f in ca apiserver apiserver-kubelet-client apiserver-etcd-client front-proxy-ca front-proxy-client \
         etcd/ca etcd/server etcd/peer etcd/healthcheck-client; do
  put 644 "/etc/kubernetes/pki/$f.crt" cert
  put 600 "/etc/kubernetes/pki/$f.key" key
done
put 600 /etc/kubernetes/pki/sa.key key
put 644 /etc/kubernetes/pki/sa.pub pub
mkdir -p "$ROOT/var/lib/etcd/member/snap" && chmod 700 "$ROOT/var/lib/etcd" && chown -R 998:998 "$ROOT/var/lib/etcd"
put 600 /etc/cni/net.d/10-calico.conflist '{}'
put 600 /etc/systemd/system/kubelet.service.d/10-kubeadm.conf $'[Service]\n'
put 600 /var/lib/kubelet/config.yaml 'apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
rotateCertificates: true
'
put 600 /var/lib/kube-proxy/config.conf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
'
mkdir -p "$ROOT/proc"

start() { # start ARGV0 FLAGS...: a real process with that command line, linked into ROOT/proc
  local name=$1; shift
  (exec -a "$name" "$FAKE" "$@") &
  pids+=($!)
  ln -s "/proc/$!" "$ROOT/proc/$!"
}
start kube-apiserver "${APISERVER[@]}"
start kube-controller-manager "${CM[@]}"
start kube-scheduler "${SCHED[@]}"
start etcd "${ETCD[@]}"
start /usr/bin/kubelet "${KUBELET[@]}"
start /usr/local/bin/kube-proxy "${PROXY[@]}"
sleep 0.2

"$BIN" node --root "$ROOT" --color never | tail -8 || true  # exit 1: the FAILs below
echo "processes on this machine: $(ls /proc | grep -c '^[0-9]')"
# Exit status 1 (FAILs) is expected: -i.
hyperfine -N -i --warmup 5 --runs 100 \
  -n "node check, synthetic proc (6 components)" "$BIN node --root $ROOT --format json --output /dev/null" \
  -n "node check, the machine's whole /proc" "$BIN node --root $ROOT --proc /proc --format json --output /dev/null" \
  -n "node check, text output" "$BIN node --root $ROOT --color never --output /dev/null"
