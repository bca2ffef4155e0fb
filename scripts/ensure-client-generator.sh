#!/usr/bin/env bash
# Make sure the OpenAPI client generator is installed in its own virtualenv, .venv/client-generator.
#
#   bash scripts/ensure-client-generator.sh     # prints the path of the `openapi-python-client` command
#
# openapi-python-client 0.29 pins typer below 0.28 while Bastion needs typer 0.29 or newer, so the
# generator cannot live in the project's .venv. It only reads /openapi.json and writes a package, so
# its own environment is enough. Re-runs take a fraction of a second once the stamp matches.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
requirement="openapi-python-client==0.29.1"
venv=".venv/client-generator"
tool="$venv/bin/openapi-python-client"
stamp="$venv/.installed"

[ -d .venv ] || bash scripts/ensure-venv.sh >&2
if command -v flock >/dev/null 2>&1; then
    exec 9>".venv/.client-generator.lock"
    flock 9
fi
if [ -x "$tool" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirement" ]; then
    printf '%s\n' "$tool"
    exit 0
fi
python=".venv/bin/python"
rm -rf "$venv"
if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m venv --without-pip "$venv"
    "$python" -m pip --python "$venv/bin/python" install --disable-pip-version-check --no-input -q pip >&2
fi
PIP_NO_INPUT=1 "$venv/bin/python" -m pip install --disable-pip-version-check -q "$requirement" >&2 \
    || { printf 'ensure-client-generator: pip install %s failed\n' "$requirement" >&2; exit 1; }
printf '%s\n' "$requirement" >"$stamp"
printf '%s\n' "$tool"
