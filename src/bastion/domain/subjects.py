"""Subjects: what gets moderated, an actor (account) or a content item."""

from __future__ import annotations

from enum import StrEnum


class SubjectType(StrEnum):
    ACTOR = "actor"
    CONTENT = "content"


class ContentType(StrEnum):
    POST = "post"
    COMMENT = "comment"
    MESSAGE = "message"
    IMAGE = "image"
    VIDEO = "video"
    LISTING = "listing"
    PROFILE = "profile"


class IngestKind(StrEnum):
    """What a batch of ingested items is made of."""

    ACTORS = "actors"
    CONTENT = "content"
    REPORTS = "reports"
    VIEWS = "views"
    DECISIONS = "decisions"  # decisions made elsewhere, for quality analysis (see `bastion.quality`)


class ItemStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    ERROR = "error"
