"""Detection as a service: the detector in force (rules, banks and plug-in signals from the store,
compiled once per change), run on queued items by the worker, or at once for an API request that
waits, and the verdicts read back.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy import Engine as Engine_
from sqlalchemy.orm import Session

from bastion.detect.backtest import BacktestReport, TestedRule, backtest
from bastion.detect.banks import banks_in_force
from bastion.detect.context import VariableBuilder
from bastion.detect.engine import Engine
from bastion.detect.fields import context_fields
from bastion.detect.labels import labels_of
from bastion.detect.pipeline import BatchOutcome, Detector, detect_batch
from bastion.detect.rule_store import rules_in_force
from bastion.detect.signals import SignalPlan, SignalProvider, signal_generation, signal_providers
from bastion.detect.velocity import MemoryVelocity, StoreVelocity
from bastion.domain.detect import RuleMode
from bastion.store.database import Database
from bastion.store.schema import BankVersion, ContentItem, DetectionVerdict, Job, RuleHit, RuleVersion


def build_detector(
    session: Session, *, rules: Sequence[Any] | None = None, providers: Sequence[SignalProvider] | None = None
) -> Detector:
    """Compile rules (by default the rules in force) against the banks and plug-in signals there are now."""
    providers = list(signal_providers(session) if providers is None else providers)
    banks = banks_in_force(session)
    fields = context_fields(banks.keyword, banks.regex, {p.name: p.fields for p in providers})
    engine: Engine[Any] = Engine(rules_in_force(session) if rules is None else rules, fields)
    reads_all = "signals" in engine.groups

    def read(*prefix: str) -> bool:
        return reads_all or any(leaf[: len(prefix)] == prefix for leaf in engine.leaves)

    keyword = {name: bank for name, bank in banks.keyword.items() if read("signals", "keyword", name)}
    plan = SignalPlan(
        keyword_banks=keyword,
        regex_banks={name: bank for name, bank in banks.regex.items() if read("signals", "regex", name)},
        folded=bool(keyword) or "content" in engine.groups or ("content", "folded") in engine.leaves,
        labels=read("signals", "labels"),
        # A provider that keeps state of its own over every item (`always = True`: near-duplicate clusters)
        # runs whether or not a rule reads it.
        providers=[p for p in providers if read("signals", p.name) or getattr(p, "always", False)],
    )
    return Detector(engine, VariableBuilder(engine.leaves, engine.groups, fields), plan, fields)


Generation = tuple[object, ...]


def generation(session: Session) -> Generation:
    """Changes whenever a rule or a bank gets a new version, or an area's signal groups change: when a
    detector must be built anew."""
    rules = session.scalar(select(func.max(RuleVersion.pk))) or 0
    banks = session.scalar(select(func.max(BankVersion.pk))) or 0
    return int(rules), int(banks), *signal_generation(session)


class DetectorCache:
    """One detector per store and process, rebuilt when the rules or banks in force change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: weakref.WeakKeyDictionary[Engine_, tuple[Generation, Detector]] = weakref.WeakKeyDictionary()

    def detector(self, session: Session) -> Detector:
        store = session.get_bind()
        engine = store.engine if isinstance(store, Connection) else store
        current = generation(session)
        with self._lock:
            built = self._built.get(engine)
            if built is None or built[0] != current:
                built = (current, build_detector(session))
                self._built[engine] = built
            return built[1]


DETECTORS = DetectorCache()


def detect(session: Session, content_pks: Sequence[int], now: datetime) -> BatchOutcome:
    """Run detection on these queued items in the caller's transaction, with the store's counters."""
    return detect_batch(
        session,
        content_pks,
        DETECTORS.detector(session),
        velocity=StoreVelocity(session),
        labels=partial(labels_of, session),
        now=now,
    )


def detect_for_worker(session: Session, content_pks: list[int], now: datetime) -> tuple[int, int]:
    outcome = detect(session, content_pks, now)
    return len(outcome.evaluated), len(outcome.hits)


@dataclass(frozen=True)
class HitView:
    rule: str
    version: int
    mode: str
    effects: list[dict[str, Any]]
    job_pk: int | None


@dataclass(frozen=True)
class VerdictView:
    content_id: str
    evaluated_at: datetime | None  # None: still waiting in the queue
    signals: dict[str, Any]
    rule_errors: dict[str, str]
    hits: list[HitView]


def detect_now(database: Database, content_ids: Sequence[str], now: datetime) -> list[VerdictView]:
    """Evaluate these items now (those still queued) and return every one's verdict: for an item
    evaluated before, the verdict it had; nothing runs twice."""
    with database.transaction() as session:
        pks = _pks_of(session, content_ids)
        detect(session, [pks[cid] for cid in content_ids if cid in pks], now)
    with database.transaction() as session:
        return verdicts_of(session, content_ids)


def _pks_of(session: Session, content_ids: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(ContentItem.external_id, ContentItem.pk).where(ContentItem.external_id.in_(content_ids))
    )
    return {str(external): int(pk) for external, pk in rows}


def verdicts_of(session: Session, content_ids: Sequence[str]) -> list[VerdictView]:
    """The verdicts of these items, in order (items unknown to the store are left out)."""
    pks = _pks_of(session, content_ids)
    if not pks:
        return []
    verdicts = {
        v.content_pk: v
        for v in session.scalars(select(DetectionVerdict).where(DetectionVerdict.content_pk.in_(pks.values())))
    }
    hits: dict[int, list[HitView]] = {}
    for hit in session.scalars(
        select(RuleHit).where(RuleHit.content_pk.in_(pks.values())).order_by(RuleHit.content_pk, RuleHit.pk)
    ):
        hits.setdefault(hit.content_pk, []).append(
            HitView(hit.rule_name, hit.rule_version, hit.mode, list(hit.effects), hit.job_pk)
        )
    views = []
    for content_id in content_ids:
        pk = pks.get(content_id)
        if pk is None:
            continue
        verdict = verdicts.get(pk)
        views.append(
            VerdictView(
                content_id,
                verdict.evaluated_at if verdict else None,
                dict(verdict.signals) if verdict else {},
                dict(verdict.rule_errors) if verdict else {},
                hits.get(pk, []),
            )
        )
    return views


def run_backtest(session: Session, rules: Sequence[Any], *, since: datetime, until: datetime) -> BacktestReport:
    """Backtest these rules (a checked rule file's) over the items posted in [since, until)."""
    tested = [TestedRule(rule.name, rule.when, rule.policy, str(rule.mode)) for rule in rules]
    live = [stored for stored in rules_in_force(session) if stored.mode == RuleMode.LIVE]
    detector = build_detector(session, rules=[*tested, *live])
    return backtest(session, detector, velocity=MemoryVelocity(), since=since, until=until)


@dataclass(frozen=True)
class DetectionSummary:
    evaluated: int
    hits: int
    jobs: int  # review jobs opened by rules
    rules: int  # rules in force, off ones included

    def describe(self) -> str:
        return (
            f"detection: {self.rules} rules evaluated {self.evaluated:,} items: {self.hits:,} rule hits, "
            f"{self.jobs:,} review jobs opened by rules"
        )


def detection_summary(session: Session) -> DetectionSummary:
    return DetectionSummary(
        int(session.scalar(select(func.count()).select_from(DetectionVerdict)) or 0),
        int(session.scalar(select(func.count()).select_from(RuleHit)) or 0),
        int(session.scalar(select(func.count()).select_from(Job).where(Job.rule_id.is_not(None))) or 0),
        len(rules_in_force(session)),
    )
