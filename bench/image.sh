#!/usr/bin/env bash
# Benchmark the image walk (BENCHMARKS.md, section "kubeward-image"): a generated image of about
# 1 GB in 4 umoci layers (files of random and of repetitive bytes, a dpkg status, deletions in
# the later layers so there are whiteouts), as an OCI layout (gzip), the same with zstd layers
# and as a docker-archive tarball (skopeo). For each: peak RSS and time of
# examples/walk.rs (the real catalogers; --read-all also reads every file through a
# cataloger), beside `gzip -dc` / `zstd -dc` of the same blobs.
#
# Then the same image pushed to a local docker-registry (plain HTTP on a loopback port) and
# pulled: a cold pull (blobs into an empty cache) and a warm one (from the cache).
#
# Needs umoci, skopeo, docker-registry, bc, /usr/bin/time (Debian packages of those names).
# Build first:  cargo build --release -p kubeward-image --example walk
# Then:         bench/image.sh            (SIZE_MB=1024 by default; WORK=dir to keep the images)
set -euo pipefail
cd "$(dirname "$0")/.."
WALK=${WALK:-$PWD/target/release/examples/walk}
SIZE_MB=${SIZE_MB:-1024}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
L="$WORK/layout"

if [[ ! -f "$L/index.json" ]]; then
  umoci init --layout "$L"
  umoci new --image "$L:t"
  umoci unpack --image "$L:t" "$WORK/bundle"
  R="$WORK/bundle/rootfs"
  for layer in 0 1 2 3; do
    python3 - "$R" "$layer" "$SIZE_MB" <<'PY'
import os, random, sys
root, layer, size_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(layer)
budget = size_mb * (1 << 20) // 4
words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ".split()
n = 0
i = 0
while n < budget:
    d = os.path.join(root, f"data/l{layer}/d{i % 97}")
    os.makedirs(d, exist_ok=True)
    size = int(rng.lognormvariate(10.5, 1.3)) + 1  # median ~36 KiB, long tail
    size = min(size, 64 << 20, budget - n)
    if i % 2:
        body = os.urandom(size)
    else:
        body = b" ".join(rng.choice(words) for _ in range(size // 6 + 1))[:size]
    with open(os.path.join(d, f"f{i}.bin"), "wb") as f:
        f.write(body)
    n += size
    i += 1
os.makedirs(os.path.join(root, "var/lib/dpkg"), exist_ok=True)
with open(os.path.join(root, "var/lib/dpkg/status"), "w") as f:
    for p in range(500 + layer):
        f.write(f"Package: pkg{p}\nVersion: 1.{layer}\n\n")
os.makedirs(os.path.join(root, "etc"), exist_ok=True)
with open(os.path.join(root, "etc/os-release"), "w") as f:
    f.write("ID=debian\nVERSION_ID=12\n")
# Deletions: half of the previous layer's directories.
if layer:
    import shutil
    for k in range(0, 97, 2):
        shutil.rmtree(os.path.join(root, f"data/l{layer-1}/d{k}"), ignore_errors=True)
print(f"layer {layer}: {i} files, {n >> 20} MiB")
PY
    umoci repack --refresh-bundle --image "$L:t" "$WORK/bundle"
  done
  rm -rf "$WORK/bundle"
  skopeo --insecure-policy copy --dest-compress-format zstd "oci:$L:t" "oci:$WORK/zstd:t"
  skopeo --insecure-policy copy "oci:$L:t" "docker-archive:$WORK/image.tar:bench/img:t"
fi

layers() { # the layer blobs of a layout, in order
  python3 - "$1" <<'PY'
import json, sys, os
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs/sha256", d.split(":")[1])
idx = json.load(open(os.path.join(root, "index.json")))
m = json.load(open(blob(idx["manifests"][0]["digest"])))
for l in m["layers"]:
    print(blob(l["digest"]))
PY
}

measure() { # measure LABEL ARGS...: peak RSS and wall time of the walk
  local label=$1; shift
  local out; out=$(/usr/bin/time -v "$WALK" "$@" 2>&1)
  local rss; rss=$(grep "Maximum resident" <<<"$out" | awk '{print $6}')
  local wall; wall=$(grep "Elapsed (wall" <<<"$out" | awk '{print $8}')
  local errs; errs=$(grep -c '^error:' <<<"$out" || true)
  printf '%-34s peak RSS %6.1f MB  wall %8s  errors %s\n' "$label" "$(bc -l <<<"$rss/1024")" "$wall" "$errs"
}

stored=$(layers "$L" | xargs du -cb | tail -1 | cut -f1)
unpacked=$(layers "$L" | while read -r b; do gzip -dc "$b"; done | wc -c)
echo "image: $(layers "$L" | wc -l) layers, $((stored >> 20)) MiB gzip, $((unpacked >> 20)) MiB of tar"
measure "oci gzip (databases)" "oci:$L:t"
measure "oci gzip --read-all" "oci:$L:t" --read-all
measure "oci zstd (databases)" "oci:$WORK/zstd:t"
measure "oci zstd --read-all" "oci:$WORK/zstd:t" --read-all
measure "docker-archive (databases)" "docker-archive:$WORK/image.tar"
measure "docker-archive --read-all" "docker-archive:$WORK/image.tar" --read-all
t0=$(date +%s.%N); for b in $(layers "$L"); do gzip -dc "$b" >/dev/null; done; t1=$(date +%s.%N)
printf '%-34s wall %.2f s\n' "gzip -dc of the layers" "$(bc -l <<<"$t1-$t0")"
t0=$(date +%s.%N); for b in $(layers "$WORK/zstd"); do zstd -qdc "$b" >/dev/null; done; t1=$(date +%s.%N)
printf '%-34s wall %.2f s\n' "zstd -dc of the layers" "$(bc -l <<<"$t1-$t0")"

# Many small files: the walk keeps one node per path, so memory follows the file count.
S="$WORK/small"
if [[ ! -f "$S/index.json" ]]; then
  python3 - "$S" "${SMALL_FILES:-300000}" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/blobs/sha256", exist_ok=True)
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{root}/blobs/sha256/{h}", "wb").write(b)
    return {"digest": f"sha256:{h}", "size": len(b)}
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
    for i in range(n):
        body = (f"module.exports = {i};\n" * 20).encode()
        ti = tarfile.TarInfo(f"app/node_modules/pkg{i // 50}/lib/file{i % 50}.js")
        ti.size = len(body)
        t.addfile(ti, io.BytesIO(body))
tar = raw.getvalue()
layer = blob(gzip.compress(tar, 1)) | {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
cfg = blob(json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": cfg | {"mediaType": "application/vnd.oci.image.config.v1+json"}, "layers": [layer]}).encode())
json.dump({"schemaVersion": 2, "manifests": [m | {"mediaType": "application/vnd.oci.image.manifest.v1+json"}]}, open(f"{root}/index.json", "w"))
open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
fi
echo "small files: ${SMALL_FILES:-300000} files in one layer"
measure "small files (databases)" "oci:$S"
measure "small files --read-all" "oci:$S" --read-all

# A registry on loopback: cold and warm pulls.
. bench/registry.sh
start_registry "$WORK/registry"
skopeo --insecure-policy copy --dest-tls-verify=false "oci:$L:t" "docker://127.0.0.1:$PORT/bench/img:t" >/dev/null
echo '{}' >"$WORK/registry/empty.json"
rm -rf "$WORK/registry/cache"
REGARGS=("registry:127.0.0.1:$PORT/bench/img:t" --insecure "127.0.0.1:$PORT" --cache "$WORK/registry/cache" --config "$WORK/registry/empty.json")
measure "registry, cold cache" "${REGARGS[@]}"
measure "registry, warm cache" "${REGARGS[@]}"
echo "(images kept in $WORK)"
