"""Matching content against the hash banks: which entries each item is near, what becomes of each match
(a hit, suppressed by an allow bank, or quarantined by a flood), the matches recorded, and the signals
rules read (`signals.hash`).

What becomes of a match, in this order:
1. An item near an entry of an enabled allow bank is known to be fine: its matches in match banks are
   `suppressed` (recorded, not hits).
2. An entry of a bank with a flood limit (N within T) that has matched more than N items within T
   before this one (counting the items before it in the batch) is flooding, perhaps a hash of a meme or
   of a logo that went into the bank by mistake: the match is `quarantined`. Rules do not see it as a hit
   (nothing is acted on automatically) and the item is put in front of a reviewer instead, by a review
   job whose origin names the bank (`hash_flood:<bank>`).
3. Otherwise the match is a `hit`.

Matches are written in the caller's transaction, one row per (item, entry): a match is recorded, and
acted on, once. A replay (a backtest) computes the same signals and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem
from bastion.detect.fields import BOOL, INT, STRING_LIST, Field, Group
from bastion.detect.signals import SignalScope
from bastion.domain.match import HashBankKind, MatchStatus
from bastion.domain.subjects import SubjectType
from bastion.match.bank_index import BANK_INDEXES
from bastion.match.index import HashIndex
from bastion.match.pdq import HASH_BITS, MINIMUM_QUALITY
from bastion.store.schema import ContentItem, HashBank, HashBankEntry, HashMatch

SIGNAL = "hash"
NO_DISTANCE = HASH_BITS  # what `distance` reads when nothing matched: farther than any threshold
FLOOD_ORIGIN = "hash_flood"
PENDING = "hash_indexes_pending"  # in a session's info: the indexes to match against in this transaction

BANK_FIELDS = Group(
    "A hash bank's matches of the item's image (for an allow bank: the item is known to be fine).",
    {
        "hit": Field(
            BOOL,
            "The image is within the bank's threshold of one of its hashes, and the match stands "
            "(not suppressed by an allow bank, not held by a flood).",
        ),
        "distance": Field(
            INT, f"Bits between the image's hash and the nearest standing match ({NO_DISTANCE} when none)."
        ),
        "count": Field(INT, "How many of the bank's hashes matched and stand."),
        "labels": Field(STRING_LIST, "The labels of those hashes, each once."),
    },
)


@dataclass(frozen=True)
class BankInForce:
    """What matching needs to know of a bank."""

    pk: int
    name: str
    kind: HashBankKind
    threshold: int
    enabled: bool
    policy_id: str | None
    flood_limit: int | None
    flood_window: timedelta | None


@dataclass(frozen=True)
class FoundMatch:
    content_pk: int
    bank: BankInForce
    entry_pk: int
    distance: int
    label: str
    status: MatchStatus


def banks_in_force(session: Session) -> list[BankInForce]:
    """Every bank, by name."""
    return [
        BankInForce(
            bank.pk,
            bank.name,
            HashBankKind(bank.kind),
            bank.threshold,
            bank.enabled,
            bank.policy_id,
            bank.flood_limit,
            timedelta(seconds=bank.flood_window_seconds) if bank.flood_window_seconds is not None else None,
        )
        for bank in session.scalars(select(HashBank).order_by(HashBank.name))
    ]


def hash_fields(banks: Sequence[BankInForce]) -> Group:
    """`signals.hash`: a group per bank, and whether any match was held or allowed. A disabled bank keeps
    its group (it reads as no match), so that disabling a bank never stops the rules that read it."""
    fields: dict[str, Field | Group] = {bank.name: BANK_FIELDS for bank in banks}
    fields["flooded"] = Field(
        BOOL,
        "A match of the item's image was held for review: its entry matched more "
        "items than its bank's flood limit allows.",
    )
    fields["allowed"] = Field(
        BOOL, "The item's image matched an allow bank: its matches in other banks are suppressed."
    )
    return Group("PDQ hash bank matches of the item's image, by bank.", fields)


# --- finding ----------------------------------------------------------------------------------------


def find_matches(
    session: Session,
    hashes: Mapping[int, bytes],
    banks: Sequence[BankInForce],
    now: datetime,
    *,
    indexes: Sequence[HashIndex] | None = None,
) -> dict[int, list[FoundMatch]]:
    """Every enabled bank's entries within its threshold of each item's hash ({content pk: 32 bytes}),
    with what becomes of each (see the module doc), for the items in the order given. `indexes`: where
    to look (by default the store's index, caught up)."""
    enabled = {bank.pk: bank for bank in banks if bank.enabled}
    if not hashes or not enabled:
        return {}
    if indexes is None:
        indexes = session.info.get(PENDING) or [BANK_INDEXES.index(session)]
    indexes = [index for index in indexes if len(index)]
    if not indexes:
        return {}
    pks = list(hashes)
    queries = np.frombuffer(b"".join(hashes[pk] for pk in pks), dtype=np.uint8).reshape(len(pks), -1)
    radius = max(bank.threshold for bank in enabled.values())
    merged = [dict(found) for found in indexes[0].search(queries, radius)]
    for index in indexes[1:]:
        for seen, found in zip(merged, index.search(queries, radius), strict=True):
            seen.update(found)
    near = [sorted(found.items(), key=lambda pair: (pair[1], pair[0])) for found in merged]
    entries = active_entries(session, {key for found in near for key, _ in found})
    raw: dict[int, list[tuple[BankInForce, int, int, str]]] = {}
    for pk, found in zip(pks, near, strict=True):
        for key, distance in found:
            entry = entries.get(key)
            bank = enabled.get(entry[0]) if entry else None
            if entry is None or bank is None or distance > bank.threshold:
                continue
            raw.setdefault(pk, []).append((bank, key, distance, entry[1]))
    floods = _recent_counts(session, raw, now)
    found_matches: dict[int, list[FoundMatch]] = {}
    for pk in pks:
        matches = raw.get(pk, [])
        allowed = any(bank.kind is HashBankKind.ALLOW for bank, *_ in matches)
        for bank, entry_pk, distance, label in matches:
            status = MatchStatus.HIT
            if bank.kind is HashBankKind.MATCH and allowed:
                status = MatchStatus.SUPPRESSED
            elif bank.flood_limit is not None:
                floods[entry_pk] += 1
                if floods[entry_pk] > bank.flood_limit:
                    status = MatchStatus.QUARANTINED
            found_matches.setdefault(pk, []).append(FoundMatch(pk, bank, entry_pk, distance, label, status))
    return found_matches


def active_entries(session: Session, keys: set[int]) -> dict[int, tuple[int, str]]:
    """{entry key: (bank key, label)} of the active entries among `keys` (the store has the last word:
    an entry removed since the index last caught up is not matched)."""
    found: dict[int, tuple[int, str]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 900):
        rows = session.execute(
            select(HashBankEntry.pk, HashBankEntry.bank_pk, HashBankEntry.label).where(
                HashBankEntry.pk.in_(ordered[start : start + 900]), HashBankEntry.removed_at.is_(None)
            )
        )
        found.update((int(pk), (int(bank_pk), label)) for pk, bank_pk, label in rows)
    return found


def _recent_counts(
    session: Session, raw: Mapping[int, list[tuple[BankInForce, int, int, str]]], now: datetime
) -> Counter[int]:
    """How many items each flood-limited entry matched within its bank's window, before these items."""
    windows: dict[int, timedelta] = {}
    for matches in raw.values():
        for bank, entry_pk, *_ in matches:
            if bank.flood_window is not None:
                windows[entry_pk] = bank.flood_window
    counts: Counter[int] = Counter()
    for window in set(windows.values()):
        entry_pks = [pk for pk, w in windows.items() if w == window]
        rows = session.execute(
            select(HashMatch.entry_pk, func.count())
            .where(
                HashMatch.entry_pk.in_(entry_pks),
                HashMatch.found_at > now - window,
                HashMatch.content_pk.not_in(list(raw)),
                HashMatch.status != MatchStatus.SUPPRESSED.value,
            )
            .group_by(HashMatch.entry_pk)
        )
        counts.update({int(pk): int(count) for pk, count in rows})
    return counts


# --- recording --------------------------------------------------------------------------------------

_CHUNK = 500


def record_matches(
    session: Session, found: Mapping[int, Sequence[FoundMatch]], *, now: datetime, retroactive: bool
) -> set[int]:
    """Write the matches not recorded yet (one row per item and entry); the items that got a new one.

    `ON CONFLICT DO NOTHING` on (content, entry): when two transactions record the same match, the second
    waits for the first and records nothing, so only one of them goes on to act on it."""
    rows = [
        {
            "content_pk": m.content_pk,
            "bank_pk": m.bank.pk,
            "entry_pk": m.entry_pk,
            "distance": m.distance,
            "found_at": now,
            "retroactive": retroactive,
            "status": m.status.value,
        }
        for matches in found.values()
        for m in matches
    ]
    dialect = session.get_bind().dialect.name
    new: set[int] = set()
    for start in range(0, len(rows), _CHUNK):
        statement = (
            (postgresql_insert if dialect == "postgresql" else sqlite_insert)(HashMatch)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["content_pk", "entry_pk"])
            .returning(HashMatch.content_pk)
        )
        new.update(int(pk) for pk in session.scalars(statement))
    return new


def hold_flooded(session: Session, found: Mapping[int, Sequence[FoundMatch]], *, now: datetime) -> int:
    """Open a review job for every item with a quarantined match; returns how many were asked for."""
    from bastion.review.intake import NewWork, open_jobs

    work = []
    for pk, matches in found.items():
        held = [m for m in matches if m.status is MatchStatus.QUARANTINED]
        if held:
            bank = held[0].bank
            work.append(
                NewWork(
                    SubjectType.CONTENT,
                    pk,
                    bank.policy_id,
                    report_pk=None,
                    weighted_reports=0.0,
                    rule_id=f"{FLOOD_ORIGIN}:{bank.name}",
                    principal=f"hash_bank:{bank.name}",
                )
            )
    open_jobs(session, work, now=now, principal="detection")
    return len(work)


def signal_values(matches: Sequence[FoundMatch], banks: Sequence[BankInForce]) -> dict[str, Any]:
    """`signals.hash` of one item."""
    values: dict[str, Any] = {}
    for bank in banks:
        standing = [m for m in matches if m.bank.pk == bank.pk and m.status is MatchStatus.HIT]
        values[bank.name] = {
            "hit": bool(standing),
            "distance": min((m.distance for m in standing), default=NO_DISTANCE),
            "count": len(standing),
            "labels": sorted({m.label for m in standing if m.label}),
        }
    values["flooded"] = any(m.status is MatchStatus.QUARANTINED for m in matches)
    values["allowed"] = any(m.bank.kind is HashBankKind.ALLOW for m in matches)
    return values


def usable_hashes(session: Session, items: Sequence[DetectionItem]) -> dict[int, bytes]:
    """{content pk: hash} of the items whose image hash can be matched: 64 hex digits, and a quality of
    at least 50 where the quality is known."""
    candidates = {item.content_pk: item.media_pdq for item in items if len(item.media_pdq) == 64}
    if not candidates:
        return {}
    too_poor = set(
        session.scalars(
            select(ContentItem.pk).where(
                ContentItem.pk.in_(list(candidates)), ContentItem.media_quality < MINIMUM_QUALITY
            )
        )
    )
    usable: dict[int, bytes] = {}
    for pk, hex_hash in candidates.items():
        if pk in too_poor:
            continue
        try:
            usable[pk] = bytes.fromhex(hex_hash)
        except ValueError:
            continue
    return usable


class HashSignals:
    """The `hash` signal group: built with the banks there are when the detector is built."""

    name = SIGNAL

    def __init__(self, banks: Sequence[BankInForce]) -> None:
        self.banks = list(banks)
        self.fields = hash_fields(self.banks)

    def compute(self, items: Sequence[DetectionItem], scope: SignalScope) -> Sequence[Mapping[str, Any]]:
        found = find_matches(scope.session, usable_hashes(scope.session, items), self.banks, scope.now)
        if found and not scope.replay:
            record_matches(scope.session, found, now=scope.now, retroactive=False)
            hold_flooded(scope.session, found, now=scope.now)
        return [signal_values(found.get(item.content_pk, ()), self.banks) for item in items]
