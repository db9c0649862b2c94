#!/usr/bin/env bash
# Benchmark: whole-process wall time and peak memory of chatwoot-redis against starting a
# trivial process (/bin/true). Prints a Markdown table of medians and ratios; asserts nothing
# (speed is measured here, never in a test). Goals (see README "Performance"): a no-change
# render in a git repository and `render --stdout` at most 1.5x /bin/true, peak RSS at most
# 2x, doctor on loopback at most 15 ms.
#
#   scripts/bench.sh                 # every scenario; installs hyperfine, GNU time, redis
#   RUNS=100 scripts/bench.sh        # fewer runs per case (default 300)
#   BIN=path/to/chatwoot-redis scripts/bench.sh   # another build (no cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v redis-server >/dev/null || need+=(redis-server)
command -v git >/dev/null || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q "${need[@]}" >&2
fi

runs=${RUNS:-300}
if [ -z "${BIN:-}" ]; then
  cargo build --quiet --release
  BIN="$PWD/target/release/chatwoot-redis"
fi
work=$(mktemp -d)
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export REDIS_PASSWORD=BenchmarkPasswordOnly0000000000
unset GIT_DIR GIT_WORK_TREE

declare -A args=(
  [single-server]=""
  [docker-compose]=""
  [kubernetes-sentinel]=""
  [elasticache]="--host master.cw.abc123.use1.cache.amazonaws.com"
  [azure]="--host cw.westeurope.redis.azure.net"
  [memorystore]="--host 10.0.0.3 --tls"
  [heroku]="--host ec2-3-1-2-3.compute-1.amazonaws.com --port 12345"
  [digitalocean]="--host db-do-user-1-0.b.db.ondigitalocean.com"
)
scenarios=(single-server docker-compose kubernetes-sentinel elasticache azure memorystore heroku digitalocean)

# Median wall time in ms of one command (hyperfine, no shell in between).
median_ms() {
  local json="$work/h.json"
  hyperfine --shell=none --ignore-failure --warmup 20 --runs "$runs" --export-json "$json" "$1" >/dev/null 2>&1
  python3 -c "import json;print(json.load(open('$json'))['results'][0]['median']*1000)"
}
# Peak RSS in KiB (GNU time), the largest of 5 runs.
rss_kb() {
  local max=0 r
  for _ in 1 2 3 4 5; do
    r=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1)
    [ "$r" -gt "$max" ] && max=$r
  done
  echo "$max"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr); $runs runs per case, medians"
echo "binary: $BIN ($(stat -c %s "$BIN") bytes)"
base_ms=$(median_ms /bin/true)
base_rss=$(rss_kb /bin/true)
echo
printf '| %-20s | %-15s | %9s | %7s | %8s | %7s |\n' scenario case "median ms" "x true" "RSS KiB" "x true"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..22})" "$(printf -- '-%.0s' {1..17})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..9})"
row() { # scenario case ms rss
  python3 -c "print('| %-20s | %-15s | %9.2f | %7.2f | %8d | %7.2f |' % ('$1', '$2', $3, $3/$base_ms, $4, $4/$base_rss))"
}
row "/bin/true" baseline "$base_ms" "$base_rss"

mkdir -p "$work/git"
git -C "$work/git" init -q
printf '.env\nredis-secrets.conf\nredis-secret.yaml\n' >"$work/git/.gitignore"
for s in "${scenarios[@]}"; do
  for where in git plain; do
    if [ "$where" = git ]; then out="$work/git/$s"; label="render, in git"; else out="$work/plain/$s"; label="render, no git"; fi
    mkdir -p "$out"
    # shellcheck disable=SC2086
    "$BIN" render --quiet --scenario "$s" ${args[$s]} --out "$out" >/dev/null
    cmd="$BIN render --quiet --out $out"
    # shellcheck disable=SC2086
    row "$s" "$label" "$(median_ms "$cmd")" "$(rss_kb $cmd)"
  done
  out="$work/git/$s"
  cmd="$BIN render --quiet --check --out $out"
  # shellcheck disable=SC2086
  row "$s" "--check, in git" "$(median_ms "$cmd")" "$(rss_kb $cmd)"
  cmd="$BIN render --stdout --scenario $s ${args[$s]} --out $work/none"
  # shellcheck disable=SC2086
  row "$s" "--stdout" "$(median_ms "$cmd")" "$(rss_kb $cmd)"
done

# doctor against a real redis-server on a free loopback port.
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
  --requirepass "$REDIS_PASSWORD" --maxmemory 256mb --maxmemory-policy noeviction \
  --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$port" -a "$REDIS_PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG && break
  sleep 0.05
done
printf 'REDIS_URL=redis://127.0.0.1:%s\nREDIS_PASSWORD=%s\n' "$port" "$REDIS_PASSWORD" >"$work/doctor.env"
cmd="$BIN doctor --env-file $work/doctor.env --timeout 2"
# shellcheck disable=SC2086
row "(any)" "doctor, loopback" "$(median_ms "$cmd")" "$(rss_kb $cmd)"
cmd="$BIN --version"
# shellcheck disable=SC2086
row "(any)" "--version" "$(median_ms "$cmd")" "$(rss_kb $cmd)"
