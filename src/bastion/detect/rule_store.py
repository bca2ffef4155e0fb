"""Versioned rule sets in the store: a load adds versions, never edits them.

Every rule name has a history in `rule_versions`. A load compares each rule's digest with its newest
version: a new name gets version 1, a changed rule its newest version + 1, an unchanged one nothing.
A rule in force that the loaded file no longer has is retired by a new version flagged `retired`
(carrying its last definition), so every version a hit or a decision pinned stays readable, and a
rule loaded again after it was retired comes back as a new version. The caller owns the transaction;
the load is recorded in the audit log (`rules.load`), as policy loads are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.detect.checking import known_names, parse_checked
from bastion.detect.fields import Group
from bastion.detect.rules import Effect, Rule, RuleSet, rule_from_document
from bastion.domain.detect import RuleMode
from bastion.domain.versions import LoadSummary
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.store.schema import RuleVersion

MAX_SOURCE_LENGTH = 512
MAX_PRINCIPAL_LENGTH = 128


@dataclass(frozen=True)
class StoredRule:
    """One stored version of a rule, with where it came from."""

    rule: Rule
    version: int
    retired: bool
    source: str
    loaded_at: datetime
    loaded_by: str

    # The rule's own fields, so that a stored rule is what the engine and the effects run.

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def mode(self) -> RuleMode:
        return self.rule.mode

    @property
    def when(self) -> str:
        return self.rule.when

    @property
    def policy(self) -> str | None:
        return self.rule.policy

    @property
    def then(self) -> tuple[Effect, ...]:
        return self.rule.then

    @property
    def confidence(self) -> float | None:
        return self.rule.confidence

    @property
    def digest(self) -> str:
        return self.rule.digest

    @property
    def owner(self) -> str:
        return self.rule.owner


@dataclass(frozen=True)
class RuleVersionRef:
    """A rule name and the version a load left it at."""

    name: str
    version: int


LoadOutcome = LoadSummary[RuleVersionRef]  # what a load did, rules in the file's order


def load_rules(session: Session, rule_set: RuleSet, *, principal: str, now: datetime) -> LoadOutcome:
    """Make the store's rules in force exactly `rule_set`, adding a version for each difference.

    Loading the same rules twice adds nothing the second time. Raises `InvalidInput` when a name is
    given twice or no principal is named, and `Conflict` if another load added a version at the same time.
    """
    _check_unique(rule_set)
    if not principal:
        raise InvalidInput("a rule load needs the principal who made it")
    at = as_utc(now)
    source = rule_set.source[-MAX_SOURCE_LENGTH:]
    loaded_by = principal[:MAX_PRINCIPAL_LENGTH]
    newest = _newest_versions(session)
    created: list[RuleVersionRef] = []
    changed: list[RuleVersionRef] = []
    unchanged: list[RuleVersionRef] = []
    reinstated: list[RuleVersionRef] = []
    for rule in rule_set.rules:
        row = newest.get(rule.name)
        if row is None:
            added, into = _version_row(rule, 1, False, source, at, loaded_by), created
        elif row.retired:
            added, into = _version_row(rule, row.version + 1, False, source, at, loaded_by), reinstated
        elif row.digest != rule.digest:
            added, into = _version_row(rule, row.version + 1, False, source, at, loaded_by), changed
        else:
            unchanged.append(RuleVersionRef(rule.name, row.version))
            continue
        session.add(added)
        into.append(RuleVersionRef(rule.name, added.version))
    loaded = {rule.name for rule in rule_set.rules}
    retired: list[RuleVersionRef] = []
    for name in sorted(newest):
        row = newest[name]
        if name not in loaded and not row.retired:
            rule = rule_from_document(row.definition)
            session.add(_version_row(rule, row.version + 1, True, source, at, loaded_by))
            retired.append(RuleVersionRef(name, row.version + 1))
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("another rule load added versions at the same time; load again") from exc
    outcome = LoadOutcome(tuple(created), tuple(changed), tuple(unchanged), tuple(retired), tuple(reinstated))
    audit_log.record(
        session,
        principal=principal,
        action="rules.load",
        target=source,
        at=at,
        details={
            "versions_added": outcome.versions_added,
            "created": [ref.name for ref in outcome.created],
            "changed": [ref.name for ref in outcome.changed],
            "retired": [ref.name for ref in outcome.retired],
            "reinstated": [ref.name for ref in outcome.reinstated],
        },
    )
    return outcome


def load_rule_text(
    session: Session,
    text: str,
    *,
    source: str,
    principal: str,
    now: datetime,
    plugin_signals: Mapping[str, Group] | None = None,
) -> LoadOutcome:
    """Check a rule file against what the store knows now and load it, in the caller's transaction.

    Raises `RulesDoNotCheck` with every diagnostic, having written nothing, when the file does not check."""
    rule_set = parse_checked(text, source, known_names(session, plugin_signals))
    return load_rules(session, rule_set, principal=principal, now=now)


def rules_in_force(session: Session) -> list[StoredRule]:
    """The newest version of every rule not retired, by name; rules in mode `off` included (the engine
    skips them; the performance page lists them)."""
    rows = _newest_versions(session)
    return [_stored(rows[name]) for name in sorted(rows) if not rows[name].retired]


def rule_history(session: Session, name: str) -> list[StoredRule]:
    """Every version of one rule, oldest first; empty if the name was never loaded."""
    rows = session.scalars(select(RuleVersion).where(RuleVersion.name == name).order_by(RuleVersion.version))
    return [_stored(row) for row in rows]


def rules_stamp(session: Session) -> int:
    """The newest version row's key (0 when none): it changes with every load that adds a version, so a
    worker can keep its compiled rules until it moves."""
    return int(session.scalar(select(func.max(RuleVersion.pk))) or 0)


def _check_unique(rule_set: RuleSet) -> None:
    seen: set[str] = set()
    errors: list[FieldError] = []
    for index, rule in enumerate(rule_set.rules):
        if rule.name in seen:
            errors.append(FieldError(f"rules[{index}].name", f"rule '{rule.name}' is given more than once"))
        seen.add(rule.name)
    if errors:
        raise InvalidInput("a rule load names a rule more than once", errors)


def _newest_versions(session: Session) -> dict[str, RuleVersion]:
    newest = (
        select(RuleVersion.name, func.max(RuleVersion.version).label("version")).group_by(RuleVersion.name).subquery()
    )
    rows = session.scalars(
        select(RuleVersion).join(
            newest, (RuleVersion.name == newest.c.name) & (RuleVersion.version == newest.c.version)
        )
    )
    return {row.name: row for row in rows}


def _version_row(rule: Rule, version: int, retired: bool, source: str, at: datetime, principal: str) -> RuleVersion:
    return RuleVersion(
        name=rule.name,
        version=version,
        digest=rule.digest,
        mode=rule.mode.value,
        owner=rule.owner,
        description=rule.description,
        definition=rule.document(),
        retired=retired,
        source=source,
        loaded_at=at,
        loaded_by=principal,
    )


def _stored(row: RuleVersion) -> StoredRule:
    return StoredRule(
        rule=rule_from_document(row.definition),
        version=row.version,
        retired=row.retired,
        source=row.source,
        loaded_at=as_utc(row.loaded_at),
        loaded_by=row.loaded_by,
    )
