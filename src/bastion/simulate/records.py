"""What the simulator yields: records shaped exactly like the ingest API's request bodies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple


class RecordKind(StrEnum):
    """The kind of a record; the values match `bastion.domain.subjects.IngestKind`, plus views."""

    ACTORS = "actors"
    CONTENT = "content"
    REPORTS = "reports"
    VIEWS = "views"


Payload = dict[str, Any]
Record = tuple[RecordKind, Payload]


@dataclass(frozen=True, slots=True)
class ContentTruth:
    """The hidden truth about one content item: what it violates (None: nothing) and where it came from.

    `source` is `hatexplain:<post id>` for real posts (join to the annotations in the HateXplain
    copy), `template:<language>:<bank>` for synthetic text, `network:<id>` for coordinated posts.
    """

    policy: str | None
    source: str
    # The language the text is really written in (the record may omit its language).
    language: str


class LabelledRecord(NamedTuple):
    """A record with, for content, its hidden truth (None for the other kinds)."""

    kind: RecordKind
    payload: Payload
    truth: ContentTruth | None
