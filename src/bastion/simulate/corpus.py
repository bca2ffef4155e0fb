"""The texts of the simulated platform: real HateXplain posts plus template banks per language."""

from __future__ import annotations

import gzip
import json
import random
import re
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

from bastion.simulate.policies import MEMBERS, Harm, harm_of_hatexplain
from bastion.simulate.templates_en import BANK_EN, SHARED_SLOTS, SLOTS_EN
from bastion.simulate.templates_intl import BANKS_INTL, SLOTS_INTL

HATEXPLAIN_FILE = ("data", "hatexplain", "posts.jsonl.gz")
# Which template bank holds the synthetic text of each harm (adult nudity is in the image, not the text).
# A family without a bank of its own (misinformation, regulated goods) is always one of its sub-harms.
HARM_BANKS: dict[Harm, str] = {
    Harm.HATE: "hate",
    Harm.DEHUMANIZATION: "dehumanization",
    Harm.HARASSMENT: "harassment",
    Harm.SPAM: "spam",
    Harm.SCAMS: "scams",
    Harm.ELECTION_MISINFORMATION: "election_misinformation",
    Harm.HEALTH_MISINFORMATION: "health_misinformation",
    Harm.SELF_HARM: "self_harm",
    Harm.DRUGS: "drugs",
    Harm.WEAPONS: "weapons",
}
# Share of English items drawn from HateXplain rather than from the templates.
HATEXPLAIN_SHARE = {Harm.HATE: 0.8, Harm.HARASSMENT: 0.5}
HATEXPLAIN_NORMAL_SHARE = 0.25
HATEXPLAIN_OFFENSIVE_SHARE = 0.06
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class HatexplainPost:
    """One HateXplain post with its majority label, annotations and the harm the simulator reads in it."""

    id: str
    text: str
    label: str
    targets: tuple[str, ...]
    annotations: tuple[tuple[int, str], ...]
    harm: Harm | None


class Text(NamedTuple):
    """A drawn text, the harm it carries (None: benign), its source, and its actual language."""

    text: str
    harm: Harm | None
    source: str
    language: str
    # True for a HateXplain post whose majority said "offensive": allowed, but it draws reports.
    offensive: bool = False


@cache
def load_hatexplain() -> tuple[HatexplainPost, ...]:
    """Every post of the packaged HateXplain copy (CC BY 4.0, see its ATTRIBUTION.txt)."""
    resource = resources.files("bastion").joinpath(*HATEXPLAIN_FILE)
    posts: list[HatexplainPost] = []
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            annotations = tuple((int(a), str(v)) for a, v in row["annotations"])
            posts.append(
                HatexplainPost(
                    id=row["id"],
                    text=row["text"],
                    label=row["label"],
                    targets=tuple(row["targets"]),
                    annotations=annotations,
                    harm=harm_of_hatexplain(row["label"], row["text"], list(annotations)),
                )
            )
    return tuple(posts)


class _Template(NamedTuple):
    text: str
    fields: tuple[str, ...]


def _compile(text: str) -> _Template:
    fields = tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(text) if name))
    return _Template(text, fields)


class Corpus:
    """Draws texts by language and harm. Pure and deterministic given the random stream passed in."""

    def __init__(self) -> None:
        posts = load_hatexplain()
        self._hate = [p for p in posts if p.harm in (Harm.HATE, Harm.DEHUMANIZATION)]
        self._harassment = [p for p in posts if p.harm is Harm.HARASSMENT]
        self._normal = [p for p in posts if p.harm is None and p.label == "normal"]
        self._offensive = [p for p in posts if p.harm is None and p.label == "offensive"]
        banks = {"en": BANK_EN, **BANKS_INTL}
        self._templates = {
            (language, bank): tuple(_compile(t) for t in texts)
            for language, bank_set in banks.items()
            for bank, texts in bank_set.items()
        }
        self._slots = {language: {**SHARED_SLOTS, **SLOTS_EN} for language in banks}
        for language, slots in SLOTS_INTL.items():
            self._slots[language] = {**SHARED_SLOTS, **slots}
        self.languages = tuple(banks)

    def has(self, language: str, family: Harm) -> bool:
        """Whether `language` has texts for harm `family` (else such items are written in English)."""
        return family is Harm.ADULT_NUDITY or bool(self._banks_of(language, family))

    def _banks_of(self, language: str, family: Harm) -> list[tuple[Harm, int]]:
        """The harms of `family` with a bank in `language`, with their number of templates."""
        found = []
        for harm in MEMBERS.get(family, (family,)):
            templates = self._templates.get((language, HARM_BANKS.get(harm, "")))
            if templates:
                found.append((harm, len(templates)))
        return found

    def vocabulary(self) -> frozenset[str]:
        """Every lower-cased word any text can contain; emerging terms must be new to it."""
        words: set[str] = set()
        for post in load_hatexplain():
            words.update(_WORD.findall(post.text.lower()))
        for templates in self._templates.values():
            for template in templates:
                words.update(_WORD.findall(template.text.lower()))
        for slots in self._slots.values():
            for values in slots.values():
                for value in values:
                    words.update(_WORD.findall(value.lower()))
        return frozenset(words)

    def violating(self, rng: random.Random, family: Harm, language: str) -> Text:
        """A text that violates `family` (hate speech may come back as its dehumanization subtype)."""
        if family is Harm.ADULT_NUDITY:
            caption = self.benign(rng, language, "benign") if rng.random() < 0.5 else None
            text = caption.text if caption else ""
            return Text(text, family, f"template:{language}:adult_image", language)
        if not self.has(language, family):
            language = "en"
        if language == "en" and rng.random() < HATEXPLAIN_SHARE.get(family, 0.0):
            pool = self._hate if family is Harm.HATE else self._harassment
            post = pool[rng.randrange(len(pool))]
            assert post.harm is not None
            return Text(post.text, post.harm, f"hatexplain:{post.id}", "en")
        # A sub-harm is as likely as its share of the family's templates.
        banks = self._banks_of(language, family)
        point = rng.randrange(sum(n for _, n in banks))
        harm = banks[-1][0]
        for candidate, count in banks:
            point -= count
            if point < 0:
                harm = candidate
                break
        bank = HARM_BANKS[harm]
        return Text(self.render(rng, language, bank), harm, f"template:{language}:{bank}", language)

    def benign(self, rng: random.Random, language: str, bank: str = "benign") -> Text:
        """A text that breaks no rule; `bank` is `benign`, `listing` or `profile`."""
        if language == "en" and bank == "benign":
            draw = rng.random()
            if draw < HATEXPLAIN_NORMAL_SHARE:
                post = self._normal[rng.randrange(len(self._normal))]
                return Text(post.text, None, f"hatexplain:{post.id}", "en")
            if draw < HATEXPLAIN_NORMAL_SHARE + HATEXPLAIN_OFFENSIVE_SHARE:
                post = self._offensive[rng.randrange(len(self._offensive))]
                return Text(post.text, None, f"hatexplain:{post.id}", "en", offensive=True)
        return Text(self.render(rng, language, bank), None, f"template:{language}:{bank}", language)

    def render(self, rng: random.Random, language: str, bank: str) -> str:
        """One template of a bank with its slots filled at random."""
        templates = self._templates[(language, bank)]
        return self._fill(rng, language, templates[rng.randrange(len(templates))])

    def fill(self, rng: random.Random, language: str, text: str) -> str:
        """Any template text with its `{slot}`s filled from `language`'s slot values."""
        return self._fill(rng, language, _compile(text))

    def _fill(self, rng: random.Random, language: str, template: _Template) -> str:
        if not template.fields:
            return template.text
        slots = self._slots[language]
        return template.text.format_map({f: _pick(rng, slots[f]) for f in template.fields})


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[rng.randrange(len(options))]
