"""Real-world-threat posts: a few credible threats against a school or a person, planted when the spec asks.

A spec's `threats` (0 unless asked: the demo asks) plants that many posts by ordinary accounts, each a
specific threat in its author's language, reported within the hour by people who saw it. Their hidden truth
is `violence_and_incitement.credible_threats`, which simulated reviewers always escalate (see `deciding`),
so the escalation path runs on them; the truth file lists them under `threats`.

Every draw comes from a stream of this module's own (`substream(seed, "threats")`), the posts and reports
have ids of their own (`ct…`, `rt…`) and count in no tally: a simulation without threats is the same, record
for record, and one with them differs only by these records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bastion.simulate.actors import Population, actor_id
from bastion.simulate.geography import COUNTRIES
from bastion.simulate.randomness import substream
from bastion.simulate.records import ContentTruth, LabelledRecord, RecordKind
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.timeline import DAY, HOUR, Clockface

THREAT_POLICY = "violence_and_incitement.credible_threats"
THREAT_REPORTS = (2, 4)  # reports each threat draws, from people who saw it
# Where a school or a person is named; {place} and {day} are filled in.
THREAT_TEXTS: dict[str, tuple[str, ...]] = {
    "en": (
        "everyone at {place} is going to pay on {day}. i know when the doors open and i am bringing my gun",
        "i know where {person} lives and {day} night i am going over there to finish this for good",
    ),
    "es": (
        "el {day} todos en {place} van a pagar. sé a qué hora abren las puertas y voy a ir armado",
        "sé dónde vive {person} y el {day} por la noche voy a ir a terminar con esto para siempre",
    ),
    "pt": (
        "na {day} todo mundo na {place} vai pagar. sei que horas abrem os portões e vou armado",
        "eu sei onde {person} mora e na {day} à noite vou lá acabar com isso de vez",
    ),
}
PLACES = ("Lincoln High School", "Escuela Benito Juárez", "Escola Estadual Santos Dumont")
PEOPLE = ("the principal Ms. Carter", "la profesora Gómez", "o vereador Almeida")
DAYS: dict[str, tuple[str, ...]] = {
    "en": ("monday", "friday"),
    "es": ("lunes", "viernes"),
    "pt": ("segunda", "sexta"),
}


@dataclass(frozen=True)
class PlantedThreat:
    """One threat post: who posted it, when, in what language, and who reported it when."""

    content_id: str
    author: int
    language: str
    country: str
    at: int  # seconds from the start of the run
    text: str
    reports: tuple[tuple[int, int], ...]  # (seconds from the start, reporter)


def plant_threats(spec: SimulationSpec, population: Population) -> list[PlantedThreat]:
    """The spec's threat posts, posted between the second day and two days before the end."""
    if spec.threats == 0:
        return []
    rng = substream(spec.seed, "threats")
    speakers = [
        i
        for i in range(population.regular)
        if population.created[i] < 0 and population.language_code(i) in THREAT_TEXTS
    ]
    latest = max(DAY + HOUR, spec.seconds - 2 * DAY)
    planted = []
    for number in range(spec.threats):
        author = speakers[rng.randrange(len(speakers))]
        language = population.language_code(author)
        template = THREAT_TEXTS[language][number % len(THREAT_TEXTS[language])]
        text = template.format(
            place=PLACES[number % len(PLACES)],
            person=PEOPLE[number % len(PEOPLE)],
            day=DAYS[language][rng.randrange(len(DAYS[language]))],
        )
        at = rng.randrange(DAY, latest)
        reporters = sorted(
            (at + rng.randrange(5 * 60, HOUR), speakers[rng.randrange(len(speakers))])
            for _ in range(rng.randint(*THREAT_REPORTS))
        )
        country = COUNTRIES[population.country[author]].code
        planted.append(PlantedThreat(f"ct{number + 1:08d}", author, language, country, at, text, tuple(reporters)))
    return planted


def threat_records(threats: list[PlantedThreat], clock: Clockface) -> list[tuple[int, LabelledRecord]]:
    """Each threat's post and reports as records, with the second each happens."""
    records: list[tuple[int, LabelledRecord]] = []
    for number, threat in enumerate(threats, 1):
        payload: dict[str, Any] = {
            "id": threat.content_id,
            "actor_id": actor_id(threat.author),
            "type": "post",
            "text": threat.text,
            "language": threat.language,
            "country": threat.country,
            "surface": "feed",
            "created_at": clock.iso(threat.at),
        }
        truth = ContentTruth(THREAT_POLICY, f"threat:{number}", threat.language)
        records.append((threat.at, LabelledRecord(RecordKind.CONTENT, payload, truth)))
        for count, (when, reporter) in enumerate(threat.reports, 1):
            report = {
                "id": f"rt{number:06d}{count:02d}",
                "target": {"content_id": threat.content_id},
                "reporter_id": actor_id(reporter),
                "reason": THREAT_POLICY,
                "text": "this is a real threat, please act now",
                "created_at": clock.iso(when),
            }
            records.append((when, LabelledRecord(RecordKind.REPORTS, report, None)))
    return sorted(records, key=lambda pair: pair[0])


def with_threats(
    records: Iterator[LabelledRecord], threats: list[PlantedThreat], clock: Clockface
) -> Iterator[LabelledRecord]:
    """The run's records with the threats' records merged in at their moments (the run's stay in order)."""
    pending = [(clock.iso(at), record) for at, record in threat_records(threats, clock)]
    for record in records:
        stamp = _moment(record)
        while pending and stamp is not None and pending[0][0] <= stamp:
            yield pending.pop(0)[1]
        yield record
    for _, record in pending:
        yield record


def _moment(record: LabelledRecord) -> str | None:
    """When a content item, view or report happens (actors come first whatever their stamp)."""
    if record.kind is RecordKind.ACTORS:
        return None
    stamp = record.payload.get("viewed_at") or record.payload.get("created_at")
    return stamp if isinstance(stamp, str) else None


def threats_truth(threats: list[PlantedThreat], clock: Clockface) -> list[dict[str, Any]]:
    """The truth file's `threats`: each post, its author, language, moment and reports."""
    return [
        {
            "content_id": t.content_id,
            "actor_id": actor_id(t.author),
            "policy": THREAT_POLICY,
            "language": t.language,
            "country": t.country,
            "posted_at": clock.iso(t.at),
            "reports": len(t.reports),
            "text": t.text,
        }
        for t in threats
    ]
