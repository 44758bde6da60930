#!/usr/bin/env bash
# Benchmark `kubeward scan --images` (BENCHMARKS.md, section "kubeward image"): N distinct
# images (default 100) in a local registry (Debian's docker-registry, plain HTTP on a loopback
# port), each one gzip layer of about 8 MB: a dpkg status of 400 packages, a Python dist-info
# of a package the PyPI data marks vulnerable, and incompressible filler (different in every
# image, so no two share a blob). A manifest of N Deployments, one image each, is scanned with
# --images at --image-jobs 1, 4 and 8, cold cache each time: wall time and peak RSS. Memory
# should follow the jobs, not N.
#
# Needs skopeo, docker-registry, python3, /usr/bin/time, and the shared OSV exports.
# Build first:  cargo build --release -p kubeward
# Then:         bench/images-scan.sh        (N=100 by default; WORK=dir to keep the images)
set -euo pipefail
cd "$(dirname "$0")/.."
KW=${KW:-$PWD/target/release/kubeward}
N=${N:-100}
WORK=${WORK:-$(mktemp -d)}
OSV=${OSV:-$(cd .. && pwd)/shared/vulndata/osv}
mkdir -p "$WORK"

if [[ ! -d "$WORK/db" ]]; then
  "$KW" db import --db "$WORK/db" "$OSV/PyPI/all.zip" "$OSV/Go/all.zip" >/dev/null
fi

# N OCI layouts, written directly (one layer each).
if [[ ! -f "$WORK/images/$((N - 1))/index.json" ]]; then
  python3 - "$WORK/images" "$N" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root, n = sys.argv[1], int(sys.argv[2])
status = "".join(
    f"Package: pkg{p}\nStatus: install ok installed\nVersion: 1.{p}-1\nArchitecture: amd64\n\n"
    for p in range(400)
).encode()
for i in range(n):
    d = f"{root}/{i}"
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    def blob(b):
        h = hashlib.sha256(b).hexdigest()
        open(f"{d}/blobs/sha256/{h}", "wb").write(b)
        return {"digest": f"sha256:{h}", "size": len(b)}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        def add(name, body):
            ti = tarfile.TarInfo(name)
            ti.size = len(body)
            t.addfile(ti, io.BytesIO(body))
        add("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        add("var/lib/dpkg/status", status)
        add("usr/lib/python3/dist-packages/Jinja2-2.10.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\n")
        for k in range(8):
            add(f"opt/app/data{k}.bin", os.urandom(1 << 20))
        add("opt/app/id", str(i).encode())
    tar = raw.getvalue()
    layer = blob(gzip.compress(tar, 1)) | {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
    cfg = blob(json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers",
        "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
    m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": cfg | {"mediaType": "application/vnd.oci.image.config.v1+json"}, "layers": [layer]}).encode())
    json.dump({"schemaVersion": 2, "manifests": [m | {"mediaType": "application/vnd.oci.image.manifest.v1+json"}]},
              open(f"{d}/index.json", "w"))
    open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
fi

. bench/registry.sh
start_registry "$WORK/registry"
: >"$WORK/app.yaml"
for i in $(seq 0 $((N - 1))); do
  skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/images/$i" \
    "docker://127.0.0.1:$PORT/bench/app$i:1" >/dev/null
  printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app%s, namespace: bench}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: 127.0.0.1:%s/bench/app%s:1\n' \
    "$i" "$PORT" "$i" >>"$WORK/app.yaml"
done
echo "$N images of $(du -sb "$WORK/images/0/blobs" | cut -f1) bytes each pushed to 127.0.0.1:$PORT"

measure() { # measure LABEL ARGS...
  local label=$1; shift
  rm -rf "$WORK/cache"
  local out; out=$( { /usr/bin/time -v "$KW" scan "$WORK/app.yaml" --no-config --images --db "$WORK/db" \
    --db-max-age 100000d --insecure-registry "127.0.0.1:$PORT" --cache-dir "$WORK/cache" -f json \
    -o "$WORK/report.json" "$@"; } 2>&1 || true)
  local rss; rss=$(grep "Maximum resident" <<<"$out" | awk '{print $6}')
  local wall; wall=$(grep "Elapsed (wall" <<<"$out" | awk '{print $8}')
  local n; n=$(python3 -c "import json; d=json.load(open('$WORK/report.json')); print(sum(1 for f in d['findings'] if f['id']=='KW1101'), len(d['errors']))")
  printf '%-26s peak RSS %6.1f MB  wall %8s  KW1101 findings, errors: %s\n' "$label" "$(bc -l <<<"$rss/1024")" "$wall" "$n"
}
for j in 1 4 8; do
  measure "--images --image-jobs $j" --image-jobs "$j"
done
echo "(images kept in $WORK)"
