"""Versioning policies in the store: loads add versions, never edit them.

Every policy id has a history of versions in `policy_versions`. A load compares each policy with its
newest version and adds version n+1 only when something changed; a policy missing from the load is
retired by a new version flagged `retired`. Decisions pin the (policy id, version) they applied, so an
old version stays readable forever. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.domain.policy import Action, Policy
from bastion.domain.versions import LoadSummary
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.store.database import store_of
from bastion.store.newest import NewestVersion
from bastion.store.schema import PolicyVersion

MAX_SOURCE_LENGTH = 512
MAX_PRINCIPAL_LENGTH = 128


@dataclass(frozen=True)
class PolicyRecord:
    """One stored version of a policy, with where it came from."""

    policy: Policy
    version: int
    retired: bool
    source: str
    loaded_at: datetime
    loaded_by: str

    @property
    def policy_id(self) -> str:
        return self.policy.id


PolicyLoadSummary = LoadSummary[str]  # entries are policy ids


def load_policies(
    session: Session,
    policies: Sequence[Policy],
    *,
    source: str,
    principal: str,
    now: datetime,
) -> PolicyLoadSummary:
    """Make the store's live policies exactly `policies`, adding a version for each difference.

    New ids get version 1; changed ones get their newest version + 1; identical ones are left alone;
    live ids absent from `policies` get a retired version. Loading the same policies twice adds nothing
    the second time. Raises `InvalidInput` on repeated ids and `Conflict` if another load added a
    version at the same time.
    """
    _check_unique(policies)
    if not principal:
        raise InvalidInput("a policy load needs the principal who made it")
    newest = _newest_versions(session)
    stamp = _Stamp(source[-MAX_SOURCE_LENGTH:], principal[:MAX_PRINCIPAL_LENGTH], as_utc(now))
    created: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    reinstated: list[str] = []
    for policy in policies:
        row = newest.get(policy.id)
        if row is None:
            session.add(_version_row(policy, 1, retired=False, stamp=stamp))
            created.append(policy.id)
        elif row.retired:
            session.add(_version_row(policy, row.version + 1, retired=False, stamp=stamp))
            reinstated.append(policy.id)
        elif _content(_policy_of(row)) != _content(policy):
            session.add(_version_row(policy, row.version + 1, retired=False, stamp=stamp))
            changed.append(policy.id)
        else:
            unchanged.append(policy.id)
    loaded = {policy.id for policy in policies}
    retired: list[str] = []
    for policy_id in sorted(newest):
        row = newest[policy_id]
        if policy_id not in loaded and not row.retired:
            session.add(_version_row(_policy_of(row), row.version + 1, retired=True, stamp=stamp))
            retired.append(policy_id)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("another policy load added versions at the same time; load again") from exc
    _newest.forget(session)
    summary = PolicyLoadSummary(
        created=tuple(created),
        changed=tuple(changed),
        unchanged=tuple(unchanged),
        retired=tuple(retired),
        reinstated=tuple(reinstated),
    )
    audit_log.record(
        session,
        principal=principal,
        action="policies.load",
        target=source,
        at=now,
        details={"versions_added": summary.versions_added},
    )
    return summary


def current_policies(session: Session) -> dict[str, PolicyRecord]:
    """The live policies: the newest version of each id, unless that version retired it.

    Keyed by policy id, in id order (so a parent comes before its children).
    """
    # Versions are append-only, so the newest version row identifies the whole live set: read the
    # set again only when that row changes. The row's load time is part of it so that a pk SQLite
    # reuses after a rolled-back load never passes for the row it replaced.
    store = store_of(session)
    newest = _newest.get(session, _newest_row)
    known = _live.get(store)
    if known is None or known[0] != newest:
        records = (_record(row) for row in _newest_versions(session).values() if not row.retired)
        known = (newest, {record.policy_id: record for record in sorted(records, key=lambda r: r.policy_id)})
        _live[store] = known
    return dict(known[1])


def _newest_row(session: Session) -> tuple[object, ...]:
    row = session.execute(
        select(PolicyVersion.pk, PolicyVersion.policy_id, PolicyVersion.version, PolicyVersion.loaded_at)
        .order_by(PolicyVersion.pk.desc())
        .limit(1)
    ).first()
    return tuple(row) if row else ()


_newest: NewestVersion[tuple[object, ...]] = NewestVersion()
_live: dict[str, tuple[tuple[object, ...], dict[str, PolicyRecord]]] = {}  # store url -> (newest row, live set)


def policy_version(session: Session, policy_id: str, version: int) -> PolicyRecord:
    """One version of one policy, retired or not; raises `NotFound` if there is no such version."""
    row = session.scalars(
        select(PolicyVersion).where(PolicyVersion.policy_id == policy_id, PolicyVersion.version == version)
    ).one_or_none()
    if row is None:
        raise NotFound(f"policy {policy_id!r} has no version {version}")
    return _record(row)


def policy_history(session: Session, policy_id: str) -> list[PolicyRecord]:
    """Every version of one policy, oldest first; empty if the id was never loaded."""
    rows = session.scalars(
        select(PolicyVersion).where(PolicyVersion.policy_id == policy_id).order_by(PolicyVersion.version)
    )
    return [_record(row) for row in rows]


@dataclass(frozen=True)
class _Stamp:
    source: str
    principal: str
    at: datetime


def _check_unique(policies: Sequence[Policy]) -> None:
    seen: set[str] = set()
    errors: list[FieldError] = []
    for index, policy in enumerate(policies):
        if policy.id in seen:
            errors.append(FieldError(f"policies[{index}].id", f"duplicate policy id '{policy.id}'"))
        seen.add(policy.id)
    if errors:
        raise InvalidInput("a policy load names a policy id more than once", errors=errors)


def _newest_versions(session: Session) -> dict[str, PolicyVersion]:
    newest = (
        select(PolicyVersion.policy_id, func.max(PolicyVersion.version).label("version"))
        .group_by(PolicyVersion.policy_id)
        .subquery()
    )
    rows = session.scalars(
        select(PolicyVersion).join(
            newest,
            (PolicyVersion.policy_id == newest.c.policy_id) & (PolicyVersion.version == newest.c.version),
        )
    )
    return {row.policy_id: row for row in rows}


def _content(policy: Policy) -> tuple[object, ...]:
    """What a version is compared on: everything a reviewer or a statement of reasons sees."""
    return (
        policy.title,
        policy.severity,
        tuple(str(action) for action in policy.allowed_actions),
        policy.guidance,
        policy.description,
        policy.dsa_category,
    )


def _policy_of(row: PolicyVersion) -> Policy:
    return Policy(
        id=row.policy_id,
        title=row.title,
        severity=row.severity,
        allowed_actions=tuple(Action(action) for action in row.allowed_actions),
        guidance=row.guidance,
        dsa_category=row.dsa_category,
        description=row.description,
    )


def _record(row: PolicyVersion) -> PolicyRecord:
    return PolicyRecord(
        policy=_policy_of(row),
        version=row.version,
        retired=row.retired,
        source=row.source,
        loaded_at=as_utc(row.loaded_at),
        loaded_by=row.loaded_by,
    )


def _version_row(policy: Policy, version: int, *, retired: bool, stamp: _Stamp) -> PolicyVersion:
    return PolicyVersion(
        policy_id=policy.id,
        version=version,
        title=policy.title,
        severity=policy.severity,
        allowed_actions=[str(action) for action in policy.allowed_actions],
        guidance=policy.guidance,
        description=policy.description,
        dsa_category=policy.dsa_category,
        retired=retired,
        source=stamp.source,
        loaded_at=stamp.at,
        loaded_by=stamp.principal,
    )
