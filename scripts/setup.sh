#!/usr/bin/env bash
# Installs what the portal needs: uv, the locked dependencies, compiled translations.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  if [ -x "$HOME/.local/bin/uv" ]; then
    export PATH="$HOME/.local/bin:$PATH"
  else
    echo "Installing uv from PyPI ..."
    python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
    export PATH="$HOME/.local/bin:$PATH"
  fi
fi
uv sync --frozen --quiet
uv run --frozen pybabel compile -d src/locale --statistics 2>&1 | grep -v "^$" | sed 's/^/  /' || true
