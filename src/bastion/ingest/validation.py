"""Turning pydantic's errors into Bastion's FieldErrors with JSON paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from bastion.errors import FieldError

_PREFIXES = ("Value error, ", "Assertion failed, ")
_RENAMED = {
    "Extra inputs are not permitted": "unknown field",
    "Field required": "required field is missing",
    "Input should be a valid integer, unable to parse string as an integer": "must be a whole number",
    "Input should be a valid number, unable to parse string as a number": "must be a number",
}
_LIBRARY_START = "Input should be "  # pydantic's "Input should be greater than 0": Bastion says "must be"


def json_path(prefix: str, loc: Sequence[str | int]) -> str:
    """`items[3]` + ("target", "content_id") -> `items[3].target.content_id`."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def message_of(detail: Mapping[str, Any]) -> str:
    """One pydantic error detail's message in Bastion's words: no "Value error, " noise, plain names."""
    message = str(detail["msg"])
    for noise in _PREFIXES:
        message = message.removeprefix(noise)
    message = _RENAMED.get(message, message)
    return "must be " + message.removeprefix(_LIBRARY_START) if message.startswith(_LIBRARY_START) else message


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    return [
        FieldError(path=json_path(prefix, detail["loc"]), message=message_of(detail))
        for detail in error.errors(include_url=False, include_input=False)
    ]
