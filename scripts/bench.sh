#!/usr/bin/env bash
# Benchmark: wall time and peak memory of `render` per scenario, against starting a trivial
# process (`true`). Prints ratios; asserts nothing (speed is measured, never a test).
#   scripts/bench.sh            # needs hyperfine (apt-get install hyperfine) and GNU time
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "install GNU time: apt-get install -y time" >&2; exit 1; }
cargo build --quiet --release
bin="$PWD/target/release/chatwoot-redis"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export REDIS_PASSWORD=BenchmarkPasswordOnly0000000000

declare -A args=(
  [single-server]=""
  [docker-compose]=""
  [kubernetes-sentinel]=""
  [elasticache]="--host master.cw.abc123.use1.cache.amazonaws.com --emit +helm"
  [azure]="--host cw.westeurope.redis.azure.net"
  [memorystore]="--host 10.0.0.3 --tls"
  [heroku]="--host ec2-3-1-2-3.compute-1.amazonaws.com --port 12345"
  [digitalocean]="--host db-do-user-1-0.b.db.ondigitalocean.com"
)

rss_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
base_json="$work/true.json"
hyperfine --shell=none --warmup 20 --runs 300 --export-json "$base_json" 'true' >/dev/null
base_ms=$(python3 -c "import json,sys;print(json.load(open('$base_json'))['results'][0]['mean']*1000)")
base_rss=$(rss_kb true)
printf '%-22s %10s %8s %10s %8s\n' scenario "mean ms" "x true" "RSS KiB" "x true"
printf '%-22s %10.3f %8s %10s %8s\n' "true (baseline)" "$base_ms" 1.0 "$base_rss" 1.0
for s in single-server docker-compose kubernetes-sentinel elasticache azure memorystore heroku digitalocean; do
  out="$work/$s"
  # A full render that writes (plan, compare, atomic writes); later runs find files unchanged.
  cmd="$bin render --quiet --scenario $s ${args[$s]} --out $out"
  $cmd >/dev/null
  hyperfine --shell=none --warmup 10 --runs 200 --export-json "$work/$s.json" "$cmd" >/dev/null
  ms=$(python3 -c "import json;print(json.load(open('$work/$s.json'))['results'][0]['mean']*1000)")
  rss=$(rss_kb $cmd)
  python3 -c "print('%-22s %10.3f %8.1f %10s %8.1f' % ('$s', $ms, $ms/$base_ms, $rss, $rss/$base_rss))"
done
