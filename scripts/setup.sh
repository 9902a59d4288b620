#!/usr/bin/env bash
# Installs what the portal needs: uv, the locked dependencies, compiled translations.
# Safe to run again: each step does nothing when its work is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.local/bin:$HOME/.cargo/bin:$PATH"

pip_install_uv() {
  # Debian and Ubuntu mark the system Python as externally managed (PEP 668); uv is a
  # self-contained tool, so installing it into the user's site is harmless there.
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --user uv 2>/dev/null ||
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --user --break-system-packages uv
}

install_uv() {
  echo "Installing uv (the Python package manager) ..."
  if ! command -v python3 >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
    else
      echo "Python 3 is missing: install python3 (3.11 or 3.12), then run this again." >&2
      exit 1
    fi
  fi
  if ! python3 -m pip --version >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    fi
  fi
  if python3 -m pip --version >/dev/null 2>&1 && pip_install_uv; then
    return 0
  fi
  echo "Could not install uv: install it (https://docs.astral.sh/uv/) and run this again." >&2
  exit 1
}

# PDF letters (WeasyPrint) need Pango and a font from the system.
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Pango and fonts for PDF letters ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null
  else
    echo "Note: PDF letters need Pango (libpangoft2-1.0) and a font; install them with your package manager." >&2
  fi
fi

command -v uv >/dev/null 2>&1 || install_uv
command -v uv >/dev/null 2>&1 || { echo "uv was installed but is not on PATH." >&2; exit 1; }

echo "Installing the locked dependencies ..."
uv sync --frozen --quiet

echo "Compiling the translations ..."
if ! out="$(uv run --frozen pybabel compile -d src/locale --statistics 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
echo "$out" | grep -v "^$" | sed 's/^/  /' || true
