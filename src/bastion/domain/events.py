"""Events: facts in the append-only log. State elsewhere is a projection of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.domain.subjects import SubjectType


class EventKind(StrEnum):
    ACTOR_CREATED = "actor.created"
    CONTENT_CREATED = "content.created"
    REPORT_FILED = "report.filed"


@dataclass(frozen=True)
class NewEvent:
    kind: str
    subject_type: SubjectType
    subject_pk: int
    occurred_at: datetime
    principal: str
    data: dict[str, Any] = field(default_factory=dict)
