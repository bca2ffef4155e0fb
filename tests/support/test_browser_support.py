"""Which Chromium the browser tests drive, and what they say when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import browser
from .browser import ENV_CHROMIUM, chromium_executable


def _executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_override_names_the_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = _executable(tmp_path, "my-chromium")
    monkeypatch.setenv(ENV_CHROMIUM, str(chosen))
    assert chromium_executable() == str(chosen)


def test_an_override_that_is_not_an_executable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CHROMIUM, str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match=ENV_CHROMIUM):
        chromium_executable()


def test_chromium_on_the_path_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = _executable(tmp_path, "chromium")
    monkeypatch.delenv(ENV_CHROMIUM, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert chromium_executable() == str(found)


def test_without_chromium_the_error_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_CHROMIUM, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(browser, "_FALLBACKS", (str(tmp_path / "nowhere"),))
    with pytest.raises(RuntimeError, match=r"scripts/ensure-chromium\.sh") as raised:
        chromium_executable()
    assert "never `playwright install`" in str(raised.value)
