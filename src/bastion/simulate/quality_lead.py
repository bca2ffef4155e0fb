"""The simulated QA lead: puts every review queue under a QA plan, keeps a golden set of posts whose truth
is known, and serves it as the platform runs, through the same services a QA lead uses.

- **QA plans**: each review queue samples `QA_RATE` of its decisions, every decision of a reviewer's first
  `NEW_REVIEWER_BAR`, and every decision overturned on appeal, for blind re-review by the QA team
  (`workforce.build_qa_team`), whose own accuracy is planted high.
- **Golden set** (`GOLDEN_SET`): at the end of every simulated day the lead adds some of the day's posts
  whose truth the simulation knows (`GOLDEN_VIOLATING` of the violating ones, `GOLDEN_BENIGN` of the others),
  with that truth as the answer, in the queue a report of it would be routed to or (`GENERAL_SHARE` of
  them) the default queue, which takes every policy and most reviewers work. The set serves
  `GOLDEN_PER_DAY` golden jobs a day in each of its queues, on top of `GOLDEN_SHARE` of their inflow.
  The simulated platform is small for its workforce (a few hundred reports in two weeks for two dozen
  reviewers), so the steady daily dose is what gives each reviewer enough scored decisions to be judged.

Nothing here reads a reviewer's planted accuracy: the quality report has to find the weak ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from bastion.domain.policy import harm_type
from bastion.policy.service import current_policies
from bastion.quality.golden import GoldenEntry, add_items
from bastion.quality.golden_serving import serve_golden_jobs
from bastion.quality.qa import set_plan
from bastion.review.config_store import current_review_config
from bastion.review.routing import JobFacts, route
from bastion.simulate.randomness import substream
from bastion.simulate.writer import PRINCIPAL
from bastion.store.database import Database
from bastion.store.schema import ContentItem

QA_RATE = 0.15
QA_QUEUE = "qa"
NEW_REVIEWER_BAR = 20
GOLDEN_SET = "simulated-golden"
GOLDEN_VIOLATING = 1.0
GOLDEN_BENIGN = 0.01
GOLDEN_PER_DAY = 80
GOLDEN_SHARE = 0.1
GENERAL_SHARE = 0.5  # of golden items served in the default queue rather than where reports would route them


@dataclass
class QualityLead:
    """Sets the QA plans once, then curates and serves the golden set as days go by."""

    database: Database
    seed: int
    _candidates: dict[str, str | None] = field(default_factory=dict)  # content id -> its true policy
    _day: str | None = None

    def __post_init__(self) -> None:
        self._rng = substream(self.seed, "quality-lead")
        self._serving_rng = substream(self.seed, "quality-lead/serving")

    def plan_qa(self, *, now: datetime) -> None:
        """Every review queue under a QA plan (set once: the same plan again adds no version)."""
        with self.database.transaction() as session:
            config = current_review_config(session).config
            for queue in config.queues:
                if queue.kind != "review":
                    continue
                document = {
                    "queue": queue.name,
                    "qa_queue": QA_QUEUE,
                    "rate": QA_RATE,
                    "targets": {
                        "new_reviewer": {"fewer_than": NEW_REVIEWER_BAR, "rate": 1.0},
                        "overturned": {"rate": 1.0},
                    },
                }
                set_plan(session, document, principal=PRINCIPAL, now=now)

    def posted(self, content_id: str, truth: str | None) -> None:
        """A post the platform wrote; the lead may pick it for the golden set at the end of its day."""
        chance = GOLDEN_VIOLATING if truth is not None else GOLDEN_BENIGN
        if self._rng.random() < chance:
            self._candidates[content_id] = truth

    def hour_passed(self, now: datetime) -> None:
        """Curate at a day's end, then serve what is due."""
        day = now.date().isoformat()
        if self._day is not None and day != self._day and self._candidates:  # those written so far
            self._curate(now)
        self._day = day
        with self.database.transaction() as session:
            serve_golden_jobs(session, now=now, rng=self._serving_rng, principal=PRINCIPAL, set_name=GOLDEN_SET)

    def _curate(self, now: datetime) -> None:
        with self.database.transaction() as session:
            config = current_review_config(session).config
            policies = current_policies(session)
            rows = session.execute(
                select(ContentItem.external_id, ContentItem.language, ContentItem.country, ContentItem.surface).where(
                    ContentItem.external_id.in_(list(self._candidates))
                )
            )
            entries = []
            for external_id, language, country, surface in rows:
                truth = self._candidates.pop(str(external_id))
                record = policies.get(truth) if truth else None
                severity = record.policy.severity if record else 1
                queue = route(config, JobFacts(truth, language, country, surface, severity))
                if self._rng.random() < GENERAL_SHARE:
                    queue = config.default_queue  # seen by every reviewer who reads its language
                answer = truth if truth is not None else "none"
                why = (
                    f"the simulation planted it as {harm_type(truth)}" if truth else "the simulation planted it benign"
                )
                entries.append(GoldenEntry(str(external_id), answer, why, queue))
            if entries:
                add_items(
                    session,
                    GOLDEN_SET,
                    entries,
                    share=GOLDEN_SHARE,
                    per_day=GOLDEN_PER_DAY,
                    now=now,
                    principal=PRINCIPAL,
                )
