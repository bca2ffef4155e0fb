#!/usr/bin/env bash
# Make sure a Java runtime for Spark (the [spark] extra, the metrics' cross-engine test) is installed:
# Debian's `openjdk-17-jre-headless` package, via apt, when `java` is missing. Quiet unless something fails.
set -euo pipefail

die() {
    printf 'ensure-java: %s\n' "$*" >&2
    exit 1
}

if command -v java >/dev/null 2>&1; then
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || die "Java is not installed and there is no apt-get; install a Java 17 runtime and put 'java' on PATH"

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 \
        || die "Java is not installed; as root run: apt-get update && apt-get install -y openjdk-17-jre-headless"
    if [ -t 0 ]; then as_root=(sudo); else as_root=(sudo -n); fi
fi

printf 'ensure-java: installing Debian package openjdk-17-jre-headless with apt-get\n'
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
if ! { "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq openjdk-17-jre-headless; } >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get install openjdk-17-jre-headless failed (output above)"
fi
command -v java >/dev/null 2>&1 || die "apt-get installed openjdk-17-jre-headless, but no 'java' executable is on PATH"
