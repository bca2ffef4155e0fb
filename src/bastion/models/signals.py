"""The `model` signal group: every model in force scores each item detection evaluates.

Rules read `signals.model.<name>.score`, `.verdict` and `.available`. What each mode does:

- live: the item is scored, the score is stored (in the batch's transaction, never in a replay), rules
  read it, and it feeds the priority of the review jobs opened for the model's policy
  (`DetectionItem.confidence`, see `detect/effects.py`);
- shadow: the item is scored and the score stored, so the model can be measured against reviewers, but
  rules read `available: false` (score 0, verdict ""): nothing it says drives anything yet;
- off: not run; rules read `available: false`.

Every model in force has its fields whatever its mode, so changing a mode never breaks a loaded rule.
An endpoint that fails, times out or has its circuit breaker open leaves its items unavailable; it never
fails the batch. In a replay (a backtest) stored scores are read back; the built-in classifier scores
what has none; endpoints are not called.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.detect.context import DetectionItem
from bastion.detect.fields import BOOL, DOUBLE, STRING, Field, Group
from bastion.detect.signals import SignalScope
from bastion.domain.models import ModelKind, ModelMode, ModelVerdict
from bastion.domain.policy import covers
from bastion.errors import IntegrityBroken
from bastion.models.breaker import BREAKERS
from bastion.models.endpoint import score_with_endpoint
from bastion.models.prompt import score_with_prompt
from bastion.models.scores import ModelInForce, Score, verdict_at
from bastion.models.text_classifier import TextClassifier
from bastion.models.versions import in_force
from bastion.policy.service import current_policies
from bastion.store.bulk import driver_columns, driver_cursor
from bastion.store.schema import ModelScore, ModelVersion
from bastion.store.upsert import insert_ignoring_duplicates, table_of

NAME = "model"
MODEL_FIELDS = Group(
    "What one model in force said of the item.",
    {
        "score": Field(
            DOUBLE, "The probability that the item violates the model's policy, 0 to 1 (0 when unavailable)."
        ),
        "verdict": Field(STRING, 'violating or not_violating at the model\'s threshold ("" when unavailable).'),
        "available": Field(
            BOOL, "Whether the model scored the item: false when it is in shadow or off, or its endpoint failed."
        ),
    },
)
UNAVAILABLE: Mapping[str, Any] = {"score": 0.0, "verdict": "", "available": False}
_SCORE_COLUMNS = ("model_version_pk", "content_pk", "score", "verdict", "reasoning", "latency_ms", "scored_at")


def model_in_force(row: ModelVersion) -> ModelInForce:
    return ModelInForce(
        row.pk, row.name, row.version, row.kind, row.policy_id, row.mode, dict(row.config), row.artefact_sha256
    )


class ClassifierCache:
    """Loaded classifiers by model version and artefact digest, so that an artefact is read and checked
    once per process (the digest in the key: two stores may number their versions alike)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[tuple[int, str | None], TextClassifier] = {}

    def get(self, session: Session, model: ModelInForce) -> TextClassifier:
        with self._lock:
            found = self._loaded.get((model.pk, model.artefact_sha256))
        if found is not None:
            return found
        artefact = session.scalar(select(ModelVersion.artefact).where(ModelVersion.pk == model.pk))
        if artefact is None or hashlib.sha256(artefact).hexdigest() != model.artefact_sha256:
            raise IntegrityBroken(f"model {model.name}@{model.version}: its artefact does not match its digest")
        classifier = TextClassifier.from_bytes(artefact)
        with self._lock:
            self._loaded[(model.pk, model.artefact_sha256)] = classifier
        return classifier


CLASSIFIERS = ClassifierCache()


def score_items(
    session: Session, model: ModelInForce, items: Sequence[DetectionItem], scope: SignalScope
) -> list[Score | None]:
    """Ask the model about these items (the built-in classifier in process, endpoints over HTTP)."""
    if model.kind == ModelKind.SKLEARN:
        started = time.perf_counter()
        probabilities = CLASSIFIERS.get(session, model).probability_of("violating", [i.text for i in items])
        latency = (time.perf_counter() - started) * 1000 / max(len(items), 1)
        return [
            Score(float(p), verdict_at(float(p), model.threshold), latency) if item.text else None
            for item, p in zip(items, probabilities, strict=True)
        ]
    breaker = BREAKERS.of(model.pk)
    if model.kind == ModelKind.HTTP:
        return score_with_endpoint(model, items, breaker, scope.now)
    policies = [
        record.policy
        for policy_id, record in sorted(current_policies(session).items())
        if covers(model.policy_id, policy_id)
    ]
    return score_with_prompt(model, policies, items, breaker, scope.now)


def stored_scores(session: Session, model: ModelInForce, items: Sequence[DetectionItem]) -> dict[int, Score]:
    rows = session.execute(
        select(
            ModelScore.content_pk, ModelScore.score, ModelScore.verdict, ModelScore.latency_ms, ModelScore.reasoning
        ).where(ModelScore.model_version_pk == model.pk, ModelScore.content_pk.in_([i.content_pk for i in items]))
    )
    return {int(pk): Score(float(s), ModelVerdict(v), float(ms), r) for pk, s, v, ms, r in rows}


class ModelSignals:
    """The signal provider of every model in force."""

    name = NAME
    always = True  # shadow models are scored even when no rule reads them

    def __init__(self, models: Sequence[ModelInForce]) -> None:
        self.models = list(models)

    @property
    def fields(self) -> Group:
        return Group(
            "Model scores, by model name (see bastion classifier list).", {m.name: MODEL_FIELDS for m in self.models}
        )

    def compute(self, items: Sequence[DetectionItem], scope: SignalScope) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = [{} for _ in items]
        rows: list[tuple[Any, ...]] = []
        for model in self.models:
            scores = self._scores(model, items, scope) if model.mode != ModelMode.OFF else [None] * len(items)
            for item, value, score in zip(items, values, scores, strict=True):
                if score is None or model.mode != ModelMode.LIVE:
                    value[model.name] = dict(UNAVAILABLE)
                else:
                    value[model.name] = {"score": score.score, "verdict": score.verdict.value, "available": True}
                    item.confidence[model.policy_id] = max(item.confidence.get(model.policy_id, 0.0), score.score)
                if score is not None and not scope.replay:
                    rows.append(
                        (
                            model.pk,
                            item.content_pk,
                            score.score,
                            score.verdict.value,
                            score.reasoning,
                            score.latency_ms,
                            scope.now,
                        )
                    )
        if rows:
            store_scores(scope.session, rows)
        return values

    def _scores(self, model: ModelInForce, items: Sequence[DetectionItem], scope: SignalScope) -> list[Score | None]:
        if not scope.replay:
            return score_items(scope.session, model, items, scope)
        stored = stored_scores(scope.session, model, items)
        if model.kind != ModelKind.SKLEARN:
            return [stored.get(item.content_pk) for item in items]
        missing = [item for item in items if item.content_pk not in stored]
        fresh = dict(
            zip([i.content_pk for i in missing], score_items(scope.session, model, missing, scope), strict=True)
        )
        return [stored.get(item.content_pk) or fresh.get(item.content_pk) for item in items]


def store_scores(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert scores (values in `_SCORE_COLUMNS` order); an item scored again (detection run twice) keeps
    its first score. On SQLite through the driver's own cursor: SQLAlchemy's per-row work for a batch of
    hundreds of rows cost more than scoring them (docs/performance.md)."""
    dialect = session.get_bind().dialect.name
    if dialect != "sqlite":
        statement = insert_ignoring_duplicates(dialect, ModelScore, ("model_version_pk", "content_pk"))
        session.execute(statement, [dict(zip(_SCORE_COLUMNS, row, strict=True)) for row in rows])
        return
    values = driver_columns(dialect, table_of(ModelScore), _SCORE_COLUMNS, rows)
    cursor = driver_cursor(session)
    try:
        cursor.executemany(_SQLITE_INSERT, zip(*values, strict=True))
    finally:
        cursor.close()


_SQLITE_INSERT = " ".join(
    (
        "INSERT INTO model_scores (" + ", ".join(_SCORE_COLUMNS) + ")",
        "VALUES (" + ", ".join("?" * len(_SCORE_COLUMNS)) + ")",
        "ON CONFLICT (model_version_pk, content_pk) DO NOTHING",
    )
)


def model_signals(session: Session) -> list[ModelSignals]:
    """The provider for this store: one, holding every model in force (none when there is no model)."""
    models = [model_in_force(row) for row in in_force(session)]
    return [ModelSignals(models)] if models else []
