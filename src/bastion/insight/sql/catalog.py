"""The documented views of the SQL console: the only tables a console query can name.

Each view is a projection of one store table, written as the columns it keeps: internal keys (`pk`,
`*_pk`) stay so that views join, the platform's ids stay as `external_id`, and what must never leave
the store is simply not a column: users' password hashes, API keys, web sessions, the audit log and
the webhook outbox have no view at all. Actor attributes and event data go through the configured
private fields (`review/private_fields.py`) before a query sees them (`masked` below).

docs/insight.md ("SQL console") documents every view and column; a test holds the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, TypeDecorator

from bastion.store.schema import Base


@dataclass(frozen=True)
class ViewColumn:
    name: str
    source: str  # the store column it reads (an expression over the store table, aliased `name`)
    masked: bool = False  # a JSON document whose private fields are removed before a query sees it


@dataclass(frozen=True)
class SqlView:
    name: str
    table: str  # the store table it projects
    columns: tuple[ViewColumn, ...]


def _cols(*names: str, masked: tuple[str, ...] = ()) -> tuple[ViewColumn, ...]:
    return tuple(ViewColumn(n, n, masked=n in masked) for n in names)


VIEWS: tuple[SqlView, ...] = (
    SqlView(
        "content",
        "content_items",
        _cols(
            "pk", "external_id", "actor_pk", "type", "text", "media_url", "language", "language_detected",
            "country", "surface", "created_at", "views", "received_at",
        ),
    ),
    SqlView(
        "actors",
        "actors",
        _cols("pk", "external_id", "created_at", "country", "language", "attributes", "received_at",
              masked=("attributes",)),
    ),
    SqlView(
        "reports",
        "reports",
        _cols("pk", "external_id", "content_pk", "actor_pk", "reporter_id", "reason", "policy_id", "text",
              "created_at", "received_at"),
    ),
    SqlView("views", "views", _cols("pk", "external_id", "content_pk", "viewer_id", "viewed_at", "weight")),
    SqlView(
        "events",
        "events",
        _cols("pk", "kind", "subject_type", "subject_pk", "occurred_at", "recorded_at", "principal", "data",
              masked=("data",)),
    ),
    SqlView(
        "jobs",
        "jobs",
        _cols(
            "pk", "queue", "kind", "subject_type", "subject_pk", "status", "policy_hint", "harm_type", "severity",
            "language", "country", "surface", "priority", "report_count", "reviews_required", "reviews_done",
            "created_at", "sla_due_at", "claimed_at", "decided_at", "rule_id", "rule_version", "appeal_pk",
        ),
    ),
    SqlView(
        "decisions",
        "decisions",
        _cols("pk", "job_pk", "reviewer_pk", "round", "policy_id", "policy_version", "harm_type", "action",
              "rationale", "seconds_spent", "decided_at", "final", "withdrawn_at"),
    ),
    SqlView(
        "actions",
        "enforcement_actions",
        _cols("pk", "subject_type", "subject_pk", "action", "policy_id", "policy_version", "decision_pk",
              "reverses_pk", "reason", "created_at", "created_by", "reversed_at", "cancelled_at"),
    ),
    SqlView(
        "appeals",
        "appeals",
        _cols("pk", "external_id", "action_pk", "actor_pk", "text", "filed_at", "status", "job_pk", "resolved_at"),
    ),
    SqlView(
        "strikes", "strikes", _cols("pk", "actor_pk", "policy_id", "weight", "action_pk", "created_at", "voided_at")
    ),
    SqlView(
        "rule_hits",
        "rule_hits",
        _cols("pk", "rule_name", "rule_version", "mode", "content_pk", "actor_pk", "policy_id", "confidence",
              "hit_at", "occurred_at", "job_pk"),
    ),
    SqlView(
        "model_scores",
        "model_scores",
        _cols("pk", "model_version_pk", "content_pk", "score", "verdict", "latency_ms", "scored_at"),
    ),
    SqlView(
        "policies",
        "policy_versions",
        _cols("pk", "policy_id", "version", "title", "severity", "dsa_category", "retired", "loaded_at"),
    ),
    SqlView("reviewers", "users", _cols("pk", "name", "roles", "vendor", "languages", "active", "created_at")),
    SqlView(
        "trend_alerts",
        "trend_alerts",
        _cols("pk", "kind", "metric", "segment_key", "at", "score", "detected_at"),
    ),
)  # fmt: skip

VIEW_NAMES = frozenset(view.name for view in VIEWS)
BY_NAME = {view.name: view for view in VIEWS}


def column_type(view: SqlView, column: ViewColumn) -> str:
    """The DuckDB type of a view's column, from the store's schema (the same on every backend)."""
    kind = Base.metadata.tables[view.table].c[column.source].type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        return "JSON"
    python = kind.python_type
    if python is bool:
        return "BOOLEAN"
    if python is int:
        return "BIGINT"
    if python is float:
        return "DOUBLE"
    if python is datetime:
        return "TIMESTAMP"  # UTC: the console's DuckDB runs in UTC
    if python in (dict, list):
        return "JSON"
    return "VARCHAR"
