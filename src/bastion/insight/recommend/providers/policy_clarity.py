"""Clarify a policy: the pairs of labels reviewers confuse more than their general error rate explains.

From the quality report's confusion matrix (answer × label said): each label's mistakes are spread over
the other labels. If mistakes went to the other labels in proportion to how often reviewers use them,
the pair (a, b) would see `expected = errors(a)·use(b)/(1 - use(a)) + errors(b)·use(a)/(1 - use(b))`
disagreements. A pair is a hot spot when its count is above that with a one-sided Poisson test at
`SIGNIFICANCE` (Bonferroni over the pairs tested).

**Impact** (items per week): the disagreements above the expected ones, a week, scaled from the scored
decisions to all decisions — the decisions a clearer line between the two would set right.
"""

from __future__ import annotations

from itertools import combinations

from scipy.stats import poisson

from bastion.insight.recommend.model import Action, ActionKind, Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.quality.report import QualityReport

SIGNIFICANCE = 0.01
# Hot spots proposed at most: the largest. A line is redrawn one at a time (each a calibration exercise
# on the queue); every confused pair is on the quality report's page.
MOST = 1


def clarity_candidates(report: QualityReport, window: Window) -> list[Candidate]:
    """A candidate per confused pair of labels, at most `MOST`."""
    labels, matrix = report.confusion.labels, report.confusion.matrix
    if len(labels) < 2:
        return []
    said = [sum(matrix[i][j] for i in range(len(labels))) for j in range(len(labels))]
    total = sum(said) or 1
    use = [n / total for n in said]
    errors = [sum(row) - row[i] for i, row in enumerate(matrix)]
    scored = sum(r.scored for r in report.reviewers) or 1
    decisions = sum(r.decisions for r in report.reviewers)
    scale = max(decisions / scored, 1.0)
    pairs = list(combinations(range(len(labels)), 2))
    found = []
    for i, j in pairs:
        count = matrix[i][j] + matrix[j][i]
        expected = errors[i] * use[j] / max(1 - use[i], 1e-9) + errors[j] * use[i] / max(1 - use[j], 1e-9)
        p_value = float(poisson.sf(count - 1, expected)) if expected > 0 else (0.0 if count else 1.0)
        if count == 0 or p_value * len(pairs) >= SIGNIFICANCE:
            continue
        excess = (count - expected) * scale / window.weeks
        found.append((excess, labels[i], labels[j], count, expected, p_value, matrix[i][j], matrix[j][i]))
    found.sort(reverse=True)
    return [
        Candidate(
            kind=RecommendationKind.CLARIFY_POLICY,
            subject=f"{a} / {b}",
            title=f"Clarify the line between {a} and {b}",
            impact=excess,
            expected_effect=(
                f"about {excess:.0f} decisions a week no longer split between {a} and {b}, beyond the "
                f"reviewers' usual mistakes"
            ),
            evidence=Evidence(
                figures={
                    "disagreements": count,
                    "expected_from_error_rates": round(expected, 1),
                    "p_value": float(f"{p_value:.3g}"),
                    f"answer_{a}_said_{b}": a_as_b,
                    f"answer_{b}_said_{a}": b_as_a,
                },
                series_title="Disagreements: found against expected",
                series=(Point("found", count), Point("expected", round(expected, 1))),
            ),
            action=Action(
                ActionKind.CALIBRATION_EXERCISE,
                f"Open a calibration exercise on {a} and {b}",
                {"group": "queue:general", "policies": [a, b]},
            ),
        )
        for excess, a, b, count, expected, p_value, a_as_b, b_as_a in found[:MOST]
    ]
