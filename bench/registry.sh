# Sourced by the image benchmarks: start_registry DIR starts Debian's docker-registry on a free
# loopback port (plain HTTP, storage in DIR/storage), sets PORT and REG (its pid), kills it on
# exit, and waits until it accepts connections.
start_registry() {
  local dir=$1
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$PORT
  secret: bench
YML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  REG=$!
  trap 'kill $REG 2>/dev/null || true' EXIT
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
}
