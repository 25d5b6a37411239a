#!/usr/bin/env bash
# Installs what building and testing Lumen needs on a fresh Debian machine with the Swift toolchain.
set -euo pipefail

# tmux and chromium: the tests look at `lumenctl top` and the shadow report as a person would.
packages=(libsqlite3-dev sqlite3 tmux chromium fonts-dejavu-core)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}..."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: run as root or install sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The conformance tests drive the agent with the official OpenAI Python SDK.
if ! python3 -c "import openai, pytest" 2>/dev/null; then
  echo "Installing the openai and pytest Python packages..."
  python3 -m pip install -q --disable-pip-version-check openai pytest
fi

command -v swift >/dev/null || { echo "error: the Swift toolchain (6.1 or newer) is not on PATH; install it from swift.org" >&2; exit 1; }
