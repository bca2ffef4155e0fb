"""The truth file: everything planted in a run, and the prevalence actually realised in its views."""

from __future__ import annotations

from typing import Any

from bastion.simulate.actors import Population, actor_id
from bastion.simulate.geography import language_demand
from bastion.simulate.policies import FAMILY, Harm, policy_id, policy_lineage
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.tally import HARM_SLOTS, Tally
from bastion.simulate.timeline import Clockface
from bastion.simulate.truths import Plan
from bastion.simulate.workforce import SimulatedReviewer, language_staffing, low_accuracy, understaffed


def policy_ids_tracked() -> list[str]:
    """Every policy id prevalence is reported for: each harm's id and its ancestors."""
    ids = {pid for harm in Harm for pid in policy_lineage(policy_id(harm))}
    return sorted(ids)


def prevalence(tally: Tally, clock: Clockface) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """Share of the day's view weight that was of content violating each policy (or a child of it)."""
    table = {pid: {} for pid in policy_ids_tracked()}  # type: dict[str, dict[str, float]]
    totals: dict[str, int] = {}
    for day, row in enumerate(tally.view_weight):
        date = clock.date(day)
        total = sum(row)
        totals[date] = total
        violating = dict.fromkeys(table, 0)
        for slot, harm in enumerate(HARM_SLOTS, start=1):
            for pid in policy_lineage(policy_id(harm)):
                violating[pid] += row[slot]
        for pid, weight in violating.items():
            table[pid][date] = weight / total if total else 0.0
    return table, totals


def build_truth(
    spec: SimulationSpec,
    plan: Plan,
    population: Population,
    workforce: tuple[SimulatedReviewer, ...],
    tally: Tally,
    clock: Clockface,
) -> dict[str, Any]:
    """The JSON-ready truth file of a finished pass."""
    iso = clock.iso
    table, totals = prevalence(tally, clock)
    demand = {language: float(n) for language, n in tally.content_by_language.items()} or language_demand()
    staffing = language_staffing(workforce, demand)
    abusive = plan.abusive
    return {
        "seed": spec.seed,
        "scale": spec.scale.value,
        "days": spec.days,
        "start": iso(0),
        "end": iso(spec.seconds),
        "policies": policy_ids_tracked(),
        "policy_parents": {policy_id(child): policy_id(parent) for child, parent in FAMILY.items()},
        "spikes": [
            {
                "policy": policy_id(s.harm),
                "country": s.country,
                "language": s.language,
                "start": iso(s.start),
                "end": iso(s.end),
                "factor": s.factor,
                "items": s.items,
                "expected": s.expected,
            }
            for s in plan.spikes
        ],
        "emerging_terms": [
            {
                "term": t.term,
                "policy": policy_id(t.harm),
                "language": t.language,
                "first_seen": iso(t.first_seen),
                "posts": t.posts,
            }
            for t in plan.terms
        ],
        "networks": [
            {
                "id": n.id,
                "kind": n.campaign.kind,
                "policy": policy_id(n.campaign.harm),
                "country": n.campaign.country,
                "language": n.campaign.language,
                "members": [actor_id(m) for m in n.members],
                "shared": [
                    {"attribute": "device_id", "values": list(n.devices)},
                    {"attribute": "ip", "values": list(n.ips)},
                    {"attribute": "urls", "values": [n.url]},
                ],
                "bursts": [iso(b) for b in n.bursts],
                "image_pdq": n.image_pdq,
                "content": tally.network_content[n.id],
            }
            for n in plan.networks
        ],
        "benign_clusters": [
            {
                "id": c.id,
                "kind": c.kind,
                "members": [actor_id(m) for m in c.members],
                "shared": [{"attribute": c.attribute, "values": [c.value]}],
            }
            for c in plan.benign_clusters
        ],
        "abusive_reporting": [
            {
                "target": actor_id(abusive.target),
                "reporters": [actor_id(r) for r in abusive.reporters],
                "reasons": list(abusive.reasons),
                "start": iso(abusive.start),
                "end": iso(abusive.end),
                "reports": tally.abusive_reports,
            }
        ],
        "reviewers": [r.as_truth() for r in workforce],
        "low_accuracy_reviewers": low_accuracy(workforce),
        "understaffed_queues": understaffed(staffing),
        "language_staffing": staffing,
        "hash_banks": {policy_id(Harm.ADULT_NUDITY): list(plan.adult_hashes), "benign_memes": list(plan.meme_hashes)},
        "prevalence": table,
        "view_weight": totals,
        "counts": {
            "actors": tally.actors,
            "content": tally.content,
            "views": tally.views,
            "reports": tally.reports,
            "content_by_policy": dict(sorted(tally.content_by_policy.items())),
            "content_by_language": dict(sorted(tally.content_by_language.items())),
            "reported_items": tally.reported_items,
            "reported_items_violating": tally.reported_violating,
        },
    }
