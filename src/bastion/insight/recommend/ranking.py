"""Ranking: candidates of every kind in one list, by their impact in items per week.

Impact is stated in the same unit by every provider, so the order across kinds is the order of the
figures. Ties (and impacts equal after rounding to a tenth) keep a fixed order: kind, then subject, so
the same store always ranks the same way. Two candidates with the same key are one recommendation: the
larger impact stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bastion.insight.recommend.model import IMPACT_UNIT, ActedOn, Candidate, Recommendation


def rank(candidates: Iterable[Candidate], acted: Mapping[str, ActedOn] | None = None) -> list[Recommendation]:
    """Rank 1 for the largest impact; each recommendation marked with what was done about it, if anything."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        held = best.get(candidate.key)
        if held is None or candidate.impact > held.impact:
            best[candidate.key] = candidate
    ordered = sorted(best.values(), key=lambda c: (-round(c.impact, 1), c.kind.value, c.subject))
    done = acted or {}
    return [
        Recommendation(
            rank=number,
            key=c.key,
            kind=c.kind,
            title=c.title,
            subject=c.subject,
            impact=round(c.impact, 1),
            impact_unit=IMPACT_UNIT,
            expected_effect=c.expected_effect,
            evidence=c.evidence,
            action=c.action,
            acted=done.get(c.key),
        )
        for number, c in enumerate(ordered, start=1)
    ]
