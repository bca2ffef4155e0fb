"""Every policy the simulator uses, in one place, and how HateXplain's labels map onto them.

The simulator thinks in `Harm`s; `POLICY_IDS` turns each into an id of the shipped taxonomy
(`bastion/policy/taxonomy.yaml`). To follow a change of the taxonomy, edit `POLICY_IDS` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Harm(StrEnum):
    """A kind of violation the simulated platform contains."""

    HATE = "hate"
    DEHUMANIZATION = "dehumanization"
    HARASSMENT = "harassment"
    SPAM = "spam"
    SCAMS = "scams"
    MISINFORMATION = "misinformation"
    ELECTION_MISINFORMATION = "election_misinformation"
    HEALTH_MISINFORMATION = "health_misinformation"
    SELF_HARM = "self_harm"
    REGULATED_GOODS = "regulated_goods"
    DRUGS = "drugs"
    WEAPONS = "weapons"
    ADULT_NUDITY = "adult_nudity"


POLICY_IDS: dict[Harm, str] = {
    Harm.HATE: "hate_speech",
    Harm.DEHUMANIZATION: "hate_speech.dehumanization",
    Harm.HARASSMENT: "harassment_and_bullying",
    Harm.SPAM: "spam",
    Harm.SCAMS: "scams_and_fraud",
    Harm.MISINFORMATION: "harmful_misinformation",
    Harm.ELECTION_MISINFORMATION: "harmful_misinformation.election_integrity",
    Harm.HEALTH_MISINFORMATION: "harmful_misinformation.health",
    Harm.SELF_HARM: "suicide_and_self_harm",
    Harm.REGULATED_GOODS: "regulated_goods",
    Harm.DRUGS: "regulated_goods.drugs",
    Harm.WEAPONS: "regulated_goods.weapons",
    Harm.ADULT_NUDITY: "adult_nudity_and_sexual_activity",
}

# A sub-harm's rate is part of its family's rate; the family is what spikes and prevalence track.
FAMILY: dict[Harm, Harm] = {
    Harm.DEHUMANIZATION: Harm.HATE,
    Harm.ELECTION_MISINFORMATION: Harm.MISINFORMATION,
    Harm.HEALTH_MISINFORMATION: Harm.MISINFORMATION,
    Harm.DRUGS: Harm.REGULATED_GOODS,
    Harm.WEAPONS: Harm.REGULATED_GOODS,
}
FAMILIES: tuple[Harm, ...] = tuple(h for h in Harm if h not in FAMILY)
MEMBERS: dict[Harm, tuple[Harm, ...]] = {f: (f, *(h for h in Harm if FAMILY.get(h) is f)) for f in FAMILIES}


@dataclass(frozen=True)
class HarmProfile:
    """How often a harm family occurs (share of items) and where (content type weights)."""

    rate: float
    types: tuple[tuple[str, float], ...]
    # Chance that one impression of such an item turns into a user report.
    report_per_view: float


BENIGN_TYPES: tuple[tuple[str, float], ...] = (
    ("post", 0.50),
    ("comment", 0.25),
    ("message", 0.07),
    ("image", 0.08),
    ("video", 0.03),
    ("listing", 0.05),
    ("profile", 0.02),
)
BENIGN_REPORT_PER_VIEW = 1 / 4_000
# HateXplain posts a majority called "offensive" but which break no rule draw more (unfounded) reports.
OFFENSIVE_REPORT_PER_VIEW = 1 / 700

HARMS: dict[Harm, HarmProfile] = {
    Harm.HATE: HarmProfile(0.020, (("post", 0.55), ("comment", 0.35), ("message", 0.05), ("image", 0.05)), 1 / 500),
    Harm.HARASSMENT: HarmProfile(0.012, (("comment", 0.5), ("message", 0.3), ("post", 0.2)), 1 / 150),
    Harm.SPAM: HarmProfile(0.025, (("comment", 0.5), ("message", 0.25), ("post", 0.15), ("profile", 0.1)), 1 / 900),
    Harm.SCAMS: HarmProfile(0.010, (("message", 0.35), ("listing", 0.35), ("post", 0.3)), 1 / 600),
    Harm.MISINFORMATION: HarmProfile(0.006, (("post", 0.7), ("video", 0.2), ("image", 0.1)), 1 / 900),
    Harm.SELF_HARM: HarmProfile(0.002, (("post", 0.7), ("comment", 0.2), ("image", 0.1)), 1 / 400),
    Harm.REGULATED_GOODS: HarmProfile(0.004, (("listing", 0.8), ("post", 0.2)), 1 / 700),
    Harm.ADULT_NUDITY: HarmProfile(0.004, (("image", 0.8), ("video", 0.2)), 1 / 300),
}

# Free-text report reasons, as users type them.
FREE_TEXT_REASONS: tuple[str, ...] = (
    "this is offensive",
    "I don't like this",
    "fake account",
    "this is a scam",
    "they keep messaging me",
    "false information",
    "inappropriate",
    "spam",
    "bullying",
    "nudity",
    "other",
)

# Words that make a hateful post dehumanizing: people described as animals, vermin or disease.
_DEHUMANIZING = re.compile(
    r"\b(animals?|apes?|monkeys?|vermin|rats?|roach(es)?|cockroach(es)?|parasites?|subhumans?|savages?|"
    r"pigs?|dogs?|infest\w*|plague|breed(ing)?|filth|mongrels?)\b"
)


def policy_id(harm: Harm) -> str:
    """The taxonomy id of a harm."""
    return POLICY_IDS[harm]


def family_of(harm: Harm) -> Harm:
    """The top-level harm a harm belongs to (itself if it is one)."""
    return FAMILY.get(harm, harm)


def policy_lineage(policy: str) -> tuple[str, ...]:
    """A policy id and its ancestors: `hate_speech.dehumanization` -> itself and `hate_speech`."""
    parts = policy.split(".")
    return tuple(".".join(parts[: n + 1]) for n in range(len(parts) - 1, -1, -1))


def harm_of_hatexplain(label: str, text: str, annotations: list[tuple[int, str]]) -> Harm | None:
    """The harm a HateXplain post is taken to be, or None when it breaks no rule.

    `hatespeech` is hate speech (dehumanizing when it likens people to animals, vermin or disease).
    `offensive` is mostly allowed speech: rude, vulgar, but not an attack on a protected group; only a
    post aimed at a person (`<user>` mention) that all three annotators called offensive is treated as
    harassment. `normal` and `undecided` posts break no rule.
    """
    if label == "hatespeech":
        return Harm.DEHUMANIZATION if _DEHUMANIZING.search(text) else Harm.HATE
    if label == "offensive":
        unanimous = all(vote == "offensive" for _, vote in annotations)
        return Harm.HARASSMENT if unanimous and "<user>" in text else None
    return None
