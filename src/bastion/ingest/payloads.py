"""The shapes the platform sends: one pydantic model per kind of item, strict about unknown fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from bastion.clock import as_utc
from bastion.domain.subjects import ContentType

MAX_TEXT_CHARS = 65_536
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$", to_lower=True)]
PDQ_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


# A time without a zone is taken to be UTC, as most platform logs are.
Moment = Annotated[datetime, AfterValidator(as_utc)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_TEXT_CHARS)


class ActorPayload(Payload):
    id: ExternalId
    created_at: Moment
    country: CountryCode | None = None
    language: LanguageCode | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class MediaPayload(Payload):
    url: Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://\S+$")] | None = None
    pdq: str | None = Field(default=None, description="PDQ hash: 256 bits as 64 hex digits")

    @model_validator(mode="after")
    def _check(self) -> MediaPayload:
        if self.url is None and self.pdq is None:
            raise ValueError("media needs a url, a pdq hash, or both")
        if self.pdq is not None and not PDQ_HEX.match(self.pdq):
            raise ValueError("pdq must be 64 hexadecimal digits")
        return self


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
    views: Annotated[int, Field(ge=0)] | None = None


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
    weight: Annotated[int, Field(ge=1)] = 1
