#!/usr/bin/env bash
# Makes .venv-interop/ (gitignored): a Python virtual environment with the readers that
# test/interop/python.test.ts opens every output format and layout with (test/interop/requirements.txt),
# plus torch when it can be installed (the README's PyTorch snippet). .ci/run calls it before npm test.
#
# It never fails the build: without python3, or where a package cannot be installed, it says why in
# one line and exits 0, and the interop test then skips itself with the same reason. Run it again to
# repair a half-made environment; a complete one is kept as it is (a second run takes about a second).
#   DQM_EXPORT_VENV=dir   make it elsewhere (the test looks in .venv-interop/ unless
#                         DQM_EXPORT_PYTHON names a python that has the packages)
set -uo pipefail
cd "$(dirname "$0")/.."
venv="${DQM_EXPORT_VENV:-.venv-interop}"
reqs=test/interop/requirements.txt
note() { echo "python readers venv: $*"; }

if ! command -v python3 >/dev/null 2>&1; then
  note "no python3 on PATH; the Python interop test will be skipped"
  exit 0
fi
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pyarrow, pandas, polars, duckdb, numpy, datasets' >/dev/null 2>&1 \
  && [ -f "$venv/.requirements" ] && cmp -s "$venv/.requirements" "$reqs"; then
  note "$venv is ready"
  exit 0
fi
start=$SECONDS
if ! python3 -m venv "$venv" >/dev/null 2>&1; then
  note "python3 -m venv failed (is the venv module installed?); the Python interop test will be skipped"
  exit 0
fi
# --retries 0: where only a configured local index answers, pip would otherwise retry the
# unreachable default index five times for every package (minutes).
pip=("$venv/bin/pip" install --retries 0 --disable-pip-version-check --quiet)
if ! "${pip[@]}" -r "$reqs" >"$venv/pip.log" 2>&1; then
  note "could not install $reqs ($(grep -m1 -E 'ERROR' "$venv/pip.log" || tail -n1 "$venv/pip.log")); the Python interop test will be skipped"
  exit 0
fi
cp "$reqs" "$venv/.requirements"
if "${pip[@]}" torch >>"$venv/pip.log" 2>&1; then
  note "made $venv with $(tr '\n' ' ' <"$reqs" | grep -oE '[a-z]+==[0-9.]+' | tr '\n' ' ')and torch in $((SECONDS - start)) s"
else
  note "made $venv in $((SECONDS - start)) s without torch (not installable here): the README's PyTorch snippet will not be run"
fi
