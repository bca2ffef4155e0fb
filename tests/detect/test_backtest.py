"""Backtests: a rule file over stored history, compared with what review decided — checked against a
count by hand."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bastion.auth.users import add_user
from bastion.clock import FrozenClock
from bastion.detect.checking import known_names, parse_checked
from bastion.detect.service import run_backtest
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind, SubjectType
from bastion.ingest.service import ingest
from bastion.review.intake import NewWork, open_jobs
from bastion.store.database import Database
from bastion.store.schema import ContentItem, Decision, EnforcementAction, Job, RuleHit
from tests.conftest import START

RULES = """
rules:
  - name: buy-now
    mode: shadow
    policy: spam.commercial_spam
    when: 'content.text.contains("buy")'
    then:
      - enqueue: {queue: scams-spam}
"""
# item -> (text, what review decided: a policy, None for "not violating", or "undecided")
ITEMS = {
    "c1": ("buy followers", "spam.commercial_spam"),  # hit, violating: right
    "c2": ("buy likes", "spam.fake_engagement"),  # hit, violating in the family: right
    "c3": ("buy my bike", None),  # hit, decided not violating: wrong
    "c4": ("buy it", "undecided"),  # hit, never decided: not counted
    "c5": ("cheap followers", "spam.commercial_spam"),  # missed: counts against recall
    "c6": ("hateful words", "hate_speech.slurs"),  # another family: not in the rule's scope
}


def test_precision_and_recall_equal_a_count_by_hand_and_nothing_is_acted_on(
    database: Database, clock: FrozenClock
) -> None:
    with database.transaction() as session:
        reviewer = add_user(session, "rita", roles=frozenset({Role.REVIEWER}), password=None, now=clock())
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": START.isoformat()}], principal="t", now=clock())
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": cid, "actor_id": "a1", "type": "post", "text": text, "created_at": START.isoformat()}
                for cid, (text, _) in ITEMS.items()
            ],
            principal="t",
            now=clock(),
        )
        pks = {str(cid): int(pk) for cid, pk in session.execute(select(ContentItem.external_id, ContentItem.pk))}
        decided = {cid: policy for cid, (_, policy) in ITEMS.items() if policy != "undecided"}
        works = [NewWork(SubjectType.CONTENT, pks[cid], None, None, 1.0, queue="general") for cid in decided]
        for job_pk, policy in zip(open_jobs(session, works, now=clock(), principal="t"), decided.values(), strict=True):
            session.add(
                Decision(
                    job_pk=job_pk,
                    reviewer_pk=reviewer.pk,
                    policy_id=policy,
                    harm_type=(policy or "none").split(".")[0],
                    action="remove" if policy else "none",
                    decided_at=clock(),
                    final=True,
                )
            )
        jobs_before = session.scalar(select(func.count()).select_from(Job))
        rule_set = parse_checked(RULES, "rules.yaml", known_names(session))
        report = run_backtest(
            session, rule_set.rules, since=START - timedelta(hours=1), until=START + timedelta(hours=1)
        )
        (rule,) = report.rules
        assert (rule.name, rule.mode, rule.hits, rule.decided) == ("buy-now", "shadow", 4, 3)
        assert (rule.precision.count, rule.precision.total) == (2, 3)  # c1, c2 of c1, c2, c3
        assert (rule.recall.count, rule.recall.total) == (2, 3)  # c1, c2 of c1, c2, c5
        assert rule.precision.low is not None and rule.precision.low < 2 / 3 < rule.precision.high
        assert report.items == len(ITEMS)
        # A backtest writes nothing: no hit, no job, no action.
        assert session.scalar(select(func.count()).select_from(RuleHit)) == 0
        assert session.scalar(select(func.count()).select_from(Job)) == jobs_before
        assert session.scalar(select(func.count()).select_from(EnforcementAction)) == 0
