"""Calibrate a reviewer or a vendor: those the decision-quality report flags (`bastion.quality`), with
their intervals and their disagreements as evidence.

**Impact** (items per week): the wrong decisions a week calibration would avoid, if it brought them to the
team's accuracy (the median of the reviewers not flagged): their decisions a week times the gap between
the team's accuracy and theirs. A reviewer flagged on some policies only counts their decisions on those.
"""

from __future__ import annotations

from statistics import median

from bastion.insight.recommend.model import Action, ActionKind, Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.quality.engine import quality_report
from bastion.quality.report import QualityReport, ReviewerScore, Score
from bastion.store.database import Database


def calibration_candidates(database: Database, window: Window) -> list[Candidate]:
    """A candidate per flagged reviewer and per flagged vendor."""
    report = quality_report(database, now=window.end, since=window.start)
    return candidates_of(report, window)


def candidates_of(report: QualityReport, window: Window) -> list[Candidate]:
    """The candidates of a quality report already made (the service shares one report between providers)."""
    team = median(
        [r.accuracy for r in report.reviewers if not r.flagged and r.accuracy is not None and r.scored >= 30] or [0.9]
    )
    found = [_reviewer(r, team, report, window) for r in report.reviewers if r.flagged]
    found += [_vendor(v, team, window) for v in report.vendors if v.flagged]
    return [c for c in found if c.impact > 0]


def _gap(score: Score, team: float) -> float:
    return max(0.0, team - (score.accuracy if score.accuracy is not None else team))


def _reviewer(reviewer: ReviewerScore, team: float, report: QualityReport, window: Window) -> Candidate:
    weak = [p for p in reviewer.policies if p.flagged]
    overall = reviewer.accuracy_high is not None and reviewer.accuracy_high < report.thresholds.accuracy
    if overall or not weak:
        wrong_avoided = reviewer.decisions * _gap(reviewer, team)
        where = "on every policy"
    else:
        wrong_avoided = sum(p.decisions * _gap(p, team) for p in weak)
        where = "on " + ", ".join(p.key for p in weak)
    impact = wrong_avoided / window.weeks
    policies = [p.key for p in weak] or [p.key for p in reviewer.policies]
    return Candidate(
        kind=RecommendationKind.CALIBRATE_REVIEWER,
        subject=reviewer.key,
        title=f"Calibrate reviewer {reviewer.key} {where}",
        impact=impact,
        expected_effect=(
            f"about {impact:.0f} wrong decisions a week avoided, if {reviewer.key} decided as accurately as the "
            f"team ({team:.0%})"
        ),
        evidence=Evidence(
            figures={
                "vendor": reviewer.vendor or "in-house",
                "decisions": reviewer.decisions,
                "scored": reviewer.scored,
                "accuracy": _rounded(reviewer.accuracy),
                "accuracy_low": _rounded(reviewer.accuracy_low),
                "accuracy_high": _rounded(reviewer.accuracy_high),
                "team_accuracy": round(team, 4),
                "bar": report.thresholds.accuracy,
                "overturned_on_appeal": reviewer.overturned,
                **{f"accuracy_on_{p.key}": _rounded(p.accuracy) for p in weak},
            },
            examples=tuple(
                f"decision:{d.decision_pk} said {d.label}, answer {d.reference}"
                for d in reviewer.disagreements
                if d.decision_pk is not None
            ),
            series_title="Accuracy by policy",
            series=tuple(Point(p.key, round(p.accuracy, 3)) for p in reviewer.policies if p.accuracy is not None),
        ),
        action=Action(
            ActionKind.CALIBRATION_EXERCISE,
            f"Open a calibration exercise for {reviewer.key}",
            {
                "group": f"users:{reviewer.key}",
                "policies": policies,
                "decisions": [str(d.decision_pk) for d in reviewer.disagreements if d.decision_pk is not None],
            },
        ),
    )


def _vendor(vendor: Score, team: float, window: Window) -> Candidate:
    impact = vendor.decisions * _gap(vendor, team) / window.weeks
    return Candidate(
        kind=RecommendationKind.CALIBRATE_VENDOR,
        subject=vendor.key,
        title=f"Calibrate vendor {vendor.key}",
        impact=impact,
        expected_effect=f"about {impact:.0f} wrong decisions a week avoided at the team's accuracy ({team:.0%})",
        evidence=Evidence(
            figures={
                "decisions": vendor.decisions,
                "scored": vendor.scored,
                "accuracy": _rounded(vendor.accuracy),
                "accuracy_low": _rounded(vendor.accuracy_low),
                "accuracy_high": _rounded(vendor.accuracy_high),
                "team_accuracy": round(team, 4),
            }
        ),
        action=Action(
            ActionKind.CALIBRATION_EXERCISE,
            f"Open a calibration exercise for {vendor.key}",
            {"group": f"vendor:{vendor.key}"},
        ),
    )


def _rounded(value: float | None) -> float | str:
    return round(value, 4) if value is not None else "not measured"
