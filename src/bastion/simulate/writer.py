"""Writing a simulated platform into a store through the same ingest path the API uses.

Records arrive in time order, kinds interleaved. They are buffered per kind and flushed in
dependency order (actors, content, reports, views) whenever a buffer fills, so every reference
points at something already stored, and each flush is one transaction of at most 1,000 items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bastion.clock import Clock
from bastion.domain.subjects import IngestKind
from bastion.errors import InvalidInput
from bastion.ingest.service import MAX_BATCH, ingest_batch
from bastion.simulate.records import Payload, Record, RecordKind
from bastion.store.database import Database

PRINCIPAL = "system:simulator"
FLUSH_ORDER = (RecordKind.ACTORS, RecordKind.CONTENT, RecordKind.REPORTS, RecordKind.VIEWS)


@dataclass
class WriteSummary:
    written: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in FLUSH_ORDER})
    duplicates: int = 0

    @property
    def total(self) -> int:
        return sum(self.written.values())


def write_platform(
    database: Database,
    records: Iterable[Record],
    *,
    clock: Clock,
    batch_size: int = MAX_BATCH,
    progress: Callable[[int], None] | None = None,
) -> WriteSummary:
    """Ingest every record; a record the ingest path rejects is a bug in the simulator, so it stops."""
    summary = WriteSummary()
    buffers: dict[RecordKind, list[Payload]] = {kind: [] for kind in FLUSH_ORDER}
    seen = 0
    for kind, payload in records:
        buffers[kind].append(payload)
        seen += 1
        if len(buffers[kind]) >= batch_size:
            _flush(database, buffers, summary, clock)
            if progress is not None:
                progress(seen)
    _flush(database, buffers, summary, clock)
    if progress is not None:
        progress(seen)
    return summary


def _flush(database: Database, buffers: dict[RecordKind, list[Payload]], summary: WriteSummary, clock: Clock) -> None:
    for kind in FLUSH_ORDER:
        items = buffers[kind]
        if not items:
            continue
        result = ingest_batch(
            database,
            IngestKind(kind.value),
            items,
            principal=PRINCIPAL,
            now=clock(),
            action=f"simulate.{kind.value}",
            target="simulator",
        )
        if result.errors:
            errors = [e for o in result.outcomes for e in o.errors][:10]
            raise InvalidInput(f"the simulator produced {result.errors} invalid {kind.value} items", errors)
        summary.written[kind.value] += result.created
        summary.duplicates += result.duplicates
        buffers[kind] = []
