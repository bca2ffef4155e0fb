#!/usr/bin/env bash
# Make sure a Chromium for the browser tests is installed: Debian's `chromium` package, via apt.
# (Never `playwright install`: it downloads browsers from a CDN.) Quiet unless something fails.
# $BASTION_TEST_CHROMIUM, when set, names the executable to use instead.
set -euo pipefail

die() {
    printf 'ensure-chromium: %s\n' "$*" >&2
    exit 1
}

if [ -n "${BASTION_TEST_CHROMIUM:-}" ]; then
    command -v "$BASTION_TEST_CHROMIUM" >/dev/null 2>&1 \
        || die "BASTION_TEST_CHROMIUM=$BASTION_TEST_CHROMIUM is not an executable"
    exit 0
fi
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || die "Chromium is not installed and there is no apt-get; install Chromium and put 'chromium' on PATH (or set BASTION_TEST_CHROMIUM)"

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 \
        || die "Chromium is not installed; as root run: apt-get update && apt-get install -y chromium"
    if [ -t 0 ]; then as_root=(sudo); else as_root=(sudo -n); fi
fi

printf 'ensure-chromium: installing Debian package chromium with apt-get\n'
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
if ! { "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get install chromium failed (output above)"
fi
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] \
    || die "apt-get installed chromium, but no 'chromium' executable is on PATH"
