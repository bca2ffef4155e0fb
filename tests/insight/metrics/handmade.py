"""A store small enough to count by hand, for the metrics' known answers (see test_definitions.py).

T is when every item was posted. Four items: c1 (BR, pt, feed), c2 and c4 (US, en, feed), c3 (US,
en, comments). Views: c1 weight 10, c2 30, c3 60 (100 in all). Reports: on c1 at T+2h (spam) and on
c3 at T+3h (hate_speech). Jobs: j1 on c1 (scams-spam, due T+6h, decided T+4h by ana of acme: spam,
remove, 30 s), j2 on c2 (general, opened by a rule, due T+24h, decided T+30h by ben in-house:
hate_speech, remove, 90 s), j3 on c3 (hate-harassment, still open). Actions: a1 on c1 (T+4h, by j1's
decision), a2 on c2 (T+30h), a3 on c4 (T+5h, automated, spam). c2's owner appeals a2 at T+31h; it is
overturned and c2 restored at T+40h.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bastion.store.database import Database
from bastion.store.schema import (
    Actor,
    Appeal,
    ContentItem,
    Decision,
    EnforcementAction,
    Job,
    Report,
    User,
    View,
)

T = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # a Monday


def hours(n: float) -> datetime:
    return T + timedelta(hours=n)


def plant(database: Database) -> None:
    with database.transaction() as session:
        actor = Actor(external_id="u1", created_at=T - timedelta(days=30), country="BR", language="pt", received_at=T)
        session.add(actor)
        ana = User(name="ana", roles=["reviewer"], vendor="acme", created_at=T)
        ben = User(name="ben", roles=["reviewer"], vendor=None, created_at=T)
        session.add_all([ana, ben])
        session.flush()
        items = {}
        for name, country, language, surface in (
            ("c1", "BR", "pt", "feed"),
            ("c2", "US", "en", "feed"),
            ("c3", "US", "en", "comments"),
            ("c4", "US", "en", "feed"),
        ):
            items[name] = ContentItem(
                external_id=name,
                actor_pk=actor.pk,
                type="post",
                text=f"text of {name}",
                language=language,
                country=country,
                surface=surface,
                created_at=T,
                received_at=T,
            )
        session.add_all(items.values())
        session.flush()
        for name, weight in (("c1", 10), ("c2", 30), ("c3", 60)):
            session.add(
                View(
                    external_id=f"v-{name}", content_pk=items[name].pk, viewed_at=hours(1), weight=weight, received_at=T
                )
            )
        for name, at, policy in (("c1", 2, "spam"), ("c3", 3, "hate_speech")):
            session.add(
                Report(
                    external_id=f"r-{name}",
                    content_pk=items[name].pk,
                    reporter_id="reporter-1",
                    reason=policy,
                    policy_id=policy,
                    created_at=hours(at),
                    received_at=hours(at),
                )
            )

        def job(item: str, queue: str, opened: float, due: float, decided: float | None, policy: str) -> Job:
            row = Job(
                queue=queue,
                subject_type="content",
                subject_pk=items[item].pk,
                status="decided" if decided is not None else "open",
                policy_hint=policy,
                harm_type=policy,
                language=items[item].language,
                country=items[item].country,
                surface=items[item].surface,
                priority=0.5,
                priority_terms={},
                claim_rank=0.5,
                created_at=hours(opened),
                sla_due_at=hours(due),
                config_version=1,
                decided_at=None if decided is None else hours(decided),
            )
            session.add(row)
            session.flush()
            return row

        j1 = job("c1", "scams-spam", 2, 6, 4, "spam")
        j2 = job("c2", "general", 1, 24, 30, "hate_speech")
        job("c3", "hate-harassment", 3, 27, None, "hate_speech")

        def decide(on: Job, who: User, policy: str, seconds: float, at: float) -> Decision:
            row = Decision(
                job_pk=on.pk,
                reviewer_pk=who.pk,
                policy_id=policy,
                policy_version=1,
                harm_type=policy,
                action="remove",
                seconds_spent=seconds,
                decided_at=hours(at),
                final=True,
            )
            session.add(row)
            session.flush()
            return row

        d1 = decide(j1, ana, "spam", 30, 4)
        d2 = decide(j2, ben, "hate_speech", 90, 30)

        def act(item: str, policy: str | None, at: float, reason: str, decision: Decision | None) -> EnforcementAction:
            row = EnforcementAction(
                subject_type="content",
                subject_pk=items[item].pk,
                action="remove" if policy else "restore",
                policy_id=policy,
                policy_version=1 if policy else None,
                decision_pk=decision.pk if decision else None,
                reason=reason,
                created_at=hours(at),
                created_by="test",
            )
            session.add(row)
            session.flush()
            return row

        act("c1", "spam", 4, "decision", d1)
        a2 = act("c2", "hate_speech", 30, "decision", d2)
        act("c4", "spam", 5, "automated", None)
        session.add(
            Appeal(
                external_id="appeal-1",
                action_pk=a2.pk,
                actor_pk=actor.pk,
                filed_at=hours(31),
                status="overturned",
                resolved_at=hours(40),
            )
        )
        restore = act("c2", None, 40, "appeal_overturned", None)
        restore.reverses_pk = a2.pk
        a2.reversed_at = hours(40)
