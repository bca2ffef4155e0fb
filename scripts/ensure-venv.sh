#!/usr/bin/env bash
# Make sure .venv exists and holds an editable install of the project.
#
#   bash scripts/ensure-venv.sh          # runtime dependencies only (the demo)
#   bash scripts/ensure-venv.sh test     # plus the [test] extra (pytest, ruff, mypy, playwright, ...)
#   bash scripts/ensure-venv.sh test,spark  # extras together: the suite runs the metrics on Spark too
#
# Creates .venv with python3.11 (or python3 when it is 3.11 or newer; $PYTHON overrides) when it is
# missing. pip runs only when pyproject.toml or the interpreter changed since the last install for that
# extra: a stamp in .venv remembers the hash, so re-runs take a fraction of a second.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
extra="${1:-}"
venv=".venv"

die() {
    printf 'ensure-venv: %s\n' "$*" >&2
    exit 1
}

supported() {  # supported PYTHON: is it Python 3.11 or newer?
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

find_python() {
    if [ -n "${PYTHON:-}" ]; then
        supported "$PYTHON" || die "\$PYTHON=$PYTHON is not a Python 3.11+ interpreter"
        printf '%s\n' "$PYTHON"
        return
    fi
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then
            command -v "$candidate"
            return
        fi
    done
    die "no Python 3.11+ found (tried python3.11, python3); install it or set \$PYTHON"
}

create_venv() {
    local python
    python="$(find_python)"
    printf 'ensure-venv: creating %s with %s\n' "$venv" "$("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
        # Debian's python3 without python3-venv has no ensurepip: make a bare venv and let the
        # interpreter's own pip install pip into it.
        rm -rf "$venv"
        "$python" -m venv --without-pip "$venv" \
            || die "'$python -m venv' failed; install the python3-venv package"
        "$python" -m pip --python "$venv/bin/python" install --disable-pip-version-check --no-input -q pip \
            || die "could not install pip into $venv (needs pip >= 22.3 for --python, or python3-venv)"
    fi
}

if [ -e "$venv" ] && ! supported "$venv/bin/python"; then
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '' >/dev/null 2>&1; then
        die "$venv uses $("$venv/bin/python" -V 2>&1), but Bastion needs Python 3.11+; remove $venv and re-run"
    fi
    printf 'ensure-venv: %s is broken (its interpreter does not run); recreating it\n' "$venv"
    rm -rf "$venv"
fi
[ -e "$venv" ] || create_venv

py="$venv/bin/python"
# One install at a time, should two scripts set up the same checkout at once.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv/.bastion-install.lock"
    flock 9
fi

fingerprint="$("$py" - <<'PY'
import hashlib, pathlib, sys
print(hashlib.sha256(pathlib.Path("pyproject.toml").read_bytes()).hexdigest(), sys.version.split()[0])
PY
)"
stamp="$venv/.bastion-installed-${extra:-base}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] && [ -x "$venv/bin/bastion" ]; then
    exit 0
fi

target="."
[ -z "$extra" ] || target=".[$extra]"
printf 'ensure-venv: installing %s into %s (pyproject.toml changed or first run)\n' "$target" "$venv"
PIP_NO_INPUT=1 "$py" -m pip install --disable-pip-version-check -q -e "$target" \
    || die "pip install -e '$target' failed"

printf '%s\n' "$fingerprint" >"$stamp"
# Any extra includes the runtime dependencies, so the plain install is up to date as well.
printf '%s\n' "$fingerprint" >"$venv/.bastion-installed-base"
