#!/usr/bin/env bash
# Install the workshop server (docs/workshop.md): the proxy, then the course with its `hub` extra in an environment
# every learner's account can read. Run as root from the course checkout:  sudo bash deploy/install-workshop.sh
# SCALINGML_WORKSHOP_ENV (default /opt/scalingml-workshop) is where the environment goes; run again to update it.
set -euo pipefail
cd "$(dirname "$0")/.."
env_dir="${SCALINGML_WORKSHOP_ENV:-/opt/scalingml-workshop}"
python="${SCALINGML_WORKSHOP_PYTHON:-/usr/bin/python3}"

if [ "$(id -u)" != 0 ]; then
  echo "install-workshop: run it as root (sudo bash deploy/install-workshop.sh): it installs system packages" >&2
  exit 2
fi
if ! command -v configurable-http-proxy >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -qq node-configurable-http-proxy >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq node-configurable-http-proxy >/dev/null; }
  elif command -v npm >/dev/null 2>&1; then
    npm install -g configurable-http-proxy
  else
    echo "install-workshop: install configurable-http-proxy (npm install -g configurable-http-proxy) and rerun" >&2
    exit 2
  fi
fi
if [ ! -x "$python" ]; then
  echo "install-workshop: $python is missing; give a system Python >= 3.11 as SCALINGML_WORKSHOP_PYTHON" >&2
  exit 2
fi
# The learners' servers run this environment as their own users: it must not live under a private folder such as
# /root (a pyenv Python there fails to spawn with "Permission denied"), so it is made from the system's Python.
[ -x "$env_dir/bin/python" ] || "$python" -m venv "$env_dir"
"$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check ".[hub]"
# the course itself again, even when its version did not change: the learners run this checkout's package
"$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall .
chmod -R a+rX "$env_dir"
echo "Workshop environment ready: $env_dir ($(configurable-http-proxy --version 2>/dev/null | head -1 || true) proxy)"
echo "Start a workshop:  sudo $env_dir/bin/scalingml workshop start ROSTER.txt   (or --learners N)"
