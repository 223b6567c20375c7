#!/usr/bin/env bash
# Installs the Debian packages the tests use (skipping any already present). Needs root or sudo.
set -euo pipefail
packages=(curl openssl python3-venv postgresql postgresql-client redis-server nginx chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Python from elsewhere (pyenv) ships its own venv module; python3-venv is only for Debian's.
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "install-system-packages: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
