"""Investigate a mass-reporting campaign: accounts that keep reporting one target, and whose reports on it
review keeps rejecting.

Each report is on a target account: the account reported, or the author of the item reported. Two tests:
1. **Concentration**, per reporter: of their `m` reports, `x` are on their most reported target, whose
   share of the views in the window is `p` (what people see is what they can report; at least one
   account's even share). Reporting in proportion to what they see, `x` or more would have the binomial
   chance `P(X >= x | m, p)`; a reporter is fixated when that is under `SIGNIFICANCE` divided by the
   number of reporters tested (Bonferroni). Reports themselves cannot be the baseline: a campaign
   inflates its target's share of them.
2. **Precision**: of the fixated reporters' decided reports on the target, the share review found
   violating, against the share of every other report (the platform's reporter precision): a one-sided
   binomial test, under `PRECISION_SIGNIFICANCE` (a second test, on targets the first already singled out).
A target with `MIN_REPORTERS` fixated reporters whose reports fail the precision test is a campaign.

**Impact** (items per week): the campaign's reports a week over the window — each one a review spent on
nothing and an attempt to silence its target.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from scipy.stats import binom, binomtest
from sqlalchemy import func, select

from bastion.clock import as_utc
from bastion.insight.recommend.model import Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.review.outcomes import review_outcomes
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, Report, View

SIGNIFICANCE = 0.01
PRECISION_SIGNIFICANCE = 0.05
MIN_REPORTS = 3  # a reporter with fewer cannot be told apart from chance
MIN_REPORTERS = 2


def mass_reporting_candidates(database: Database, window: Window) -> list[Candidate]:
    """A candidate per target of a mass-reporting campaign."""
    with database.transaction() as session:
        rows = session.execute(
            select(
                Report.pk,
                Report.reporter_id,
                Report.content_pk,
                Report.actor_pk,
                ContentItem.actor_pk,
                Report.created_at,
            )
            .outerjoin(ContentItem, ContentItem.pk == Report.content_pk)
            .where(Report.created_at >= window.start, Report.created_at < window.end, Report.reporter_id.is_not(None))
        ).all()
        outcomes = review_outcomes(session, {int(r[2]) for r in rows if r[2] is not None})
        names = dict(session.execute(select(Actor.pk, Actor.external_id)).all())
        seen = session.execute(
            select(ContentItem.actor_pk, func.sum(View.weight))
            .join(View, View.content_pk == ContentItem.pk)
            .where(View.viewed_at >= window.start, View.viewed_at < window.end)
            .group_by(ContentItem.actor_pk)
        ).all()
    reports: list[tuple[str, int, int | None, datetime]] = []
    for _, reporter, content_pk, actor_pk, author_pk, created_at in rows:
        target = actor_pk if actor_pk is not None else author_pk
        if target is not None:
            reports.append((str(reporter), int(target), int(content_pk) if content_pk else None, as_utc(created_at)))
    if not reports:
        return []
    views = {int(actor): float(weight or 0) for actor, weight in seen}
    total_views = sum(views.values())
    floor = 1.0 / max(len(names), 1)
    by_reporter: dict[str, Counter[int]] = defaultdict(Counter)
    for reporter, target, _, _ in reports:
        by_reporter[reporter][target] += 1
    tested = [r for r, counts in by_reporter.items() if sum(counts.values()) >= MIN_REPORTS]
    fixated: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for reporter in tested:
        counts = by_reporter[reporter]
        target, x = counts.most_common(1)[0]
        exposure = max(views.get(target, 0.0) / total_views if total_views else 0.0, floor)
        p_value = float(binom.sf(x - 1, sum(counts.values()), exposure))
        if p_value * len(tested) < SIGNIFICANCE:
            fixated[target].append((reporter, p_value))
    suspects = {(r, t) for t, pairs in fixated.items() for r, _ in pairs}
    decided = [outcomes[c] for r, t, c, _ in reports if c in outcomes and (r, t) not in suspects]
    baseline = sum(o.violating for o in decided) / len(decided) if decided else 0.5
    found = []
    for target, reporters in fixated.items():
        if len(reporters) < MIN_REPORTERS:
            continue
        who = {r for r, _ in reporters}
        theirs = [(c, at) for r, t, c, at in reports if t == target and r in who]
        judged = [outcomes[c] for c, _ in theirs if c is not None and c in outcomes]
        upheld = sum(o.violating for o in judged)
        if not judged:
            continue
        precision = binomtest(upheld, len(judged), baseline, alternative="less").pvalue
        if precision >= PRECISION_SIGNIFICANCE:
            continue
        found.append(
            _candidate(
                names.get(target, str(target)), reporters, theirs, upheld, len(judged), baseline, precision, window
            )
        )
    return found


def _candidate(
    target: str,
    reporters: list[tuple[str, float]],
    theirs: list[tuple[int | None, datetime]],
    upheld: int,
    judged: int,
    baseline: float,
    p_value: float,
    window: Window,
) -> Candidate:
    impact = len(theirs) / window.weeks
    days = Counter(at.date().isoformat() for _, at in theirs)
    first, last = min(at for _, at in theirs), max(at for _, at in theirs)
    ordered = sorted(reporters, key=lambda pair: pair[1])
    return Candidate(
        kind=RecommendationKind.INVESTIGATE_REPORTING,
        subject=target,
        title=f"Investigate {len(reporters)} accounts mass-reporting {target}",
        impact=impact,
        expected_effect=(
            f"about {impact:.0f} bad-faith reports a week stopped: reviews saved and {target} no longer "
            "harassed through the report button"
        ),
        evidence=Evidence(
            figures={
                "reporters": len(reporters),
                "reports": len(theirs),
                "decided": judged,
                "found_violating": upheld,
                "reporter_precision": round(upheld / judged, 4),
                "platform_reporter_precision": round(baseline, 4),
                "precision_p_value": float(f"{p_value:.3g}"),
                "strongest_concentration_p_value": float(f"{ordered[0][1]:.3g}"),
                "first_report": first.isoformat(),
                "last_report": last.isoformat(),
            },
            examples=tuple(reporter for reporter, _ in ordered),
            series_title=f"Reports on {target} by these accounts, per day",
            series=tuple(Point(day, n) for day, n in sorted(days.items())),
        ),
    )
