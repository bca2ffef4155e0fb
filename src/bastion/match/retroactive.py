"""Retroactive matching: hashes added to a bank are matched against the content already stored, and the
items they newly match go back through the rules that read `signals.hash`, as if just posted.

Exactly once: the matches are recorded first, `ON CONFLICT DO NOTHING` per (item, entry), and only the
items that got a new match here are evaluated again. An import run twice finds its matches recorded and
does nothing more; when two transactions race over one match, the second waits for the first to commit
and finds it recorded. A rule that already hit an item is not run on it again (a rule hits an item at
most once), and the item's other signals are what they were when it was first evaluated: velocity
counters as its verdict recorded them, bank matches and labels as they are now.

Only items that have a verdict are matched here: an item still queued for detection is matched by its
own evaluation, which reads the banks as they are by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bastion.detect.conditions import reading
from bastion.detect.effects import Hit, apply_effects
from bastion.detect.labels import labels_of
from bastion.detect.pipeline import load_items, record_hits
from bastion.detect.signals import SignalScope, compute_signals, signal_record
from bastion.detect.velocity import Observation
from bastion.match.bank_index import BANK_INDEXES
from bastion.match.index import Hashes, HashIndex
from bastion.match.matching import (
    PENDING,
    SIGNAL,
    banks_in_force,
    find_matches,
    hold_flooded,
    record_matches,
    usable_hashes,
)
from bastion.match.pdq import HASH_BYTES
from bastion.policy.service import current_policies
from bastion.store.schema import ContentItem, DetectionVerdict, HashBankEntry, RuleHit
from bastion.store.upsert import table_of

SCAN_CHUNK = 20_000  # stored hashes compared with the new entries at a time
EVALUATE_CHUNK = 200  # items evaluated again at a time


@dataclass(frozen=True)
class RetroactiveOutcome:
    matches: int  # items that got a new match
    items_rechecked: int
    jobs_opened: int


NOTHING = RetroactiveOutcome(0, 0, 0)
KEYS_A_STATEMENT = 50_000


def match_stored_content(session: Session, entry_pks: Sequence[int], *, now: datetime) -> RetroactiveOutcome:
    """Match these new entries against every stored, evaluated item with an image hash, in the caller's
    transaction (the one that added them), and send the items newly matched through the rules again."""
    if not entry_pks:
        return NOTHING
    banks = banks_in_force(session)
    by_pk = {bank.pk: bank for bank in banks}
    keys = list(entry_pks)
    rows = [
        row
        for begin in range(0, len(keys), KEYS_A_STATEMENT)  # PostgreSQL takes at most 65,535 parameters
        for row in session.execute(
            select(HashBankEntry.pk, HashBankEntry.bank_pk, HashBankEntry.hash).where(
                HashBankEntry.pk.in_(keys[begin : begin + KEYS_A_STATEMENT])
            )
        )
        if by_pk[row.bank_pk].enabled
    ]
    if not rows:
        return NOTHING
    new_hashes = np.frombuffer(b"".join(bytes(r.hash) for r in rows), dtype=np.uint8).reshape(-1, HASH_BYTES)
    fresh = HashIndex()
    fresh.add([row.pk for row in rows], new_hashes)
    radius = max(by_pk[row.bank_pk].threshold for row in rows)
    candidates = _near_stored_content(session, fresh, new_hashes, radius)
    # The store's index as last caught up (what this transaction adds must not enter it before it
    # commits), and the new entries beside it; the rules read the same.
    indexes = [BANK_INDEXES.index(session, catch_up=False), fresh]
    session.info[PENDING] = indexes
    newly: list[int] = []
    for start in range(0, len(candidates), EVALUATE_CHUNK):
        chunk = candidates[start : start + EVALUATE_CHUNK]
        items = load_items(session, chunk)
        found = find_matches(session, usable_hashes(session, items), banks, now, indexes=indexes)
        new = record_matches(session, found, now=now, retroactive=True)
        hold_flooded(session, {pk: found[pk] for pk in new}, now=now)
        newly.extend(pk for pk in chunk if pk in new)
    jobs = 0
    try:
        for start in range(0, len(newly), EVALUATE_CHUNK):
            jobs += _evaluate_again(session, newly[start : start + EVALUATE_CHUNK], now)
    finally:
        session.info.pop(PENDING, None)
    return RetroactiveOutcome(len(newly), len(newly), jobs)


def _near_stored_content(session: Session, fresh: HashIndex, new_hashes: Hashes, radius: int) -> list[int]:
    """The evaluated items whose image hash is within `radius` of a new entry, by key. Each chunk of
    stored hashes is compared from the smaller side: a few new hashes are looked up in an index of the
    chunk; many are indexed (`fresh`) and the chunk's hashes looked up in them."""
    near: list[int] = []
    after = 0
    while True:
        rows = session.execute(
            select(ContentItem.pk, ContentItem.media_pdq)
            .join(DetectionVerdict, DetectionVerdict.content_pk == ContentItem.pk)
            .where(ContentItem.pk > after, ContentItem.media_pdq.is_not(None))
            .order_by(ContentItem.pk)
            .limit(SCAN_CHUNK)
        ).all()
        if not rows:
            return near
        after = int(rows[-1][0])
        readable = [(pk, h) for pk, h in rows if h and len(h) == 64 and _is_hex(h)]
        if not readable:
            continue
        stored = np.frombuffer(bytes.fromhex("".join(h for _, h in readable)), dtype=np.uint8).reshape(-1, HASH_BYTES)
        keys = np.fromiter((pk for pk, _ in readable), dtype=np.int64, count=len(readable))
        if len(new_hashes) < len(readable):
            chunk = HashIndex()
            chunk.add(keys, stored)
            near.extend(sorted({key for found in chunk.search(new_hashes, radius) for key, _ in found}))
        else:
            near.extend(int(key) for key, found in zip(keys, fresh.search(stored, radius), strict=True) if found)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


class RecordedVelocity:
    """The velocity counters each item had when it was first evaluated (as its verdict recorded them):
    evaluating an item again must neither count it twice nor see counts from after it was posted."""

    def __init__(self, counters: Sequence[dict[str, int]]) -> None:
        self._counters = counters

    def observe(self, observations: Sequence[Observation]) -> list[dict[str, int]]:
        return [dict(counted) for counted in self._counters]


def _evaluate_again(session: Session, content_pks: Sequence[int], now: datetime) -> int:
    """Run the rules that read `signals.hash` on these items again; returns the jobs their hits opened."""
    from bastion.detect.service import DETECTORS

    detector = DETECTORS.detector(session)
    rules = [rule for rule in detector.engine.rules if _reads_hash(rule.when)]
    if not rules:
        return 0
    items = load_items(session, content_pks)
    # The verdicts locked first (PostgreSQL; SQLite writes one transaction at a time): a transaction
    # evaluating the same items again waits here for this one, then sees its rule hits below.
    verdicts = {
        v.content_pk: v
        for v in session.scalars(
            select(DetectionVerdict)
            .where(DetectionVerdict.content_pk.in_(content_pks))
            .order_by(DetectionVerdict.content_pk)
            .with_for_update()
        )
    }
    velocity = RecordedVelocity([dict(verdicts[i.content_pk].signals.get("velocity", {})) for i in items])
    # A replay for the providers: the matches are recorded already (above) and must not be again.
    compute_signals(
        items,
        detector.plan,
        velocity=velocity,
        labels=partial(labels_of, session),
        scope=SignalScope(session, now, replay=True),
    )
    done = set(
        session.execute(select(RuleHit.content_pk, RuleHit.rule_name).where(RuleHit.content_pk.in_(content_pks))).all()
    )
    hash_rules = {rule.name for rule in rules}
    hits, _failures = detector.evaluate(items)
    hits = [h for h in hits if h.rule.name in hash_rules and (h.item.content_pk, h.rule.name) not in done]
    apply_effects(session, hits, policies=current_policies(session), now=now)
    _record(session, hits, verdicts, items, now)
    return len({h.job_pk for h in hits if h.job_pk is not None})


def _reads_hash(condition: str) -> bool:
    found = reading(condition)
    if found is None:
        return True  # the walk cannot tell: let the rule run
    return any(path.names[:2] == ("signals", SIGNAL) or path.names == ("signals",) for path in found.paths)


def _record(
    session: Session, hits: Sequence[Hit], verdicts: dict[int, DetectionVerdict], items: Sequence[Any], now: datetime
) -> None:
    record_hits(session, hits, now)
    counted: dict[int, int] = {}
    for hit in hits:
        counted[hit.item.content_pk] = counted.get(hit.item.content_pk, 0) + 1
    changes = []
    for item in items:
        signals = dict(verdicts[item.content_pk].signals)
        hash_signals = signal_record(item).get(SIGNAL)
        if hash_signals is not None:
            signals[SIGNAL] = hash_signals
        changes.append({"key": item.content_pk, "new_signals": signals, "more_hits": counted.get(item.content_pk, 0)})
    if changes:
        table = table_of(DetectionVerdict)
        session.execute(
            update(table)
            .where(table.c.content_pk == bindparam("key"))
            .values(signals=bindparam("new_signals"), hits=table.c.hits + bindparam("more_hits")),
            changes,
        )
