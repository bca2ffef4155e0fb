"""The review configuration, written by admins in YAML: queues, routing rules, strikes, wellness.

Pure: parsing and validation only. Loading into the store (versioned) is in `config_store.py`.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bastion.domain.policy import Action
from bastion.domain.review import JobKind
from bastion.errors import NotFound
from bastion.ingest.validation import json_path
from bastion.yaml_document import Location, validate_yaml

_QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _queue_name(value: str) -> str:
    if not _QUEUE_NAME.match(value):
        raise ValueError(f"{value!r} is not a queue name: use lowercase letters, digits, - and _ (at most 64)")
    return value


QueueName = Annotated[str, AfterValidator(_queue_name)]
DEFAULT_CONFIG = Path(__file__).with_name("default_config.yaml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriorityWeights(Strict):
    severity: float = Field(1.0, ge=0)
    confidence: float = Field(1.0, ge=0)
    reach: float = Field(0.5, ge=0)
    reports: float = Field(1.0, ge=0)
    age: float = Field(2.0, ge=0, description="Weight of the share of the SLA already used")


class Wellness(Strict):
    blur_images: bool = True
    greyscale_images: bool = True


class QueueSpec(Strict):
    name: QueueName
    title: str
    kind: JobKind = JobKind.REVIEW
    policies: tuple[str, ...] = ("*",)
    languages: tuple[str, ...] = ()  # empty: any language
    vendors: tuple[str, ...] = ()  # vendors whose reviewers may work this queue; in-house reviewers always may
    sla_hours: float = Field(24.0, gt=0)
    reviews_required: int = Field(1, ge=1, le=3)
    double_review_min_severity: int = Field(5, ge=1, le=5, description="Severity from which two reviews are needed")
    rationale_required: bool = False
    priority_weights: PriorityWeights = PriorityWeights()
    wellness: Wellness = Wellness()

    def reviews_for(self, severity: int) -> int:
        return max(self.reviews_required, 2 if severity >= self.double_review_min_severity else 1)


class RouteMatch(Strict):
    policy: tuple[str, ...] = ()  # glob patterns over policy ids; empty: any
    language: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    surface: tuple[str, ...] = ()
    min_severity: int = Field(1, ge=1, le=4)


class RoutingRule(Strict):
    when: RouteMatch
    queue: QueueName


STRIKE_ACTIONS = (Action.WARN, Action.SUSPEND, Action.BAN)


def _strike_action(value: object) -> object:
    if value not in STRIKE_ACTIONS:
        raise ValueError(f"must be {', '.join(STRIKE_ACTIONS[:-1])} or {STRIKE_ACTIONS[-1]}, got {value!r}")
    return value


class StrikeThreshold(Strict):
    points: float = Field(gt=0)
    action: Annotated[Action, BeforeValidator(_strike_action)]


class StrikePolicy(Strict):
    window_days: int = Field(90, ge=1)
    weights: dict[str, float] = Field(default_factory=lambda: {"default": 1.0})
    thresholds: tuple[StrikeThreshold, ...] = ()

    def weight_for(self, policy_id: str) -> float:
        """The weight of the most specific entry: `hate_speech.slurs`, then `hate_speech`, then default."""
        parts = policy_id.split(".")
        for end in range(len(parts), 0, -1):
            found = self.weights.get(".".join(parts[:end]))
            if found is not None:
                return found
        return self.weights.get("default", 1.0)


DEFAULT_CAP = "default"  # the daily exposure cap of harm types without one of their own


class ReviewConfig(Strict):
    queues: tuple[QueueSpec, ...]
    routing: tuple[RoutingRule, ...] = ()
    default_queue: QueueName
    escalation_queue: QueueName
    appeals_queue: QueueName
    lease_minutes: float = Field(15.0, gt=0, le=24 * 60)
    undo_seconds: float = Field(
        10.0, ge=0, le=300, description="How long a reviewer may take a decision back; its enforcement waits as long"
    )
    strikes: StrikePolicy = StrikePolicy()
    daily_exposure_caps: dict[str, int] = Field(
        default_factory=dict, description="Per harm type (top-level policy id) per reviewer per day; 'default' too"
    )
    private_fields: tuple[str, ...] = Field(default=(), description="Actor attribute names vendor reviewers never see")

    @model_validator(mode="after")
    def _queues_exist(self) -> ReviewConfig:
        problems = queue_reference_errors(self.model_dump(mode="json"))
        if problems:
            raise ValueError("; ".join(f"{json_path('', loc)}: {message}" for loc, message in problems))
        return self

    @cached_property
    def by_name(self) -> dict[str, QueueSpec]:
        return {q.name: q for q in self.queues}

    def queue(self, name: str) -> QueueSpec:
        spec = self.by_name.get(name)
        if spec is None:
            raise NotFound(f"no queue named {name!r}")
        return spec

    def daily_cap(self, harm_type: str | None) -> int | None:
        if harm_type is not None and harm_type in self.daily_exposure_caps:
            return self.daily_exposure_caps[harm_type]
        return self.daily_exposure_caps.get(DEFAULT_CAP)


QUEUE_REFERENCES = ("default_queue", "escalation_queue", "appeals_queue")


def queue_reference_errors(document: object) -> list[tuple[Location, str]]:
    """Every queue named once, and every queue the configuration names defined.

    Reads the document as parsed, not the validated model, so that these problems are reported
    together with every field error of the same file; parts that are not the right shape are left
    to the field checks.
    """
    if not isinstance(document, dict):
        return []
    queues = document.get("queues")
    if not isinstance(queues, list):
        return []
    if not queues:
        return [(("queues",), "define at least one queue")]
    problems: list[tuple[Location, str]] = []
    first: dict[str, int] = {}
    for index, queue in enumerate(queues):
        name = queue.get("name") if isinstance(queue, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            problems.append((("queues", index, "name"), f"queue {name!r} is defined already, as queues[{first[name]}]"))
        else:
            first[name] = index
    wanted: list[tuple[Location, object]] = [((key,), document.get(key)) for key in QUEUE_REFERENCES]
    routing = document.get("routing")
    if isinstance(routing, list):
        wanted += [(("routing", i, "queue"), r.get("queue")) for i, r in enumerate(routing) if isinstance(r, dict)]
    for loc, name in wanted:
        if isinstance(name, str) and name not in first:
            known = ", ".join(first) or "none"
            problems.append((loc, f"no queue named {name!r} is defined (defined: {known})"))
    return problems


def parse_review_config(text: str, source: str) -> ReviewConfig:
    """Parse and check a review configuration; every error in the file is reported at once."""
    return validate_yaml(ReviewConfig, text, f"review configuration {source}", cross_checks=queue_reference_errors)


def default_review_config() -> ReviewConfig:
    return parse_review_config(DEFAULT_CONFIG.read_text(encoding="utf-8"), DEFAULT_CONFIG.name)
