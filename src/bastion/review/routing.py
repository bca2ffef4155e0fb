"""Routing: the first rule that matches a job's facts names its queue; else the default queue. Pure."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from bastion.review.config import ReviewConfig, RouteMatch


@dataclass(frozen=True)
class JobFacts:
    policy_id: str | None
    language: str | None
    country: str | None
    surface: str | None
    severity: int


def _matches(match: RouteMatch, facts: JobFacts) -> bool:
    if match.policy and not any(fnmatch.fnmatchcase(facts.policy_id or "", p) for p in match.policy):
        return False
    if match.language and facts.language not in match.language:
        return False
    if match.country and facts.country not in match.country:
        return False
    if match.surface and facts.surface not in match.surface:
        return False
    return facts.severity >= match.min_severity


def route(config: ReviewConfig, facts: JobFacts) -> str:
    for rule in config.routing:
        if _matches(rule.when, facts):
            return rule.queue
    return config.default_queue
