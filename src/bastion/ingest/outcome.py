"""What ingesting a batch did, item by item."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.domain.subjects import IngestKind, ItemStatus
from bastion.errors import FieldError


@dataclass(frozen=True)
class ItemOutcome:
    index: int
    id: str | None
    status: ItemStatus
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class IngestResult:
    kind: IngestKind
    outcomes: tuple[ItemOutcome, ...]

    def count(self, status: ItemStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def created(self) -> int:
        return self.count(ItemStatus.CREATED)

    @property
    def duplicates(self) -> int:
        return self.count(ItemStatus.DUPLICATE)

    @property
    def errors(self) -> int:
        return self.count(ItemStatus.ERROR)

    @property
    def accepted(self) -> bool:
        """True when at least one item was stored or was already stored."""
        return self.created + self.duplicates > 0
