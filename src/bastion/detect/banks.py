"""Banks in the store: named lists of keywords or RE2 patterns, versioned by import.

A bank is created empty (`create_bank`); each import (`import_entries` from text, one entry a line, or
`import_entry_list` from a list) adds a version holding the bank's whole list, so a rule's hit can
always be traced to the exact list that was in force. An import is checked whole first: a bad entry
(a pattern RE2 refuses, a keyword that folds to nothing, an entry over `MAX_ENTRY_CHARS`) is an error
naming its line or index, and nothing is written. Entries that repeat one already in the list (for
keywords: once folded, see `normalise`) are reported once and kept once.

Workers read the banks in force through `banks_in_force`, which compiles each bank once per version
and keeps it while that version stays in force. The caller owns the transaction; audit rows are
written here (`bank.create`, `bank.import`), in it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.detect.keywords import KeywordBank, KeywordMatch
from bastion.detect.normalise import fold
from bastion.detect.regexes import RegexBank, RegexMatch, pattern_problem
from bastion.domain.detect import BankKind
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.ingest.payloads import text_problem
from bastion.store.newest import NewestVersion
from bastion.store.schema import Bank, BankVersion

BANK_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
BANK_NAME_RULE = (
    "must start with a lower-case letter and hold only lower-case letters, digits and _ (at most 64): "
    "rules read a bank as signals.keyword.NAME or signals.regex.NAME, and a name there cannot hold - or ."
)
MAX_ENTRY_CHARS = 256
MAX_ENTRIES = 50_000
MAX_DESCRIPTION_CHARS = 2_000
MAX_SOURCE_CHARS = 512
MAX_PRINCIPAL_CHARS = 128
log = structlog.get_logger(__name__)
COMMENT = "#"
ESCAPED_COMMENT = "\\#"  # a line starting `\#` is the entry `#…`, not a comment


@dataclass(frozen=True)
class BankSummary:
    """A bank as the list shows it: its current version (0 before the first import) and size."""

    name: str
    kind: BankKind
    description: str
    version: int
    entry_count: int
    created_at: datetime
    created_by: str
    updated_at: datetime | None  # when the current version was imported


@dataclass(frozen=True)
class BankVersionRecord:
    """One version of a bank: how many entries, their digest, who imported them, when, from where."""

    version: int
    entry_count: int
    digest: str
    source: str
    loaded_at: datetime
    loaded_by: str


@dataclass(frozen=True)
class BankDetail:
    """A bank with its versions (newest first) and one page of its current entries, in the order written:
    those containing `contains` (for keywords: once folded), from `offset`; `matching` counts them all."""

    name: str
    kind: BankKind
    description: str
    created_at: datetime
    created_by: str
    version: int  # the current version, 0 before the first import
    entry_count: int  # in the current version
    versions: tuple[BankVersionRecord, ...]
    entries: tuple[str, ...]
    matching: int
    offset: int
    contains: str


@dataclass(frozen=True)
class BankImport:
    """What an import did: the version it added, how many entries were new, which repeated."""

    bank: str
    version: int
    entry_count: int  # in the new version
    added: int
    duplicates: tuple[str, ...]  # as written, each once: repeated in the import or already in the list
    replaced: bool


@dataclass(frozen=True)
class CompiledBanks:
    """Every bank in force, compiled: what the pipeline matches each item against."""

    keyword: Mapping[str, KeywordBank] = field(default_factory=dict)
    regex: Mapping[str, RegexBank] = field(default_factory=dict)

    def keyword_matches(self, folded_text: str) -> dict[str, KeywordMatch]:
        return {name: bank.matches(folded_text) for name, bank in self.keyword.items()}

    def regex_matches(self, text: str) -> dict[str, RegexMatch]:
        return {name: bank.matches(text) for name, bank in self.regex.items()}


# --- writing ----------------------------------------------------------------------------------------


def create_bank(
    session: Session, name: str, kind: BankKind | str, description: str = "", *, principal: str, now: datetime
) -> BankSummary:
    """Add an empty bank (version 0). Raises `InvalidInput` for a bad name, kind or description and
    `Conflict` when the name is taken (by a bank of either kind)."""
    errors = _name_errors(name)
    kinds = ", ".join(BankKind)
    if kind not in set(BankKind):
        errors.append(FieldError("kind", f"must be one of {kinds}; got {str(kind)[:40]!r}"))
    if text_problem(description) is not None:
        errors.append(FieldError("description", str(text_problem(description))))
    elif len(description) > MAX_DESCRIPTION_CHARS:
        too_long = f"is {len(description):,} characters long; at most {MAX_DESCRIPTION_CHARS:,}"
        errors.append(FieldError("description", too_long))
    if errors:
        raise InvalidInput("the bank cannot be created", errors)
    if session.scalar(select(Bank.pk).where(Bank.name == name)) is not None:
        raise Conflict(f"a bank named {name!r} already exists")
    row = Bank(
        name=name,
        kind=BankKind(kind).value,
        description=description.strip(),
        created_at=as_utc(now),
        created_by=principal[:MAX_PRINCIPAL_CHARS],
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a bank named {name!r} was created at the same time; pick another name") from exc
    _newest.forget(session)
    audit_log.record(
        session, principal=principal, action="bank.create", target=f"bank:{name}", at=now, details={"kind": row.kind}
    )
    return _summary(row, None)


def import_entries(
    session: Session, name: str, text: str, *, replace: bool, principal: str, now: datetime, source: str
) -> BankImport:
    """Import one entry a line of `text`: blank lines and lines starting with `#` are skipped, entries are
    trimmed; errors name their line. `replace=False` appends to the current list."""
    numbered = [
        (FieldError("", "", line=number), entry)
        for number, line in enumerate(text.splitlines(), start=1)
        if (entry := _entry_of_line(line)) is not None
    ]
    return _import(session, name, numbered, replace=replace, principal=principal, now=now, source=source)


def import_entry_list(
    session: Session, name: str, entries: Sequence[str], *, replace: bool, principal: str, now: datetime, source: str
) -> BankImport:
    """Import a list of entries, each trimmed and taken as it is (no comments); errors name `entries[i]`."""
    numbered = [(FieldError(f"entries[{index}]", ""), entry.strip()) for index, entry in enumerate(entries)]
    return _import(session, name, numbered, replace=replace, principal=principal, now=now, source=source)


def _entry_of_line(line: str) -> str | None:
    entry = line.strip()
    if not entry or entry.startswith(COMMENT):
        return None
    return entry[1:] if entry.startswith(ESCAPED_COMMENT) else entry


def _import(
    session: Session,
    name: str,
    numbered: Sequence[tuple[FieldError, str]],
    *,
    replace: bool,
    principal: str,
    now: datetime,
    source: str,
) -> BankImport:
    if len(numbered) > MAX_ENTRIES:  # before checking each entry: refuse a huge import at once
        raise InvalidInput(f"the import holds {len(numbered):,} entries; a bank holds at most {MAX_ENTRIES:,}")
    bank = _bank_row(session, name)
    kind = BankKind(bank.kind)
    current = _newest_version_row(session, bank.pk)
    kept: list[str] = [] if replace or current is None else list(current.entries)
    seen = {_identity(kind, entry) for entry in kept}
    errors: list[FieldError] = []
    duplicates: dict[str, None] = {}
    added = 0
    for where, entry in numbered:
        problem = entry_problem(kind, entry)
        if problem is not None:
            errors.append(FieldError(where.path, problem, where.line))
            continue
        identity = _identity(kind, entry)
        if identity in seen:
            duplicates[entry] = None
            continue
        seen.add(identity)
        kept.append(entry)
        added += 1
    if errors:
        noun = "entry" if len(errors) == 1 else "entries"
        raise InvalidInput(f"{len(errors)} {noun} cannot go into bank {name!r}; nothing was imported", errors)
    if len(kept) > MAX_ENTRIES:
        raise InvalidInput(f"bank {name!r} would hold {len(kept):,} entries; a bank holds at most {MAX_ENTRIES:,}")
    version = (current.version if current is not None else 0) + 1
    session.add(
        BankVersion(
            bank_pk=bank.pk,
            version=version,
            digest=entries_digest(kept),
            entries=kept,
            entry_count=len(kept),
            source=source[-MAX_SOURCE_CHARS:],
            loaded_at=as_utc(now),
            loaded_by=principal[:MAX_PRINCIPAL_CHARS],
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"another import into bank {name!r} added a version at the same time; import again") from exc
    _newest.forget(session)
    details: dict[str, Any] = {"version": version, "entries": len(kept), "added": added, "replace": replace}
    audit_log.record(session, principal=principal, action="bank.import", target=f"bank:{name}", at=now, details=details)
    return BankImport(name, version, len(kept), added, tuple(duplicates), replace)


def entry_problem(kind: BankKind, entry: str) -> str | None:
    """Why `entry` cannot go into a bank of `kind` (already trimmed), or None."""
    if not entry:
        return "is empty"
    unstorable = text_problem(entry)
    if unstorable is not None:
        return unstorable
    if len(entry) > MAX_ENTRY_CHARS:
        return f"is {len(entry):,} characters long; an entry holds at most {MAX_ENTRY_CHARS}"
    if kind is BankKind.KEYWORD:
        return None if fold(entry) else "folds to nothing: a keyword needs at least one letter or digit"
    problem = pattern_problem(entry)
    return None if problem is None else f"RE2 refuses this pattern: {problem}"


def _identity(kind: BankKind, entry: str) -> str:
    return fold(entry) if kind is BankKind.KEYWORD else entry


def entries_digest(entries: Iterable[str]) -> str:
    """SHA-256 of the entries as canonical JSON: equal lists, equal digests."""
    body = json.dumps(list(entries), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --- reading ----------------------------------------------------------------------------------------


def list_banks(session: Session) -> list[BankSummary]:
    """Every bank, by name, with its current version."""
    newest = _newest_versions_query().subquery()
    rows = session.execute(
        select(Bank, BankVersion.version, BankVersion.entry_count, BankVersion.loaded_at)
        .outerjoin(newest, newest.c.bank_pk == Bank.pk)
        .outerjoin(BankVersion, (BankVersion.bank_pk == Bank.pk) & (BankVersion.version == newest.c.version))
        .order_by(Bank.name)
    )
    return [
        _summary(bank, (version, count, loaded_at) if version is not None else None)
        for bank, version, count, loaded_at in rows
    ]


def bank_detail(
    session: Session, name: str, *, contains: str = "", offset: int = 0, limit: int | None = None
) -> BankDetail:
    """A bank's versions, newest first, and a page of its current entries. Raises `NotFound`."""
    bank = _bank_row(session, name)
    versions = session.execute(
        select(
            BankVersion.version,
            BankVersion.entry_count,
            BankVersion.digest,
            BankVersion.source,
            BankVersion.loaded_at,
            BankVersion.loaded_by,
        )
        .where(BankVersion.bank_pk == bank.pk)
        .order_by(BankVersion.version.desc())
    ).all()
    records = tuple(
        BankVersionRecord(row.version, row.entry_count, row.digest, row.source, as_utc(row.loaded_at), row.loaded_by)
        for row in versions
    )
    entries: list[str] = []
    if records:
        entries = session.scalars(
            select(BankVersion.entries).where(BankVersion.bank_pk == bank.pk, BankVersion.version == records[0].version)
        ).one()
    kind = BankKind(bank.kind)
    selected = _containing(kind, entries, contains) if contains else entries
    end = None if limit is None else offset + limit
    return BankDetail(
        name=bank.name,
        kind=kind,
        description=bank.description,
        created_at=as_utc(bank.created_at),
        created_by=bank.created_by,
        version=records[0].version if records else 0,
        entry_count=len(entries),
        versions=records,
        entries=tuple(selected[offset:end]),
        matching=len(selected),
        offset=offset,
        contains=contains,
    )


def _containing(kind: BankKind, entries: Sequence[str], contains: str) -> list[str]:
    if kind is BankKind.KEYWORD:
        wanted = fold(contains)
        return [entry for entry in entries if wanted in fold(entry)]
    wanted = contains.casefold()
    return [entry for entry in entries if wanted in entry.casefold()]


def banks_in_force(session: Session) -> CompiledBanks:
    """Every bank at its newest version, compiled; a bank with no import yet is an empty bank.

    A process compiles each bank once per version: the compiled bank is kept, keyed by kind and name,
    until a newer version replaces it. Which versions are newest is looked up at most every couple of
    seconds per store (`store.newest`); an import in this process is seen at once.
    """
    in_force = _newest.get(session, _versions_in_force)
    keyword: dict[str, KeywordBank] = {}
    regex: dict[str, RegexBank] = {}
    for name, kind, version, digest in in_force:
        compiled = _compiled_bank(session, name, kind, version, digest)
        if isinstance(compiled, KeywordBank):
            keyword[name] = compiled
        else:
            regex[name] = compiled
    return CompiledBanks(keyword=keyword, regex=regex)


_InForce = tuple[tuple[str, BankKind, int, str], ...]  # (name, kind, version, digest), by name


def _versions_in_force(session: Session) -> _InForce:
    newest = _newest_versions_query().subquery()
    rows = session.execute(
        select(Bank.name, Bank.kind, BankVersion.version, BankVersion.digest)
        .outerjoin(newest, newest.c.bank_pk == Bank.pk)
        .outerjoin(BankVersion, (BankVersion.bank_pk == Bank.pk) & (BankVersion.version == newest.c.version))
        .order_by(Bank.name)
    )
    return tuple(
        (name, BankKind(kind), version or 0, digest or entries_digest(())) for name, kind, version, digest in rows
    )


# (kind, name) -> (version, digest, compiled). The digest is part of the key because one process may
# serve more than one store (tests do), where the same name and version can hold different lists.
_compiled: dict[tuple[BankKind, str], tuple[int, str, KeywordBank | RegexBank]] = {}


def _compiled_bank(session: Session, name: str, kind: BankKind, version: int, digest: str) -> KeywordBank | RegexBank:
    known = _compiled.get((kind, name))
    if known is not None and known[:2] == (version, digest):
        return known[2]
    entries: list[str] = []
    if version:
        entries = session.scalars(
            select(BankVersion.entries)
            .join(Bank, Bank.pk == BankVersion.bank_pk)
            .where(Bank.name == name, BankVersion.version == version)
        ).one()
    # Imports refuse bad entries, but a newer Bastion may fold or parse differently than the one that
    # imported them: such an entry is left out (and logged, without its text) rather than stopping detection.
    usable = [entry for entry in entries if entry_problem(kind, entry) is None]
    if len(usable) < len(entries):
        log.error("bank_entries_skipped", bank=name, version=version, skipped=len(entries) - len(usable))
    compiled: KeywordBank | RegexBank = (
        KeywordBank(name, version, usable) if kind is BankKind.KEYWORD else RegexBank(name, version, usable)
    )
    _compiled[(kind, name)] = (version, digest, compiled)
    return compiled


_newest: NewestVersion[_InForce] = NewestVersion()


def _newest_versions_query() -> Any:
    return select(BankVersion.bank_pk, func.max(BankVersion.version).label("version")).group_by(BankVersion.bank_pk)


def _bank_row(session: Session, name: str) -> Bank:
    bank = session.scalars(select(Bank).where(Bank.name == name)).one_or_none()
    if bank is None:
        raise NotFound(f"there is no bank named {name[:80]!r}")
    return bank


def _newest_version_row(session: Session, bank_pk: int) -> BankVersion | None:
    return session.scalars(
        select(BankVersion).where(BankVersion.bank_pk == bank_pk).order_by(BankVersion.version.desc()).limit(1)
    ).one_or_none()


def _name_errors(name: str) -> list[FieldError]:
    if BANK_NAME.fullmatch(name):
        return []
    message = f"{name[:80]!r} {BANK_NAME_RULE}" if name else f"is empty; a bank name {BANK_NAME_RULE}"
    return [FieldError("name", message)]


def _summary(bank: Bank, current: tuple[int, int, datetime] | None) -> BankSummary:
    version, count, loaded_at = current if current is not None else (0, 0, None)
    return BankSummary(
        name=bank.name,
        kind=BankKind(bank.kind),
        description=bank.description,
        version=version,
        entry_count=count,
        created_at=as_utc(bank.created_at),
        created_by=bank.created_by,
        updated_at=as_utc(loaded_at) if loaded_at is not None else None,
    )
