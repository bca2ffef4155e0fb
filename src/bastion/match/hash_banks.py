"""Hash banks in the store: named sets of PDQ hashes that content is matched against.

A bank is a match bank (content near one of its hashes is a hit that rules act on, as
`signals.hash.<bank>`) or an allow bank (a negative bank: content near one of its hashes is known to be
fine, and suppresses the hits of match banks). Each bank has its own distance threshold (31 bits by
default), may stand for a policy, and may have a flood limit: an entry that matches more than N items
within T seconds has its further matches held for review instead of acted on (see `matching`).

An import is read whole first (`hash_lists`): a bad row is an error naming its line and nothing is
written. Hashes already in the bank are counted and kept once. Every change (create, import, enable,
disable, threshold, removal) adds one to the bank's `version` and writes an audit row in the caller's
transaction, so detectors and the in-process index know to catch up. Adding hashes matches them at once
against the content already stored (`retroactive`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.domain.match import HashBankKind, MatchStatus
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.match.hash_lists import HashList, ListFormat, read_hash_list
from bastion.match.pdq import DEFAULT_THRESHOLD, hashes_as_bytes
from bastion.store.schema import HashBank, HashBankEntry, HashMatch

BANK_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
RESERVED_NAMES = frozenset({"flooded", "allowed"})  # fields of signals.hash itself
BANK_NAME_RULE = (
    "must start with a lower-case letter and hold only lower-case letters, digits and _ (at most 64): "
    "rules read a bank as signals.hash.NAME"
)
MAX_THRESHOLD = 128
MAX_DESCRIPTION_CHARS = 2_000
MAX_SOURCE_CHARS = 512
MAX_PRINCIPAL_CHARS = 128
MAX_IMPORT_HASHES = 1_000_000
MAX_FLOOD_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class FloodLimit:
    """More than `limit` matches of one entry within `window_seconds`: further matches are held for review."""

    limit: int
    window_seconds: int

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)


@dataclass(frozen=True)
class HashBankSummary:
    """A bank as lists show it: its settings, its size and how much it matched."""

    name: str
    kind: HashBankKind
    description: str
    threshold: int
    enabled: bool
    policy_id: str | None
    flood: FloodLimit | None
    version: int
    entry_count: int
    match_count: int  # matches recorded, whatever their status
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class HashImport:
    """What an import did: hashes added, those already in the bank, rows of other signal types skipped,
    and the stored items the new hashes matched at once (see `retroactive`)."""

    bank: str
    format: ListFormat
    added: int
    already_present: int
    skipped: int
    entry_count: int
    retroactive_matches: int
    items_rechecked: int
    jobs_opened: int


@dataclass(frozen=True)
class RecentMatch:
    bank: str
    content_id: str
    distance: int
    label: str
    status: MatchStatus
    retroactive: bool
    found_at: datetime


# --- writing ----------------------------------------------------------------------------------------


def create_hash_bank(
    session: Session,
    name: str,
    *,
    kind: HashBankKind | str = HashBankKind.MATCH,
    description: str = "",
    threshold: int = DEFAULT_THRESHOLD,
    policy_id: str | None = None,
    flood: FloodLimit | None = None,
    principal: str,
    now: datetime,
) -> HashBankSummary:
    """Add an empty, enabled bank. `InvalidInput` names each bad field; `Conflict` when the name is taken."""
    errors = _name_errors(name)
    if kind not in set(HashBankKind):
        errors.append(FieldError("kind", f"must be one of {', '.join(HashBankKind)}; got {str(kind)[:40]!r}"))
    errors.extend(_threshold_errors(threshold))
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors.append(
            FieldError("description", f"is {len(description):,} characters long; at most {MAX_DESCRIPTION_CHARS:,}")
        )
    if policy_id is not None:
        errors.extend(_policy_errors(session, policy_id))
    if flood is not None:
        errors.extend(_flood_errors(flood))
    if errors:
        raise InvalidInput("the hash bank cannot be created", errors)
    if session.scalar(select(HashBank.pk).where(HashBank.name == name)) is not None:
        raise Conflict(f"a hash bank named {name!r} already exists")
    who = principal[:MAX_PRINCIPAL_CHARS]
    row = HashBank(
        name=name,
        description=description.strip(),
        kind=HashBankKind(kind).value,
        threshold=threshold,
        enabled=True,
        policy_id=policy_id,
        flood_limit=flood.limit if flood else None,
        flood_window_seconds=flood.window_seconds if flood else None,
        version=1,
        created_at=as_utc(now),
        created_by=who,
        updated_at=as_utc(now),
        updated_by=who,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a hash bank named {name!r} was created at the same time; pick another name") from exc
    details: dict[str, Any] = {"kind": row.kind, "threshold": threshold, "policy": policy_id}
    if flood is not None:
        details["flood"] = {"limit": flood.limit, "window_seconds": row.flood_window_seconds}
    audit_log.record(
        session, principal=principal, action="hash_bank.create", target=f"hash_bank:{name}", at=now, details=details
    )
    return _summaries(session, [row])[0]


def import_hashes(
    session: Session,
    name: str,
    text: str,
    *,
    list_format: ListFormat | str = ListFormat.AUTO,
    principal: str,
    now: datetime,
    source: str = "",
) -> HashImport:
    """Add the hashes of a list (see `hash_lists`) to a bank, then match them against stored content."""
    listed = read_hash_list(text, list_format)
    return add_hashes(session, name, listed, principal=principal, now=now, source=source)


def add_hashes(
    session: Session, name: str, listed: HashList, *, principal: str, now: datetime, source: str = ""
) -> HashImport:
    """Add hashes already read to a bank, then match the new ones against stored content."""
    from bastion.match.retroactive import match_stored_content

    if len(listed.hashes) > MAX_IMPORT_HASHES:
        raise InvalidInput(
            f"the list holds {len(listed.hashes):,} hashes; import at most {MAX_IMPORT_HASHES:,} at a time"
        )
    bank = _bank_row(session, name)
    who = principal[:MAX_PRINCIPAL_CHARS]
    # The bank's row first: its lock makes imports into one bank commit one after the other, in the
    # order of their entry keys, which the index relies on to catch up (see bank_index).
    _bump(session, bank, who, now)
    session.flush()
    present = _active_hashes(session, bank.pk, [h.hash for h in listed.hashes])
    new: dict[bytes, str] = {}
    for listed_hash in listed.hashes:
        if listed_hash.hash not in present and listed_hash.hash not in new:
            new[listed_hash.hash] = listed_hash.label
    rows = [
        {
            "bank_pk": bank.pk,
            "hash": raw,
            "label": label,
            "source": source[-MAX_SOURCE_CHARS:],
            "added_at": as_utc(now),
            "added_by": who,
            "removed_at": None,
        }
        for raw, label in new.items()
    ]
    entry_pks: list[int] = []
    try:
        for start in range(0, len(rows), 5_000):
            chunk = rows[start : start + 5_000]
            entry_pks.extend(session.scalars(insert(HashBankEntry).returning(HashBankEntry.pk), chunk))
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another import into hash bank {name!r} added some of these hashes at the same time; import again"
        ) from exc
    retro = match_stored_content(session, entry_pks, now=now)
    details: dict[str, Any] = {
        "format": str(listed.format),
        "added": len(rows),
        "already_present": len(listed.hashes) - len(rows),
        "retroactive_matches": retro.matches,
        "items_rechecked": retro.items_rechecked,
    }
    audit_log.record(
        session, principal=principal, action="hash_bank.import", target=f"hash_bank:{name}", at=now, details=details
    )
    return HashImport(
        bank=name,
        format=listed.format,
        added=len(rows),
        already_present=len(listed.hashes) - len(rows),
        skipped=listed.skipped,
        entry_count=_entry_count(session, bank.pk),
        retroactive_matches=retro.matches,
        items_rechecked=retro.items_rechecked,
        jobs_opened=retro.jobs_opened,
    )


def remove_hashes(session: Session, name: str, hex_hashes: Sequence[str], *, principal: str, now: datetime) -> int:
    """Take hashes out of a bank (their matches stay on record); returns how many were in it."""
    raw = hashes_as_bytes(hex_hashes, "some hashes cannot be read; nothing was removed")
    bank = _bank_row(session, name)
    result = session.execute(
        update(HashBankEntry)
        .where(HashBankEntry.bank_pk == bank.pk, HashBankEntry.hash.in_(raw), HashBankEntry.removed_at.is_(None))
        .values(removed_at=as_utc(now))
        .execution_options(synchronize_session=False)
    )
    removed = cast(CursorResult[Any], result).rowcount
    _bump(session, bank, principal[:MAX_PRINCIPAL_CHARS], now)
    audit_log.record(
        session,
        principal=principal,
        action="hash_bank.remove",
        target=f"hash_bank:{name}",
        at=now,
        details={"removed": removed},
    )
    return int(removed)


def set_enabled(session: Session, name: str, enabled: bool, *, principal: str, now: datetime) -> HashBankSummary:
    """Enable or disable a bank: a disabled bank matches nothing (its hashes stay)."""
    bank = _bank_row(session, name)
    if bank.enabled != enabled:
        bank.enabled = enabled
        _bump(session, bank, principal[:MAX_PRINCIPAL_CHARS], now)
        action = "hash_bank.enable" if enabled else "hash_bank.disable"
        audit_log.record(session, principal=principal, action=action, target=f"hash_bank:{name}", at=now)
    return _summaries(session, [bank])[0]


def set_threshold(session: Session, name: str, threshold: int, *, principal: str, now: datetime) -> HashBankSummary:
    """Change the distance (in bits) within which content matches this bank's hashes."""
    errors = _threshold_errors(threshold)
    if errors:
        raise InvalidInput("the threshold cannot be set", errors)
    bank = _bank_row(session, name)
    if bank.threshold != threshold:
        details = {"from": bank.threshold, "to": threshold}
        bank.threshold = threshold
        _bump(session, bank, principal[:MAX_PRINCIPAL_CHARS], now)
        audit_log.record(
            session,
            principal=principal,
            action="hash_bank.threshold",
            target=f"hash_bank:{name}",
            at=now,
            details=details,
        )
    return _summaries(session, [bank])[0]


def _bump(session: Session, bank: HashBank, who: str, now: datetime) -> None:
    from bastion.match.bank_index import changed_in

    changed_in(session)
    bank.version += 1
    bank.updated_at = as_utc(now)
    bank.updated_by = who


# --- reading ----------------------------------------------------------------------------------------


def list_hash_banks(session: Session) -> list[HashBankSummary]:
    """Every hash bank, by name, with its size and match count."""
    return _summaries(session, list(session.scalars(select(HashBank).order_by(HashBank.name))))


def hash_bank(session: Session, name: str) -> HashBankSummary:
    return _summaries(session, [_bank_row(session, name)])[0]


def recent_matches(session: Session, *, limit: int = 50, bank: str | None = None) -> list[RecentMatch]:
    """The newest matches, newest first (of one bank, or of all)."""
    from bastion.store.schema import ContentItem

    query = (
        select(HashBank.name, ContentItem.external_id, HashMatch, HashBankEntry.label)
        .join(HashBank, HashBank.pk == HashMatch.bank_pk)
        .join(ContentItem, ContentItem.pk == HashMatch.content_pk)
        .join(HashBankEntry, HashBankEntry.pk == HashMatch.entry_pk)
        .order_by(HashMatch.found_at.desc(), HashMatch.pk.desc())
        .limit(limit)
    )
    if bank is not None:
        query = query.where(HashBank.name == bank)
    return [
        RecentMatch(name, content_id, m.distance, label, MatchStatus(m.status), m.retroactive, as_utc(m.found_at))
        for name, content_id, m, label in session.execute(query)
    ]


def bank_versions(session: Session) -> tuple[tuple[int, int], ...]:
    """(bank key, version) of every bank: changes with any change to any bank."""
    return tuple(
        (int(pk), int(version))
        for pk, version in session.execute(select(HashBank.pk, HashBank.version).order_by(HashBank.pk))
    )


def _summaries(session: Session, banks: Sequence[HashBank]) -> list[HashBankSummary]:
    pks = [bank.pk for bank in banks]
    sizes = dict(
        session.execute(
            select(HashBankEntry.bank_pk, func.count())
            .where(HashBankEntry.bank_pk.in_(pks), HashBankEntry.removed_at.is_(None))
            .group_by(HashBankEntry.bank_pk)
        ).all()
    )
    matched = dict(
        session.execute(
            select(HashMatch.bank_pk, func.count()).where(HashMatch.bank_pk.in_(pks)).group_by(HashMatch.bank_pk)
        ).all()
    )
    return [
        HashBankSummary(
            name=bank.name,
            kind=HashBankKind(bank.kind),
            description=bank.description,
            threshold=bank.threshold,
            enabled=bank.enabled,
            policy_id=bank.policy_id,
            flood=_flood_of(bank),
            version=bank.version,
            entry_count=int(sizes.get(bank.pk, 0)),
            match_count=int(matched.get(bank.pk, 0)),
            created_at=as_utc(bank.created_at),
            created_by=bank.created_by,
            updated_at=as_utc(bank.updated_at),
            updated_by=bank.updated_by,
        )
        for bank in banks
    ]


def _flood_of(bank: HashBank) -> FloodLimit | None:
    if bank.flood_limit is None or bank.flood_window_seconds is None:
        return None
    return FloodLimit(bank.flood_limit, bank.flood_window_seconds)


def _entry_count(session: Session, bank_pk: int) -> int:
    count = session.scalar(
        select(func.count()).where(HashBankEntry.bank_pk == bank_pk, HashBankEntry.removed_at.is_(None))
    )
    return int(count or 0)


def _active_hashes(session: Session, bank_pk: int, hashes: Sequence[bytes]) -> set[bytes]:
    present: set[bytes] = set()
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), 900):
        present.update(
            bytes(h)
            for h in session.scalars(
                select(HashBankEntry.hash).where(
                    HashBankEntry.bank_pk == bank_pk,
                    HashBankEntry.removed_at.is_(None),
                    HashBankEntry.hash.in_(unique[start : start + 900]),
                )
            )
        )
    return present


def _bank_row(session: Session, name: str) -> HashBank:
    bank = session.scalars(select(HashBank).where(HashBank.name == name)).one_or_none()
    if bank is None:
        raise NotFound(f"there is no hash bank named {name[:80]!r}")
    return bank


def _name_errors(name: str) -> list[FieldError]:
    if name in RESERVED_NAMES:
        return [FieldError("name", f"{name!r} is taken by signals.hash.{name}; pick another name")]
    if BANK_NAME.fullmatch(name):
        return []
    message = f"{name[:80]!r} {BANK_NAME_RULE}" if name else f"is empty; a hash bank name {BANK_NAME_RULE}"
    return [FieldError("name", message)]


def _threshold_errors(threshold: int) -> list[FieldError]:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= MAX_THRESHOLD:
        return [FieldError("threshold", f"must be a whole number of bits from 0 to {MAX_THRESHOLD}; got {threshold!r}")]
    return []


def _flood_errors(flood: FloodLimit) -> list[FieldError]:
    errors = []
    if flood.limit < 1:
        errors.append(FieldError("flood_limit", f"must be at least 1; got {flood.limit}"))
    if not 1 <= flood.window_seconds <= MAX_FLOOD_WINDOW.total_seconds():
        errors.append(
            FieldError("flood_window_seconds", f"must be from 1 second to 30 days; got {flood.window_seconds}")
        )
    return errors


def _policy_errors(session: Session, policy_id: str) -> list[FieldError]:
    from bastion.policy.service import current_policies

    if policy_id in current_policies(session):
        return []
    return [FieldError("policy", f"there is no policy {policy_id[:80]!r} in force")]
