"""Raise a rule's threshold: rules in force whose precision review measured below the floor with
confidence (`bastion.detect.performance`: the Wilson interval's upper end under `PRECISION_FLOOR`).

When the rule's condition compares a signal with a number (`>= 5`, `> 0.8`), the proposal is a stricter
number: halfway to 1 for a score between 0 and 1, half as much again for a count. Acting on it loads the
changed rule beside the live one, in shadow mode (`actions.py`), so both are measured on the same traffic
before anyone switches.

**Impact** (items per week): the rule's hits a week that review found not violating — jobs opened (or
actions taken) for nothing, which a stricter rule would stop.
"""

from __future__ import annotations

import re

from bastion.detect.performance import PRECISION_FLOOR, rule_figures
from bastion.detect.rule_store import rules_in_force
from bastion.insight.recommend.model import Action, ActionKind, Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.store.database import Database

_COMPARISON = re.compile(r"(>=|>)\s*(\d+(?:\.\d+)?)")


def stricter(when: str) -> tuple[str, str, str] | None:
    """The condition with its first lower bound raised, the old number and the new; None without one."""
    match = _COMPARISON.search(when)
    if match is None:
        return None
    old = float(match.group(2))
    new = round((old + 1.0) / 2.0, 3) if 0.0 < old < 1.0 else float(int(old * 1.5) if old >= 2 else old + 1)
    text = f"{new:g}" if "." in match.group(2) or not new.is_integer() else str(int(new))
    if "." in match.group(2) and "." not in text:
        text += ".0"
    return when[: match.start(2)] + text + when[match.end(2) :], match.group(2), text


def rule_candidates(database: Database, window: Window) -> list[Candidate]:
    """A candidate per rule in force whose precision is below the floor with confidence."""
    with database.transaction() as session:
        rules = [r for r in rules_in_force(session) if str(r.mode) != "off"]
        days = max(round((window.end - window.start).total_seconds() / 86400), 1)
        figures = rule_figures(session, rules, now=window.end, days=days)
    found = []
    by_name = {r.name: r for r in rules}
    for figure in figures:
        rate = figure.precision
        if rate.high is None or rate.high >= PRECISION_FLOOR or rate.value is None:
            continue
        rule = by_name[figure.name]
        wrong = rate.total - rate.count
        share_decided = rate.total / figure.hits if figure.hits else 1.0
        impact = wrong / max(share_decided, 1e-9) * (figure.hits_in_window / max(figure.hits, 1)) / window.weeks
        change = stricter(rule.when)
        action = None
        if change is not None:
            new_when, old, new = change
            action = Action(
                ActionKind.SHADOW_RULE,
                f"Load {rule.name} with {new} instead of {old}, in shadow",
                {"rule": rule.name, "when": new_when, "old": old, "new": new},
            )
        title = (
            f"Raise the threshold of rule {rule.name} from {change[1]} to {change[2]}"
            if change
            else f"Narrow rule {rule.name}: most of its hits are not violating"
        )
        found.append(
            Candidate(
                kind=RecommendationKind.RULE_THRESHOLD,
                subject=rule.name,
                title=title,
                impact=impact,
                expected_effect=f"about {impact:.0f} jobs a week no longer opened on items that break no rule",
                evidence=Evidence(
                    figures={
                        "mode": str(rule.mode),
                        "version": figure.version,
                        "hits": figure.hits,
                        "hits_in_window": figure.hits_in_window,
                        "decided_hits": rate.total,
                        "violating": rate.count,
                        "precision": round(rate.value, 4),
                        "precision_high": round(rate.high, 4),
                        "precision_floor": PRECISION_FLOOR,
                        "overturn_rate": round(figure.overturned.value, 4)
                        if figure.overturned.value is not None
                        else "no appeal decided",
                        "condition": rule.when,
                    },
                    series_title="Hits per day",
                    series=tuple(Point(d.day.isoformat(), d.hits) for d in figure.daily),
                ),
                action=action,
            )
        )
    return found
