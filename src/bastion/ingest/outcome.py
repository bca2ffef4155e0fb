"""What ingesting a batch did, item by item."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

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
        return self._counts.get(status, 0)

    @cached_property
    def _counts(self) -> Counter[ItemStatus]:
        return Counter(o.status for o in self.outcomes)

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
