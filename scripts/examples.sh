#!/usr/bin/env bash
# Regenerates examples/<scenario>/: one committed, generated set per scenario. Only the answers
# file and the non-secret outputs are kept; the files that hold the (throw-away) password are
# removed. tests/integration/examples.rs proves these stay current (`render --check`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release
bin=target/release/chatwoot-redis
render() {
  local scenario=$1; shift
  rm -rf "examples/$scenario"
  REDIS_PASSWORD=ExamplePasswordNotUsedAnywhere0000 "$bin" render --quiet \
    --scenario "$scenario" --out "examples/$scenario" "$@" >/dev/null
  rm -f "examples/$scenario/.env" "examples/$scenario/redis-secrets.conf" "examples/$scenario/redis-secret.yaml"
}
render single-server
render docker-compose
render kubernetes-sentinel --release chatwoot --namespace chatwoot
render elasticache --host master.chatwoot.abc123.use1.cache.amazonaws.com --emit +helm
render azure --host chatwoot.westeurope.redis.azure.net
render memorystore --host 10.0.0.3 --tls
render heroku --host ec2-3-91-10-20.compute-1.amazonaws.com --port 12345 --max-connections 400
render digitalocean --host chatwoot-valkey-do-user-1234567-0.b.db.ondigitalocean.com
echo "examples/ regenerated"
