# Sourced by scripts/demo and scripts/test: makes .venv from requirements.lock (pinned versions),
# reinstalling only when the lock or the packaging files change.
set -euo pipefail

ensure_python_env() {
  local python="${PYTHON:-python3}"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Renda needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2; exit 1; }
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  local stamp=.venv/.renda-installed
  local wanted
  wanted=$(cat requirements.lock pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing Python packages into .venv …" >&2
    .venv/bin/python -m pip install -q uv
    .venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock
    .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
    echo "$wanted" >"$stamp"
  fi
}
