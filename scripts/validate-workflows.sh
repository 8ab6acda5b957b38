#!/usr/bin/env bash
# Validates .github/workflows/*.yml against the GitHub Actions workflow schema
# (SchemaStore's, as bundled with check-jsonschema). Catches misspelt keys,
# wrong types and bad trigger definitions before GitHub rejects the file.
#
# Usage: scripts/validate-workflows.sh
#   VENV                      virtualenv to create or reuse (default: .venv-ci)
#   CHECK_JSONSCHEMA_VERSION  version to install (default: pinned below, since the
#                             schema ships inside the package)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv="${VENV:-.venv-ci}"
version="${CHECK_JSONSCHEMA_VERSION:-0.39.0}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# Quick and offline when the pinned version is already installed.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "check-jsonschema==$version"

"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
