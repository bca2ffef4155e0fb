"""Logs go to standard error as JSON lines, so a command's standard output holds only its answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from bastion.logs import configure_logging


@pytest.fixture
def configured() -> Iterator[None]:
    configure_logging("INFO")
    yield
    structlog.reset_defaults()


@pytest.mark.usefixtures("configured")
def test_a_log_line_goes_to_stderr_as_json_and_stdout_stays_empty(capfd: pytest.CaptureFixture[str]) -> None:
    structlog.get_logger("bastion.test").info("webhook_delivered", delivery=7, attempt=1)
    out, err = capfd.readouterr()
    assert out == ""
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "webhook_delivered" and line["delivery"] == 7 and line["level"] == "info"


@pytest.mark.usefixtures("configured")
def test_below_the_level_nothing_is_written(capfd: pytest.CaptureFixture[str]) -> None:
    structlog.get_logger("bastion.test").debug("quiet")
    assert capfd.readouterr() == ("", "")
