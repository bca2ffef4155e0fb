"""Bulk actions: one enforcement action on a whole coordinated network, safely.

A bulk action suspends or bans every member's account, or removes every member's post in the network's
near-duplicate clusters. It is many ordinary enforcement actions, never a second enforcement path: each
item gets its own `review.enforcement.take_action` (its statement of reasons, its webhook, its
`action.taken` event), and the bulk action adds one row naming the enforcement actions it took, one
`bulk_action.taken` event and one audit row (who, what, how many, the network, the case).

Safety comes in three steps:
- **Preview** (`preview`) says exactly what would be done: the items to change and the items already in
  that state (skipped), and returns a confirmation token: the plan's expiry and a SHA-256 digest of the
  network, the action, the case, the person and both item lists. The token is a confirmation of a plan, not
  a credential: acting still needs `investigate.manage`.
- **Execute** (`execute`) builds the plan again from the store and acts only if its digest equals the
  token's: if anyone acted on a member meanwhile, or the network changed, it refuses (Conflict) and the
  caller previews again. A token is used once (the digest is unique). A plan with more items to change
  than the cap (`BASTION_BULK_ACTION_CAP`, 500 by default) is refused, naming the cap; it is never cut
  short. Everything happens in the caller's transaction: every item or none.
- **Reverse** (`reverse_bulk_action`) restores every item the action changed (items skipped because they
  were already in that state are left alone, and an item restored since, by an appeal say, is counted
  and left alone), with its own event and audit row; a second reversal is refused.

Networks are detected on demand. The last report per store is kept in memory while the store's event log
and near-duplicate clusters have not grown (every action, ingest and clustering adds to one of them), so
the preview, the confirmation and the networks page share one detection run instead of one each.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.investigate import BulkActionKind, LinkKind
from bastion.domain.policy import Action
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.investigate.cases import require_case_access
from bastion.investigate.network_service import NetworkReport, find_networks
from bastion.investigate.networks import Network
from bastion.review.enforcement import reverse, take_action, target_of
from bastion.store.events import append_events
from bastion.store.schema import (
    Actor,
    BulkAction,
    Case,
    CaseLink,
    ContentItem,
    EnforcementAction,
    Event,
    NearDuplicateMember,
)

DEFAULT_CAP = 500
TOKEN_LIFETIME = timedelta(minutes=15)
REASON = "bulk_action"
REVERSAL_REASON = "bulk_action_reversed"
TAKEN_AUDIT = "bulk_action.take"
REVERSED_AUDIT = "bulk_action.reverse"
# The enforcement actions that already put an item in the state a bulk action asks for.
ALREADY: dict[BulkActionKind, frozenset[str]] = {
    BulkActionKind.SUSPEND: frozenset({Action.SUSPEND.value, Action.BAN.value}),
    BulkActionKind.BAN: frozenset({Action.BAN.value}),
    BulkActionKind.REMOVE: frozenset({Action.REMOVE.value}),
}


@dataclass(frozen=True)
class PlanItem:
    """One account or post of the plan, by Bastion's key and the platform's id (with its author's)."""

    subject_type: SubjectType
    subject_pk: int
    ref: str
    actor: str


@dataclass(frozen=True)
class BulkPlan:
    """Exactly what a bulk action would do, and the token that confirms this plan and no other."""

    network_id: str
    action: BulkActionKind
    case_pk: int | None
    members: int
    to_change: tuple[PlanItem, ...]
    skipped: tuple[PlanItem, ...]  # already in that state
    cap: int
    expires_at: datetime
    digest: str

    @property
    def token(self) -> str:
        return f"{int(self.expires_at.timestamp())}-{self.digest}"


@dataclass(frozen=True)
class BulkItem:
    """An item a bulk action changed: the enforcement action it took, and its restore once reversed."""

    subject_type: str
    ref: str
    action_id: int
    restored_by_action: int | None


@dataclass(frozen=True)
class BulkActionView:
    id: int
    network_id: str
    case_id: int | None
    action: BulkActionKind
    changed: int
    skipped: int
    taken_by: str
    taken_at: datetime
    reversed_by: str | None
    reversed_at: datetime | None
    items: list[BulkItem]


# --- networks -------------------------------------------------------------------------------------------

_CACHE_SIZE = 8
_cache: OrderedDict[str, tuple[tuple[int, int], NetworkReport]] = OrderedDict()
_cache_lock = threading.Lock()


def current_networks(session: Session, principal: Principal) -> NetworkReport:
    """The networks in the store now (all time, the default settings), from the last run while the store has
    not changed (see the module doc). A vendor reviewer never, whatever else they hold."""
    require_case_access(principal, Permission.INVESTIGATE_READ)
    store = str(session.get_bind().engine.url)
    fingerprint = (
        int(session.scalar(select(func.coalesce(func.max(Event.pk), 0))) or 0),
        int(session.scalar(select(func.count()).select_from(NearDuplicateMember)) or 0),
    )
    with _cache_lock:
        cached = _cache.get(store)
        if cached is not None and cached[0] == fingerprint:
            _cache.move_to_end(store)
            return cached[1]
    report = find_networks(session, principal)
    with _cache_lock:
        _cache[store] = (fingerprint, report)
        _cache.move_to_end(store)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return report


def network_by_id(session: Session, principal: Principal, network_id: str) -> Network:
    for network in current_networks(session, principal).networks:
        if network.id == network_id:
            return network
    raise NotFound(f"no network {network_id} among the networks detected now")


# --- preview and execute --------------------------------------------------------------------------------


def preview(
    session: Session,
    principal: Principal,
    network_id: str,
    action: BulkActionKind,
    *,
    now: datetime,
    cap: int = DEFAULT_CAP,
    case_pk: int | None = None,
) -> BulkPlan:
    """What `action` on the network would do now, and the token to confirm it (valid `TOKEN_LIFETIME`)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    expires = (now + TOKEN_LIFETIME).replace(microsecond=0)
    return _plan(session, network_by_id(session, principal, network_id), action, principal, expires, cap, case_pk)


def execute(
    session: Session,
    principal: Principal,
    network_id: str,
    action: BulkActionKind,
    token: str,
    *,
    now: datetime,
    cap: int = DEFAULT_CAP,
    case_pk: int | None = None,
) -> BulkAction:
    """Act as the previewed plan said, if the store still gives that plan (see the module doc)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    expires = _token_expiry(token)
    if now >= expires:
        raise Conflict(f"the confirmation expired at {expires.isoformat()}; preview the action again")
    network = network_by_id(session, principal, network_id)
    _lock_members(session, network)
    plan = _plan(session, network, action, principal, expires, cap, case_pk)
    if plan.token != token.strip():
        raise Conflict(
            f"network {network_id} changed since the preview (someone acted on its members, or its members "
            "changed): preview the action again"
        )
    if session.scalar(select(BulkAction.pk).where(BulkAction.plan_digest == plan.digest)) is not None:
        raise Conflict("this confirmation was already used; preview the action again")
    bulk = BulkAction(
        network_id=network_id,
        case_pk=plan.case_pk,
        action=action.value,
        changed=[],
        skipped=len(plan.skipped),
        plan_digest=plan.digest,
        taken_by=principal.name,
        taken_at=now,
    )
    session.add(bulk)
    session.flush()
    what = "an account" if action.on_accounts else "a post of an account"
    statement = f"{action.value}: {what} in coordinated network {network_id} (bulk action {bulk.pk})."
    taken = [
        take_action(
            session,
            target_of(session, item.subject_type.value, item.subject_pk),
            action.value,
            record=None,
            reason=REASON,
            statement=statement,
            now=now,
            principal=principal.name,
        ).pk
        for item in plan.to_change
    ]
    bulk.changed = taken
    details = {
        "bulk_action": bulk.pk,
        "network": network_id,
        "case": plan.case_pk,
        "action": action.value,
        "changed": len(taken),
        "skipped": len(plan.skipped),
    }
    _record(session, bulk, EventKind.BULK_ACTION_TAKEN, TAKEN_AUDIT, principal, now, details)
    session.flush()
    return bulk


def _lock_members(session: Session, network: Network) -> None:
    """Hold the members' rows until this transaction ends, so that two confirmed plans on the same accounts
    run one after the other and the second, rebuilt once the first has committed, no longer matches its
    token. PostgreSQL locks the rows (in key order, so two executions never deadlock); SQLite has already
    serialised every writer at BEGIN IMMEDIATE and renders no FOR UPDATE."""
    session.execute(
        select(Actor.pk).where(Actor.external_id.in_(network.members)).order_by(Actor.pk).with_for_update()
    ).all()


def _plan(
    session: Session,
    network: Network,
    action: BulkActionKind,
    principal: Principal,
    expires: datetime,
    cap: int,
    case_pk: int | None,
) -> BulkPlan:
    network_id = network.id
    case = _case_of(session, network_id, case_pk)
    items = _account_items(session, network) if action.on_accounts else _post_items(session, network)
    already = _already(session, action, items)
    to_change = tuple(i for i in items if i.subject_pk not in already)
    skipped = tuple(i for i in items if i.subject_pk in already)
    if len(to_change) > cap:
        raise InvalidInput(
            f"too many {action.items} for one bulk action",
            [
                FieldError(
                    "action",
                    f"{action.value} would change {len(to_change)} {action.items} of network {network_id}; "
                    f"the cap is {cap} per bulk action (BASTION_BULK_ACTION_CAP), and a plan is never cut short",
                )
            ],
        )
    plan = {
        "network": network_id,
        "action": action.value,
        "case": case,
        "by": principal.name,
        "expires": expires.isoformat(),
        "change": [[i.subject_type.value, i.ref] for i in to_change],
        "skipped": [[i.subject_type.value, i.ref] for i in skipped],
    }
    digest = hashlib.sha256(json.dumps(plan, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return BulkPlan(network_id, action, case, len(network.members), to_change, skipped, cap, expires, digest)


def _token_expiry(token: str) -> datetime:
    stamp, _, digest = token.strip().partition("-")
    if not stamp.isdigit() or len(digest) != 64 or len(stamp) > 12:
        raise InvalidInput(
            "not a confirmation token", [FieldError("token", "give the token the preview returned, unchanged")]
        )
    return datetime.fromtimestamp(int(stamp), UTC)


def _case_of(session: Session, network_id: str, case_pk: int | None) -> int | None:
    """The case given (it must exist), else the newest case the network is linked to, if any."""
    if case_pk is not None:
        if session.get(Case, case_pk) is None:
            raise NotFound(f"no case {case_pk}")
        return case_pk
    linked: int | None = session.scalar(
        select(func.max(CaseLink.case_pk)).where(CaseLink.kind == LinkKind.NETWORK.value, CaseLink.ref == network_id)
    )
    return linked


def _account_items(session: Session, network: Network) -> list[PlanItem]:
    rows = session.execute(
        select(Actor.pk, Actor.external_id).where(Actor.external_id.in_(network.members)).order_by(Actor.external_id)
    )
    return [PlanItem(SubjectType.ACTOR, pk, ref, ref) for pk, ref in rows]


def _post_items(session: Session, network: Network) -> list[PlanItem]:
    """The members' posts in the network's shared near-duplicate clusters."""
    clusters = [int(s.value) for s in network.shared if s.attribute == "text_cluster" and s.value.isdigit()]
    if not clusters:
        return []
    rows = session.execute(
        select(ContentItem.pk, ContentItem.external_id, Actor.external_id)
        .join(Actor, Actor.pk == ContentItem.actor_pk)
        .join(NearDuplicateMember, NearDuplicateMember.content_pk == ContentItem.pk)
        .where(NearDuplicateMember.cluster_pk.in_(clusters), Actor.external_id.in_(network.members))
        .distinct()
        .order_by(ContentItem.external_id)
    )
    return [PlanItem(SubjectType.CONTENT, pk, ref, actor) for pk, ref, actor in rows]


def _already(session: Session, action: BulkActionKind, items: list[PlanItem]) -> set[int]:
    """The items an action in force (not reversed, not cancelled) already puts in the state asked for."""
    if not items:
        return set()
    subject_type = SubjectType.ACTOR if action.on_accounts else SubjectType.CONTENT
    return set(
        session.scalars(
            select(EnforcementAction.subject_pk).where(
                EnforcementAction.subject_type == subject_type.value,
                EnforcementAction.subject_pk.in_([i.subject_pk for i in items]),
                EnforcementAction.action.in_(ALREADY[action]),
                EnforcementAction.reversed_at.is_(None),
                EnforcementAction.cancelled_at.is_(None),
            )
        )
    )


# --- reverse and read -----------------------------------------------------------------------------------


def reverse_bulk_action(
    session: Session, principal: Principal, bulk_pk: int, *, now: datetime, note: str = ""
) -> BulkAction:
    """Restore every item the bulk action changed; refused if it was reversed already."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    bulk = _bulk_row(session, bulk_pk)
    if bulk.reversed_at is not None:
        raise Conflict(f"bulk action {bulk_pk} was already reversed by {bulk.reversed_by} at {bulk.reversed_at}")
    restored = already = 0
    for action_pk in bulk.changed:
        original = session.get_one(EnforcementAction, action_pk)
        if original.reversed_at is not None or original.cancelled_at is not None:
            already += 1  # restored since, one by one (an appeal): nothing left to undo
            continue
        reverse(
            session,
            action_pk,
            reason=REVERSAL_REASON,
            note=f"bulk action {bulk.pk} on network {bulk.network_id} reversed. {note}".strip(),
            now=now,
            principal=principal.name,
        )
        restored += 1
    bulk.reversed_at = now
    bulk.reversed_by = principal.name
    details = {
        "bulk_action": bulk.pk,
        "network": bulk.network_id,
        "case": bulk.case_pk,
        "action": bulk.action,
        "restored": restored,
        "already_restored": already,
    }
    _record(session, bulk, EventKind.BULK_ACTION_REVERSED, REVERSED_AUDIT, principal, now, details)
    session.flush()
    return bulk


def bulk_action_view(session: Session, principal: Principal, bulk_pk: int) -> BulkActionView:
    """A bulk action, with every item it changed and, once reversed, the restore of each."""
    require_case_access(principal, Permission.INVESTIGATE_READ)
    bulk = _bulk_row(session, bulk_pk)
    restores: dict[int, int] = {}
    for reverses_pk, pk in session.execute(
        select(EnforcementAction.reverses_pk, EnforcementAction.pk).where(
            EnforcementAction.reverses_pk.in_(bulk.changed)
        )
    ):
        if reverses_pk is not None:
            restores[reverses_pk] = pk
    actions = {
        row.pk: row for row in session.scalars(select(EnforcementAction).where(EnforcementAction.pk.in_(bulk.changed)))
    }
    refs = _refs(session, list(actions.values()))
    items = [
        BulkItem(
            actions[pk].subject_type,
            refs[(actions[pk].subject_type, actions[pk].subject_pk)],
            pk,
            restores.get(pk),
        )
        for pk in bulk.changed
    ]
    return BulkActionView(
        bulk.pk,
        bulk.network_id,
        bulk.case_pk,
        BulkActionKind(bulk.action),
        len(bulk.changed),
        bulk.skipped,
        bulk.taken_by,
        bulk.taken_at,
        bulk.reversed_by,
        bulk.reversed_at,
        items,
    )


def _refs(session: Session, actions: list[EnforcementAction]) -> dict[tuple[str, int], str]:
    actor_pks = [a.subject_pk for a in actions if a.subject_type == SubjectType.ACTOR.value]
    content_pks = [a.subject_pk for a in actions if a.subject_type == SubjectType.CONTENT.value]
    refs: dict[tuple[str, int], str] = {}
    if actor_pks:
        for pk, ref in session.execute(select(Actor.pk, Actor.external_id).where(Actor.pk.in_(actor_pks))):
            refs[(SubjectType.ACTOR.value, pk)] = ref
    if content_pks:
        for pk, ref in session.execute(
            select(ContentItem.pk, ContentItem.external_id).where(ContentItem.pk.in_(content_pks))
        ):
            refs[(SubjectType.CONTENT.value, pk)] = ref
    return refs


def _bulk_row(session: Session, bulk_pk: int) -> BulkAction:
    bulk = session.get(BulkAction, bulk_pk)
    if bulk is None:
        raise NotFound(f"no bulk action {bulk_pk}")
    return bulk


def _record(
    session: Session,
    bulk: BulkAction,
    kind: EventKind,
    audit_action: str,
    principal: Principal,
    now: datetime,
    details: dict[str, object],
) -> None:
    """The bulk action's own fact and audit row, in the same transaction as the items' actions; the same fact
    about its case, if any, so that the case's timeline shows it."""
    facts = [NewEvent(kind, EventEntity.BULK_ACTION, bulk.pk, now, principal.name, dict(details))]
    if bulk.case_pk is not None:
        facts.append(NewEvent(kind, EventEntity.CASE, bulk.case_pk, now, principal.name, dict(details)))
    append_events(session, facts, recorded_at=now)
    audit_log.record(
        session, principal=principal.name, action=audit_action, target=f"bulk_action:{bulk.pk}", at=now, details=details
    )
