"""Turning pydantic's errors into Bastion's FieldErrors with JSON paths, in Bastion's words.

pydantic's own messages ("String should match pattern '^[A-Za-z]{2}$'", "Input should be a valid
datetime") are written for Python programmers. Every interface (API bodies and parameters, ingest
items, YAML files) shows people the messages below instead, chosen by the error's type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from bastion.errors import FieldError

_PREFIXES = ("Value error, ", "Assertion failed, ")
DATE_TIME = "must be a date-time in ISO 8601, such as 2026-10-31T07:12:00Z"
WHOLE_NUMBER = "must be a whole number"


def _bound(word: str, key: str) -> Callable[[Mapping[str, Any]], str]:
    def say(ctx: Mapping[str, Any]) -> str:
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # "greater than 0", not "greater than 0.0"
        return f"must be {word} {bound}"

    return say


def _characters(word: str) -> Callable[[Mapping[str, Any]], str]:
    def say(ctx: Mapping[str, Any]) -> str:
        count = int(ctx.get("min_length" if word == "at least" else "max_length", 0))
        if word == "at least" and count == 1:
            return "must not be empty"
        return f"must be {word} {count:,} character{'s' if count != 1 else ''}"

    return say


def _items(word: str) -> Callable[[Mapping[str, Any]], str]:
    def say(ctx: Mapping[str, Any]) -> str:
        count = int(ctx.get("min_length" if word == "at least" else "max_length", 0))
        return f"must hold {word} {count:,} item{'s' if count != 1 else ''}"

    return say


def _one_of(ctx: Mapping[str, Any]) -> str:
    return f"must be {ctx.get('expected', 'one of the allowed values')}"


# By pydantic's error type: what the field must be. Types not listed keep their own message.
_BY_TYPE: dict[str, str | Callable[[Mapping[str, Any]], str]] = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "string_too_short": _characters("at least"),
    "string_too_long": _characters("at most"),
    "string_pattern_mismatch": "is not in the expected format",
    "string_unicode": "must be valid UTF-8 text",
    "int_type": WHOLE_NUMBER,
    "int_parsing": WHOLE_NUMBER,
    "int_parsing_size": "is too large a number",
    "int_from_float": WHOLE_NUMBER,
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "greater_than": _bound("greater than", "gt"),
    "greater_than_equal": _bound("greater than or equal to", "ge"),
    "less_than": _bound("less than", "lt"),
    "less_than_equal": _bound("less than or equal to", "le"),
    "enum": _one_of,
    "literal_error": _one_of,
    "datetime_type": DATE_TIME,
    "datetime_parsing": DATE_TIME,
    "datetime_from_date_parsing": DATE_TIME,
    "datetime_object_invalid": DATE_TIME,
    "timezone_aware": "must carry a time zone offset",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dataclass_type": "must be a JSON object",
    "list_type": "must be a list",
    "too_short": _items("at least"),
    "too_long": _items("at most"),
    "json_invalid": "the body is not valid JSON",
    "json_type": "must be JSON",
    "none_required": "must be null",
    "recursion_loop": "is nested too deeply",
}


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
    """One pydantic error detail's message in Bastion's words: what the field must be, no library text.

    Messages raised by Bastion's own validators (value errors) are kept as written, without pydantic's
    "Value error, " prefix.
    """
    wording = _BY_TYPE.get(str(detail.get("type", "")))
    if wording is not None:
        return wording if isinstance(wording, str) else wording(detail.get("ctx") or {})
    message = str(detail["msg"])
    for noise in _PREFIXES:
        message = message.removeprefix(noise)
    return message


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    return [
        FieldError(path=json_path(prefix, detail["loc"]), message=message_of(detail))
        for detail in error.errors(include_url=False, include_input=False)
    ]
