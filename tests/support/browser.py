"""The Chromium that browser tests drive: Debian's ``chromium`` package, never a Playwright download.

Use from a conftest to configure pytest-playwright::

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args):
        return {**browser_type_launch_args, "executable_path": chromium_executable(), "args": CHROMIUM_ARGS}
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["CHROMIUM_ARGS", "ENV_CHROMIUM", "chromium_executable"]

ENV_CHROMIUM = "BASTION_TEST_CHROMIUM"
"""Environment variable that, when set, names the Chromium executable to use."""

CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
"""Flags headless Chromium needs here (root, containers, no network beyond the test server)."""

_CANDIDATES = ("chromium",)
_FALLBACKS = ("/usr/bin/chromium",)


def chromium_executable() -> str:
    """Path of the system Chromium; raises RuntimeError with the install command when there is none."""
    override = os.environ.get(ENV_CHROMIUM)
    if override:
        found = shutil.which(override)
        if found is None:
            raise RuntimeError(f"{ENV_CHROMIUM}={override!r} is not an executable")
        return found
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    for path in _FALLBACKS:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    raise RuntimeError(
        "Chromium is not installed; run `bash scripts/ensure-chromium.sh`"
        " (apt-get install chromium) — never `playwright install`"
    )
