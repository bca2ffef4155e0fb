#!/usr/bin/env bash
# The one command that sets everything up and runs the whole suite:
#   virtualenv (with the test and spark extras) -> Chromium -> Java -> ruff check -> ruff format --check
#   -> mypy -> pytest
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/policy -k cel -x`.
# BASTION_TEST_WORKERS overrides the number of pytest-xdist workers (default: cores, at most 2).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() {
    printf '\n==> %s\n' "$*"
}

section "setup: virtualenv"
bash scripts/ensure-venv.sh test,spark
section "setup: chromium"
bash scripts/ensure-chromium.sh
chromium_path="$(command -v "${BASTION_TEST_CHROMIUM:-chromium}" 2>/dev/null || echo /usr/bin/chromium)"
printf '%s\n' "$chromium_path"
section "setup: java (the metrics on Spark)"
bash scripts/ensure-java.sh

bin=".venv/bin"

section "ruff check"
"$bin/ruff" check .

section "ruff format --check"
"$bin/ruff" format --check .

section "mypy"
"$bin/mypy"

workers="${BASTION_TEST_WORKERS:-}"
if [ -z "$workers" ]; then
    workers="$(nproc 2>/dev/null || echo 1)"
    [ "$workers" -le 2 ] || workers=2
fi

section "pytest (-n $workers)"
status=0
"$bin/pytest" -n "$workers" --dist loadgroup --durations=25 "$@" || status=$?
if [ "$status" -eq 5 ]; then
    printf '\ntest.sh: pytest collected no tests (exit 5) - treating that as a failure\n' >&2
fi
if [ "$status" -ne 0 ]; then
    printf '\ntest.sh: FAILED (pytest exit %s)\n' "$status" >&2
    exit "$status"
fi
printf '\ntest.sh: all checks passed\n'
