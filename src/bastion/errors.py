"""The one exception tree of Bastion.

Every error Bastion raises on purpose is a `BastionError`. Each interface (API, web, CLI) has one
handler that turns these into its own shape; foreign exceptions are mapped at the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad field: where it is (a JSON path such as `items[3].target.content_id`) and why."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class BastionError(Exception):
    """Base of every error Bastion raises on purpose."""

    code = "error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(BastionError):
    """Input that breaks a rule; carries every bad field found, not just the first."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = tuple(errors)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        return self.message + "\n" + "\n".join(f"  {e}" for e in self.errors)


class NotFound(BastionError):
    code = "not_found"
    http_status = 404


class PayloadTooLarge(BastionError):
    code = "too_large"
    http_status = 413


class Conflict(BastionError):
    """The request is well formed but the state does not allow it (e.g. a lease held by another)."""

    code = "conflict"
    http_status = 409


class Unauthenticated(BastionError):
    code = "unauthenticated"
    http_status = 401


class Forbidden(BastionError):
    code = "forbidden"
    http_status = 403


class TooManyAttempts(BastionError):
    """Too many failed logins or API keys of late, from this account or address: wait and try again."""

    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(BastionError):
    code = "configuration_error"
    http_status = 500


class IntegrityBroken(BastionError):
    """A tamper-evident structure (the audit log chain) does not verify."""

    code = "integrity_broken"
    http_status = 500
