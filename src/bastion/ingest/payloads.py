"""The shapes the platform sends: one pydantic model per kind of item, strict about unknown fields."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bastion.clock import as_utc
from bastion.domain.subjects import ContentType

MAX_TEXT_CHARS = 65_536
MAX_ATTRIBUTES_CHARS = 65_536  # the attributes object, written as compact JSON
MAX_JSON_DEPTH = 32  # objects and lists nested in one another, the outermost counting as one
MAX_INTEGER = 2**63 - 1  # what the store's 64-bit integer columns hold
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
PDQ_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
MEDIA_URL = re.compile(r"^https?://\S+$")


def _matching(pattern: re.Pattern[str], message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
CountryCode = Annotated[
    str,
    StringConstraints(to_upper=True),
    _matching(COUNTRY, "must be two letters (ISO 3166-1 alpha-2), such as BR"),
    Field(json_schema_extra={"pattern": COUNTRY.pattern}),
]
LanguageCode = Annotated[
    str,
    StringConstraints(to_lower=True),
    _matching(LANGUAGE, "must be a language tag of 2 or 3 letters with an optional subtag, such as pt or pt-BR"),
    Field(json_schema_extra={"pattern": LANGUAGE.pattern}),
]
MediaUrl = Annotated[
    str,
    StringConstraints(max_length=2048),
    _matching(MEDIA_URL, "must be an http:// or https:// URL without spaces"),
    Field(json_schema_extra={"pattern": MEDIA_URL.pattern}),
]


def _no_number_as_time(value: object) -> object:
    """Times are ISO 8601 text (or datetimes, from Parquet files); a number is not silently taken as epoch."""
    if not isinstance(value, str | datetime):
        raise ValueError("must be a date-time in ISO 8601, such as 2026-10-31T07:12:00Z")
    return value


def _in_utc(moment: datetime) -> datetime:
    """A time without a zone is taken to be UTC, as most platform logs are."""
    try:
        return as_utc(moment)
    except OverflowError:
        raise ValueError("is outside the range of dates Bastion stores (years 1 to 9999 in UTC)") from None


Moment = Annotated[datetime, BeforeValidator(_no_number_as_time), AfterValidator(_in_utc)]


def _no_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


# Whole numbers up to what a 64-bit column holds; true and false are not numbers here.
# (The bounds come before the validator, or the JSON schema would carry them under pydantic's own names.)
Count = Annotated[int, Field(ge=0, le=MAX_INTEGER), BeforeValidator(_no_boolean)]
PositiveCount = Annotated[int, Field(ge=1, le=MAX_INTEGER), BeforeValidator(_no_boolean)]


_UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None. PostgreSQL refuses the NUL character, and an unpaired
    surrogate (which JSON's `\\ud800` escapes can make) is not Unicode text: neither store could write it."""
    if text.isascii():
        return "must not contain the NUL character (\\u0000)" if "\x00" in text else None
    if "\x00" in text:
        return "must not contain the NUL character (\\u0000)"
    if _UNPAIRED_SURROGATE.search(text):
        return "must be valid Unicode text, without unpaired surrogates"
    return None


def strings_in(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys included; no recursion."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def json_depth(value: object) -> int:
    """How many objects and lists are nested inside one another in `value` (a scalar is 0); no recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _bounded_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    if json_depth(attributes) > MAX_JSON_DEPTH:
        raise ValueError(f"must not nest objects and lists more than {MAX_JSON_DEPTH} levels deep")
    size = len(json.dumps(attributes, ensure_ascii=False, separators=(",", ":"), default=str))
    if size > MAX_ATTRIBUTES_CHARS:
        raise ValueError(f"must be at most {MAX_ATTRIBUTES_CHARS:,} characters as JSON, got {size:,}")
    return attributes


Attributes = Annotated[dict[str, Any], AfterValidator(_bounded_attributes)]


# Validation context for an item parsed from JSON text that has no `\u0000` escape in it: pydantic's
# JSON parser refuses raw control characters and unpaired surrogates, so its text can be stored as is.
TEXT_STORABLE: dict[str, bool] = {"text_storable": True}


def storable_json_text(raw: bytes) -> dict[str, bool] | None:
    """The validation context for one JSON document: TEXT_STORABLE when no string in it can hold a NUL."""
    return TEXT_STORABLE if b"\\u0000" not in raw else None


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_TEXT_CHARS)

    @model_validator(mode="after")
    def _storable_text(self, info: ValidationInfo) -> Payload:
        # One pass per item, not a validator per field: this runs for every row of a large import.
        if info.context is TEXT_STORABLE:
            return self
        for name, value in self.__dict__.items():
            if isinstance(value, str):
                problem = text_problem(value)
            elif isinstance(value, dict) and value:
                problem = next(filter(None, map(text_problem, strings_in(value))), None)
            else:
                continue
            if problem is not None:
                raise PydanticCustomError("value_error", "{field}: {problem}", {"field": name, "problem": problem})
        return self


class ActorPayload(Payload):
    id: ExternalId
    created_at: Moment
    country: CountryCode | None = None
    language: LanguageCode | None = None
    attributes: Attributes = Field(default_factory=dict)


MAX_IMAGE_BASE64 = 16 * 1024 * 1024  # a 12 MB image
MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024


class MediaPayload(Payload):
    """An item's image: where it is (`url`), its PDQ hash as the platform computed it (`pdq`, with its
    `quality` when known), or the image itself, as base64 `data` or a local `path` (where the
    `media_paths` setting allows), hashed here. The image itself is never stored: only its hash and
    quality are."""

    url: MediaUrl | None = None
    pdq: str | None = Field(
        default=None,
        description="PDQ hash: 256 bits as 64 hex digits",
        json_schema_extra={"pattern": PDQ_HEX.pattern},
    )
    quality: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="The PDQ hash's quality, 0-100, when known (under 50 is not matched on)"
    )
    data: str | None = Field(
        default=None,
        description="The image itself, base64 (hashed on arrival, not stored)",
        max_length=MAX_IMAGE_BASE64,
    )
    path: str | None = Field(
        default=None, description="A local file of the image, where the server allows it (hashed, not stored)"
    )

    @model_validator(mode="before")
    @classmethod
    def _hash_the_image(cls, value: Any) -> Any:
        if isinstance(value, dict) and (value.get("data") is not None or value.get("path") is not None):
            return hashed_media(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> MediaPayload:
        if self.url is None and self.pdq is None:
            raise ValueError("media needs a url, a pdq hash, the image's data or its path")
        if self.pdq is not None and not PDQ_HEX.match(self.pdq):
            raise ValueError("pdq must be 64 hexadecimal digits")
        return self


def hashed_media(value: dict[str, Any]) -> dict[str, Any]:
    """Media given as an image (`data` or `path`): the same media with the image's PDQ hash and quality
    instead. A bad image, or a path where paths are not allowed, is an error naming the field."""
    from bastion.config import settings
    from bastion.errors import InvalidInput
    from bastion.match.pdq import hash_image

    data, path = value.get("data"), value.get("path")
    if data is not None and path is not None:
        raise _media_error("data", "give the image's data or its path, not both")
    if value.get("pdq") is not None:
        raise _media_error("pdq", "give a pdq hash or the image, not both")
    source: bytes | Path
    if data is not None:
        if not isinstance(data, str) or len(data) > MAX_IMAGE_BASE64:
            raise _media_error("data", f"must be base64 text of at most {MAX_IMAGE_BASE64:,} characters")
        try:
            source = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise _media_error("data", "must be base64 (A-Z, a-z, 0-9, +, /, =)") from None
    else:
        if not settings().media_paths:
            raise _media_error("path", "this server does not read images from local paths; send the image as data")
        if not isinstance(path, str) or not Path(path).is_absolute():
            raise _media_error("path", "must be an absolute path")
        file = Path(path)
        if not file.is_file():
            raise _media_error("path", "no such file")
        if file.stat().st_size > MAX_IMAGE_FILE_BYTES:
            raise _media_error("path", f"the file is larger than {MAX_IMAGE_FILE_BYTES // 1024 // 1024} MB")
        source = file
    try:
        hashed = hash_image(source)
    except InvalidInput as error:
        reason = error.errors[0].message if error.errors else error.message
        raise _media_error("data" if data is not None else "path", reason) from None
    return {**value, "data": None, "path": None, "pdq": hashed.hex, "quality": hashed.quality}


def _media_error(field: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError("value_error", "{field}: {reason}", {"field": field, "reason": reason})


class ContentPayload(Payload):
    id: ExternalId
    actor_id: ExternalId
    type: ContentType
    text: str | None = None
    media: MediaPayload | None = None
    language: LanguageCode | None = None
    country: CountryCode | None = None
    surface: Annotated[str, StringConstraints(max_length=64)] | None = None
    created_at: Moment
    views: Count | None = None


class ReportTarget(Payload):
    content_id: ExternalId | None = None
    actor_id: ExternalId | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReportTarget:
        if (self.content_id is None) == (self.actor_id is None):
            raise ValueError("target needs exactly one of content_id or actor_id")
        return self


class ReportPayload(Payload):
    id: ExternalId
    target: ReportTarget
    reporter_id: ExternalId | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
    created_at: Moment
    text: str | None = None


class ViewPayload(Payload):
    """A sampled impression: someone saw a content item; `weight` impressions stand behind it."""

    id: ExternalId
    content_id: ExternalId
    viewer_id: ExternalId | None = None
    viewed_at: Moment
    weight: PositiveCount = 1


Label = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]


class DecisionPayload(Payload):
    """A decision made elsewhere, for quality analysis: `reviewer_id` gave `label` to a stored content item.

    `label` is a policy id, "none", or any category name used consistently; `reviewer_id` is a Bastion
    user's name or anyone else's (an external rater, who can never log in).
    """

    content_id: ExternalId
    reviewer_id: Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
    label: Label
    decided_at: Moment | None = None
    queue: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)] | None = None
