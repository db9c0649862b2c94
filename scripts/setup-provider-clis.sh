#!/usr/bin/env bash
# Installs the providers' real command-line tools that tests/integration/provider_clis.rs runs
# the generated redis-settings.sh scripts with (against a recording loopback endpoint), and
# the shellcheck linter. Each tool is installed only when missing, so a second run takes about a second.
#   curl, shellcheck        Debian packages
#   aws                     PyPI awscli (AWS CLI v1), in its own virtual environment
#   gcloud                  Debian google-cloud-cli
#   heroku                  npm heroku
#   az                      PyPI azure-cli, in its own virtual environment, with PyPI
#                           azure-mgmt-redisenterprise (the service model the tests check
#                           Azure request bodies against)
# Virtual environments live under $PROVIDER_CLIS_DIR (default /opt/chatwoot-redis-clis);
# their commands are linked into /usr/local/bin when they are not on PATH.
set -euo pipefail

dir="${PROVIDER_CLIS_DIR:-/opt/chatwoot-redis-clis}"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
started=$SECONDS

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "error: no apt-get; install $* (Debian names) by hand" >&2
    exit 1
  fi
  if [ -z "${apt_updated:-}" ]; then
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q "$@"
}

link() { # link NAME TARGET: put TARGET on PATH as NAME
  $sudo ln -sf "$2" "/usr/local/bin/$1"
  hash -r
}

venv_tool() { # venv_tool NAME PACKAGE...: a virtual environment with the packages, NAME linked
  local name=$1
  shift
  echo "installing: $* (PyPI, $dir/$name)"
  if ! $sudo python3 -m venv "$dir/$name"; then
    apt_install python3-venv # Debian's python3 ships venv separately
    $sudo python3 -m venv "$dir/$name"
  fi
  $sudo "$dir/$name/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v curl >/dev/null || missing+=(curl)
command -v gcloud >/dev/null || missing+=(google-cloud-cli)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]} (Debian)"
  apt_install "${missing[@]}"
fi

if ! aws --version >/dev/null 2>&1; then
  venv_tool awscli awscli
  link aws "$dir/awscli/bin/aws"
fi

if ! command -v heroku >/dev/null; then
  echo "installing: heroku (npm)"
  command -v npm >/dev/null || apt_install npm
  $sudo npm install --global --no-fund --no-audit --loglevel=error heroku
fi

if ! command -v az >/dev/null; then
  venv_tool azure-cli azure-cli azure-mgmt-redisenterprise
  link az "$dir/azure-cli/bin/az"
fi
# The Azure tests read the redisEnterprise service model from az's own Python.
az_python="$(dirname "$(readlink -f "$(command -v az)")")/python3"
if [ -x "$az_python" ] && ! "$az_python" -c 'import azure.mgmt.redisenterprise' 2>/dev/null; then
  echo "installing: azure-mgmt-redisenterprise (PyPI, beside az)"
  $sudo "$az_python" -m pip install --quiet --disable-pip-version-check azure-mgmt-redisenterprise
fi

for tool in shellcheck curl aws gcloud heroku az; do
  command -v "$tool" >/dev/null || { echo "error: $tool is still missing" >&2; exit 1; }
done
echo "provider CLIs ready ($((SECONDS - started)) s)"
