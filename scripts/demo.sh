#!/usr/bin/env bash
# Set up .venv (runtime dependencies only) and start the Bastion demo; arguments go to `bastion demo`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-venv.sh
exec .venv/bin/bastion demo "$@"
