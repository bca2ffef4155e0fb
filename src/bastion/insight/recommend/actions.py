"""Carrying out a recommendation, through the owning area's own service (which writes its own audit row):

- a **draft keyword bank entry**: the term appended to the `emerging_terms` keyword bank (made when
  missing), which no rule reads until someone writes one — the analyst reviews it there first;
- a **rule change in shadow**: the rule with its stricter threshold loaded beside the live one under the
  name `<rule>-raised`, in shadow mode, every other rule unchanged; both are then measured on the same
  traffic on the detection page;
- a **calibration exercise**: for a reviewer, on the items they were scored wrong on (else a sample of
  their queue); for a vendor, on a sample of its busiest queue; for a pair of policies, on a sample of the
  queue deciding the most of the two, for its reviewers.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.detect.banks import create_bank, import_entry_list, list_banks
from bastion.detect.rule_store import load_rules, rules_in_force
from bastion.detect.rules import RuleSet, make_rule
from bastion.domain.detect import BankKind, RuleMode
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import InvalidInput
from bastion.insight.recommend.model import ActionKind, Recommendation, RecommendationKind
from bastion.quality.calibration import create_exercise
from bastion.store.schema import ContentItem, Decision, Job, User

EXERCISE_ITEMS = 20
Result = dict[str, str | int | float | list[str]]


def carry_out(session: Session, found: Recommendation, *, principal: str, now: datetime, rng: random.Random) -> Result:
    """Do what the recommendation's action says, in the caller's transaction; what was made."""
    action = found.action
    if action is None:
        raise InvalidInput(f"the recommendation {found.key!r} has no action to carry out")
    if action.kind is ActionKind.DRAFT_BANK_ENTRY:
        return _bank_entry(session, str(action.params["bank"]), str(action.params["term"]), principal, now)
    if action.kind is ActionKind.SHADOW_RULE:
        return _shadow_rule(session, str(action.params["rule"]), str(action.params["when"]), principal, now)
    return _exercise(session, found, principal, now, rng)


def _bank_entry(session: Session, bank: str, term: str, principal: str, now: datetime) -> Result:
    if bank not in {b.name for b in list_banks(session)}:
        create_bank(
            session, bank, BankKind.KEYWORD, "Emerging terms proposed by recommendations", principal=principal, now=now
        )
    imported = import_entry_list(
        session, bank, [term], replace=False, principal=principal, now=now, source="recommendation"
    )
    return {"bank": bank, "term": term, "version": imported.version}


def _shadow_rule(session: Session, name: str, when: str, principal: str, now: datetime) -> Result:
    rules = rules_in_force(session)
    current = next((r for r in rules if r.name == name), None)
    if current is None:
        raise InvalidInput(f"the rule {name!r} is no longer in force")
    proposed_name = f"{name}-raised"
    proposed = make_rule(
        proposed_name,
        when=when,
        then=current.then,
        mode=RuleMode.SHADOW,
        policy=current.policy,
        description=f"{current.rule.description} (stricter threshold, proposed by a recommendation)".strip(),
        owner=current.owner,
    )
    others = tuple(r.rule for r in rules if r.name != proposed_name)
    outcome = load_rules(session, RuleSet((*others, proposed), f"recommendation:{name}"), principal=principal, now=now)
    version = next(
        (ref.version for ref in (*outcome.created, *outcome.changed, *outcome.reinstated) if ref.name == proposed_name),
        0,
    )
    return {"rule": proposed_name, "mode": RuleMode.SHADOW.value, "version": version, "when": when}


def _exercise(session: Session, found: Recommendation, principal: str, now: datetime, rng: random.Random) -> Result:
    params = found.action.params if found.action is not None else {}
    group = str(params.get("group", ""))
    content_ids: list[str] = []
    queue: str | None = None
    if found.kind is RecommendationKind.CALIBRATE_REVIEWER:
        decisions = params.get("decisions", [])
        pks = [int(pk) for pk in decisions if pk.isdigit()] if isinstance(decisions, list) else []
        content_ids = _content_of_decisions(session, pks)
        if not content_ids:
            queue = _busiest_queue(session, reviewer=found.subject)
    elif found.kind is RecommendationKind.CLARIFY_POLICY:
        policies = params.get("policies", [])
        queue = _busiest_queue(session, policies=list(policies) if isinstance(policies, list) else [])
        group = f"queue:{queue}"
    else:
        queue = _busiest_queue(session, vendor=found.subject)
    name = f"Recommended: {found.title}"[:128]
    exercise = create_exercise(
        session,
        name=name,
        group=group,
        content_ids=content_ids,
        sample_queue=None if content_ids else queue,
        sample_size=EXERCISE_ITEMS,
        rng=rng,
        now=now,
        by=principal,
    )
    return {"exercise": exercise, "group": group, "items": len(content_ids) or EXERCISE_ITEMS}


def _content_of_decisions(session: Session, decision_pks: list[int]) -> list[str]:
    if not decision_pks:
        return []
    rows = session.scalars(
        select(ContentItem.external_id)
        .join(Job, (Job.subject_pk == ContentItem.pk) & (Job.subject_type == SubjectType.CONTENT.value))
        .join(Decision, Decision.job_pk == Job.pk)
        .where(Decision.pk.in_(decision_pks))
    ).all()
    return sorted({str(r) for r in rows})


def _busiest_queue(
    session: Session, *, reviewer: str | None = None, vendor: str | None = None, policies: list[str] | None = None
) -> str:
    query = (
        select(Job.queue, func.count())
        .join(Decision, Decision.job_pk == Job.pk)
        .where(Job.kind == JobKind.REVIEW.value)
    )
    if reviewer is not None or vendor is not None:
        query = query.join(User, User.pk == Decision.reviewer_pk)
        query = query.where(User.name == reviewer) if reviewer is not None else query.where(User.vendor == vendor)
    if policies:
        query = query.where(Decision.harm_type.in_(policies))
    row = session.execute(query.group_by(Job.queue).order_by(func.count().desc(), Job.queue).limit(1)).first()
    if row is None:
        raise InvalidInput("no decided review job to draw a calibration exercise from")
    return str(row[0])
