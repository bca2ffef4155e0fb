"""The simulated reviewer workforce: in-house and vendor reviewers with planted skills and gaps.

Most reviewers are 85-95 % accurate per policy; a few are planted at 60-70 % (on every policy, or on
one), and one language queue (Turkish) is planted understaffed: its demand is several percent of the
content but only one part-time reviewer reads it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from bastion.simulate.geography import LANGUAGES, language_demand
from bastion.simulate.policies import FAMILIES, Harm, policy_id

UNDERSTAFFED_LANGUAGE = "tr"
LOW_ACCURACY = (0.60, 0.70)
# The reviewer weak on one policy only is wrong there about half the time: weak enough to show on that
# policy's share of their decisions, which is all the evidence there is against them.
WEAK_POLICY_ACCURACY = (0.45, 0.55)
NORMAL_ACCURACY = (0.85, 0.95)
FULL_SHIFT_HOURS = 8
PART_TIME_HOURS = 4


@dataclass(frozen=True)
class Site:
    """A review site: who runs it (None = in-house), where, in which languages, on which clock."""

    name: str
    vendor: str | None
    languages: tuple[str, ...]
    utc_offset_hours: int


SITES: tuple[Site, ...] = (
    Site("Dublin", None, ("en", "fr", "de"), 0),
    Site("Singapore", None, ("en", "id", "hi"), 8),
    Site("Berlin", None, ("de", "en", "fr"), 1),
    Site("Manila", "Northwind BPO", ("en", "id"), 8),
    Site("Hyderabad", "Northwind BPO", ("hi", "en"), 5),
    Site("Bogotá", "Meridian Review", ("es", "pt", "en"), -5),
    Site("Lisbon", "Meridian Review", ("pt", "es", "fr"), 0),
    Site("Cairo", "Sahel Trust Services", ("ar", "en", "fr"), 2),
)
_FIRST = (
    "Ana", "Ben", "Chen", "Dara", "Emeka", "Farah", "Gabriel", "Hana", "Ivan", "Joy", "Kofi", "Lucia",
    "Mehmet", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wei", "Yusuf",
)  # fmt: skip
_LAST = (
    "Silva", "Okafor", "Nguyen", "Schmidt", "Haddad", "Reyes", "Kumar", "Santos", "Dubois", "Yilmaz",
    "Hartono", "Mensah", "Costa", "Rahman", "Moreau", "Fischer",
)  # fmt: skip


@dataclass(frozen=True)
class Shift:
    """When a reviewer works: from `start_hour` (UTC) for `hours` hours, every weekday."""

    start_hour: int
    hours: int


@dataclass(frozen=True)
class HandleTime:
    """How long a decision takes: log-normal with this median (seconds) and log-scale spread."""

    median_seconds: float
    spread: float


@dataclass(frozen=True)
class SimulatedReviewer:
    """A reviewer of the simulated workforce, with their hidden per-policy accuracy."""

    id: str
    name: str
    vendor: str | None
    site: str
    languages: tuple[str, ...]
    shift: Shift
    handle_time: HandleTime
    accuracy: tuple[tuple[str, float], ...]
    qa: bool = False  # a QA specialist: works the QA queue only (blind re-review of sampled decisions)

    def accuracy_for(self, policy: str) -> float:
        """The chance this reviewer decides an item of `policy` correctly (its family's, for a sub-policy)."""
        table = dict(self.accuracy)
        while policy not in table and "." in policy:
            policy = policy.rpartition(".")[0]
        return table.get(policy, sum(table.values()) / len(table))

    def as_truth(self) -> dict[str, Any]:
        """The reviewer as the truth file records them."""
        return {
            "id": self.id,
            "name": self.name,
            "vendor": self.vendor,
            "site": self.site,
            "languages": list(self.languages),
            "shift": {"start_hour": self.shift.start_hour, "hours": self.shift.hours},
            "handle_time": {"median_seconds": self.handle_time.median_seconds, "spread": self.handle_time.spread},
            "accuracy": dict(self.accuracy),
            "qa": self.qa,
        }


def build_workforce(rng: random.Random, size: int) -> tuple[SimulatedReviewer, ...]:
    """`size` reviewers, staffed to the language demand except the planted understaffed language."""
    demand = language_demand()
    staffed = {language: 0.0 for language in LANGUAGES if language != UNDERSTAFFED_LANGUAGE}
    reviewers: list[SimulatedReviewer] = []
    # The one reviewer of the understaffed language: part-time, in-house, in Berlin.
    berlin = next(site for site in SITES if site.name == "Berlin")
    reviewers.append(_reviewer(rng, 1, berlin, ("de", UNDERSTAFFED_LANGUAGE), PART_TIME_HOURS))
    for number in range(2, size + 1):
        # Give the next reviewer to the language with the fewest hours for its share of the demand.
        language = min(staffed, key=lambda code: staffed[code] / demand[code])
        homes = [s for s in SITES if s.languages[0] == language] or [s for s in SITES if language in s.languages]
        site = rng.choice(homes)
        others = tuple(code for code in site.languages if code != language and rng.random() < 0.4)
        hours = FULL_SHIFT_HOURS if rng.random() < 0.85 else PART_TIME_HOURS
        reviewer = _reviewer(rng, number, site, (language, *others), hours)
        reviewers.append(reviewer)
        for code in reviewer.languages:
            staffed[code] += hours / len(reviewer.languages)
    return _plant_low_accuracy(rng, reviewers)


def _reviewer(rng: random.Random, number: int, site: Site, languages: tuple[str, ...], hours: int) -> SimulatedReviewer:
    local_start = 17 if site.vendor is not None and rng.random() < 0.25 else 9
    median = rng.uniform(45, 75) if site.vendor is None else rng.uniform(30, 60)
    return SimulatedReviewer(
        id=f"rev-{number:03d}",
        name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        vendor=site.vendor,
        site=site.name,
        languages=languages,
        shift=Shift((local_start - site.utc_offset_hours) % 24, hours),
        handle_time=HandleTime(round(median, 1), round(rng.uniform(0.35, 0.7), 2)),
        accuracy=tuple((policy_id(h), round(rng.uniform(*NORMAL_ACCURACY), 3)) for h in FAMILIES),
    )


def _plant_low_accuracy(rng: random.Random, reviewers: list[SimulatedReviewer]) -> tuple[SimulatedReviewer, ...]:
    # One vendor reviewer weak on everything, one weak on hate speech only (a calibration case).
    candidates = [i for i, r in enumerate(reviewers) if r.vendor is not None]
    weak_everywhere, weak_on_hate = rng.sample(candidates, 2)
    hate = policy_id(Harm.HATE)
    changed = list(reviewers)
    for index in (weak_everywhere, weak_on_hate):
        reviewer = reviewers[index]
        accuracy = tuple(
            (policy, round(rng.uniform(*(LOW_ACCURACY if index == weak_everywhere else WEAK_POLICY_ACCURACY)), 3))
            if index == weak_everywhere or policy == hate
            else (policy, p)
            for policy, p in reviewer.accuracy
        )
        changed[index] = SimulatedReviewer(
            reviewer.id,
            reviewer.name,
            reviewer.vendor,
            reviewer.site,
            reviewer.languages,
            reviewer.shift,
            reviewer.handle_time,
            accuracy,
        )
    return tuple(changed)


# The QA team: in-house specialists chosen for their accuracy, one per language group, on shifts that
# together cover most of the day, so that sampled decisions in every language find a QA reviewer.
QA_ACCURACY = (0.96, 0.99)
QA_TEAM: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Dublin", ("en", "fr", "de", "tr"), 0),
    ("Singapore", ("en", "id", "hi", "ar"), 8),
    ("Dublin", ("es", "pt", "en", "fr"), 15),
)


def build_qa_team(rng: random.Random) -> tuple[SimulatedReviewer, ...]:
    """The simulated QA team (ids qa-01, …): accurate, in-house, each reading one group of languages."""
    team = []
    for number, (site_name, languages, start_hour) in enumerate(QA_TEAM, start=1):
        site = next(s for s in SITES if s.name == site_name)
        team.append(
            SimulatedReviewer(
                id=f"qa-{number:02d}",
                name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                vendor=None,
                site=site.name,
                languages=languages,
                shift=Shift(start_hour, FULL_SHIFT_HOURS),
                handle_time=HandleTime(round(rng.uniform(60, 90), 1), round(rng.uniform(0.35, 0.6), 2)),
                accuracy=tuple((policy_id(h), round(rng.uniform(*QA_ACCURACY), 3)) for h in FAMILIES),
                qa=True,
            )
        )
    return tuple(team)


def low_accuracy(reviewers: tuple[SimulatedReviewer, ...]) -> list[dict[str, Any]]:
    """Reviewers planted below 85 % on some policy, with those policies."""
    found = []
    for reviewer in reviewers:
        weak = [policy for policy, p in reviewer.accuracy if p < NORMAL_ACCURACY[0]]
        if weak:
            found.append({"id": reviewer.id, "policies": weak})
    return found


def language_staffing(reviewers: tuple[SimulatedReviewer, ...], demand: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per language: its share of the content, its share of reviewer hours, and how many reviewers read it.

    A reviewer's hours are split evenly across the languages they read.
    """
    hours = dict.fromkeys(LANGUAGES, 0.0)
    heads = dict.fromkeys(LANGUAGES, 0)
    for reviewer in reviewers:
        for language in reviewer.languages:
            hours[language] += reviewer.shift.hours / len(reviewer.languages)
            heads[language] += 1
    total_hours = sum(hours.values())
    total_demand = sum(demand.values()) or 1.0
    return {
        language: {
            "demand_share": round(demand.get(language, 0.0) / total_demand, 4),
            "capacity_share": round(hours[language] / total_hours, 4),
            "reviewers": heads[language],
        }
        for language in LANGUAGES
    }


def understaffed(staffing: dict[str, dict[str, Any]], threshold: float = 0.5) -> list[dict[str, Any]]:
    """Language queues whose share of reviewer hours is under `threshold` times their share of demand."""
    return [
        {"queue": f"language:{language}", "language": language, **row}
        for language, row in staffing.items()
        if row["demand_share"] > 0 and row["capacity_share"] < threshold * row["demand_share"]
    ]
