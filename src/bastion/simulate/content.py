"""Content items: which harm an item carries (with spikes and emerging terms), its type, text and media."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from bastion.simulate.corpus import Corpus, Text
from bastion.simulate.geography import COUNTRIES, COUNTRY_INDEX
from bastion.simulate.media import media_url, near_duplicate, random_pdq
from bastion.simulate.networks import Network, network_message
from bastion.simulate.policies import BENIGN_TYPES, FAMILIES, HARMS, Harm, family_of, policy_id
from bastion.simulate.randomness import pick_weighted
from bastion.simulate.records import ContentTruth, Payload
from bastion.simulate.truths import EmergingTerm, Plan

LANGUAGE_OMITTED = 0.10
MEDIA_CHANCE = {"image": 1.0, "video": 1.0, "post": 0.10, "listing": 0.60}
CAPTION_CHANCE = 0.7
MEME_CHANCE = 0.05
MEME_BITS, ADULT_BITS, NETWORK_BITS = 6, 10, 4
# Benign posts asking what a new term means, once it has been around a while.
TERM_QUESTION_CHANCE = 0.002
TERM_QUESTIONS = {
    "en": "what does {term} even mean? seeing it everywhere",
    "es": "¿alguien sabe qué significa {term}? lo veo por todas partes",
}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class NewContent:
    """A content item as made: its record, its hidden truth, and what reach and reports depend on."""

    payload: Payload
    truth: ContentTruth
    harm: Harm | None
    content_type: str
    offensive: bool
    language: str


class HarmRates:
    """Draws the harm (family) of an ordinary new item from base rates and country biases.

    Spikes are not drawn here: their posts are planted on top of the ordinary ones (`Run`)."""

    def __init__(self, plan: Plan) -> None:
        self._rates = [
            [(harm, HARMS[harm].rate * plan.bias[(country, harm)]) for harm in FAMILIES]
            for country in range(len(COUNTRIES))
        ]

    def draw(self, rng: random.Random, country: int) -> Harm | None:
        """The harm family of an ordinary item posted in `country`, or None (benign)."""
        point = rng.random()
        for harm, rate in self._rates[country]:
            point -= rate
            if point < 0:
                return harm
        return None


class ContentFactory:
    """Builds content records. Pure: all randomness comes from the stream passed to each call."""

    def __init__(self, corpus: Corpus, plan: Plan) -> None:
        self.corpus = corpus
        self.plan = plan
        self._terms = plan.terms

    def regular(
        self, rng: random.Random, content_id: str, author: str, country: int, language: str, at: int, at_iso: str,
        family: Harm | None,
    ) -> NewContent:  # fmt: skip
        """An ordinary item: benign, or violating `family`."""
        if family is None:
            content_type = pick_weighted(rng, BENIGN_TYPES)
            text = self._benign_text(rng, language, content_type, at)
        else:
            content_type = pick_weighted(rng, HARMS[family].types)
            text = self._with_term(rng, self.corpus.violating(rng, family, language), at)
        media = None
        if rng.random() < MEDIA_CHANCE.get(content_type, 0.0) or family is Harm.ADULT_NUDITY:
            media = self._media(rng, content_id, content_type, family)
        return self._build(rng, content_id, author, content_type, text, media, country, at_iso)

    def planted(
        self, rng: random.Random, content_id: str, author: str, country: int, language: str, at_iso: str,
        family: Harm, term: EmergingTerm | None,
    ) -> NewContent:  # fmt: skip
        """A violating item of a planted event: a spike's post, or a post using an emerging coded word."""
        content_type = pick_weighted(rng, HARMS[family].types)
        text = self.corpus.violating(rng, family, language)
        if term is not None and text.text:
            # People using a new word write their own posts: two of the language's violating lines
            # together, so that a small template bank does not make them all one text.
            more = self.corpus.violating(rng, family, language)
            joined = f"{text.text} {more.text}" if more.text and more.language == text.language else text.text
            text = text._replace(text=_insert_word(rng, joined, term.term))
        media = None
        if rng.random() < MEDIA_CHANCE.get(content_type, 0.0) or family is Harm.ADULT_NUDITY:
            media = self._media(rng, content_id, content_type, family)
        return self._build(rng, content_id, author, content_type, text, media, country, at_iso)

    def networked(self, rng: random.Random, content_id: str, author: str, network: Network, at_iso: str) -> NewContent:
        """A near-duplicate post of a coordinated network."""
        campaign = network.campaign
        body = network_message(rng, network, lambda skeleton: self.corpus.fill(rng, campaign.language, skeleton))
        text = Text(body, campaign.harm, f"network:{network.id}", campaign.language)
        media = None
        if rng.random() < 0.5:
            pdq = near_duplicate(rng, network.image_pdq, NETWORK_BITS)
            media = {"url": media_url(content_id, "image"), "pdq": pdq}
        country = COUNTRY_INDEX[campaign.country]
        return self._build(rng, content_id, author, campaign.content_type, text, media, country, at_iso)

    def _benign_text(self, rng: random.Random, language: str, content_type: str, at: int) -> Text:
        if content_type == "listing":
            return self.corpus.benign(rng, language, "listing")
        if content_type == "profile":
            return self.corpus.benign(rng, language, "profile")
        if content_type in ("image", "video") and rng.random() >= CAPTION_CHANCE:
            return Text("", None, f"template:{language}:no_caption", language)
        for term in self._terms:
            ripe = term.first_seen + term.ramp // 3
            if term.language == language and at >= ripe and rng.random() < TERM_QUESTION_CHANCE:
                question = TERM_QUESTIONS.get(language, TERM_QUESTIONS["en"]).format(term=term.term)
                return Text(question, None, f"template:{language}:term_question", language)
        return self.corpus.benign(rng, language)

    def _with_term(self, rng: random.Random, text: Text, at: int) -> Text:
        if text.harm is None or not text.text:
            return text
        for term in self._terms:
            in_segment = family_of(text.harm) is term.harm and text.language == term.language
            if in_segment and at >= term.first_seen and rng.random() < term_share(term, at):
                return text._replace(text=_insert_word(rng, text.text, term.term))
        return text

    def _media(self, rng: random.Random, content_id: str, content_type: str, family: Harm | None) -> dict[str, str]:
        kind = "video" if content_type == "video" else "image"
        if family is Harm.ADULT_NUDITY:
            bank = self.plan.adult_hashes
            pdq = near_duplicate(rng, bank[rng.randrange(len(bank))], ADULT_BITS)
        elif rng.random() < MEME_CHANCE:
            memes = self.plan.meme_hashes
            pdq = near_duplicate(rng, memes[rng.randrange(len(memes))], MEME_BITS)
        else:
            pdq = random_pdq(rng)
        return {"url": media_url(content_id, kind), "pdq": pdq}

    def _build(
        self, rng: random.Random, content_id: str, author: str, content_type: str, text: Text,
        media: dict[str, str] | None, country: int, at_iso: str,
    ) -> NewContent:  # fmt: skip
        if content_type == "image" and media is None:
            media = self._media(rng, content_id, content_type, text.harm)
        payload: Payload = {"id": content_id, "actor_id": author, "type": content_type}
        if text.text:
            payload["text"] = text.text
        if media is not None:
            payload["media"] = media
        if rng.random() >= LANGUAGE_OMITTED:
            payload["language"] = text.language
        payload["country"] = COUNTRIES[country].code
        payload["surface"] = _surface(rng, content_type)
        payload["created_at"] = at_iso
        policy = policy_id(text.harm) if text.harm is not None else None
        truth = ContentTruth(policy, text.source, text.language)
        return NewContent(payload, truth, text.harm, content_type, text.offensive, text.language)


def term_share(term: EmergingTerm, at: int) -> float:
    """Share of the segment's violating posts that carry the term: 30 % at first, 80 % after the ramp."""
    return 0.3 + 0.5 * min(1.0, (at - term.first_seen) / term.ramp)


def _insert_word(rng: random.Random, text: str, word: str) -> str:
    words = _SPACE.split(text.strip())
    if rng.random() < 0.3:
        return f"{text} #{word}"
    words.insert(rng.randint(0, len(words)), word)
    return " ".join(words)


def _surface(rng: random.Random, content_type: str) -> str:
    if content_type == "post":
        return "groups" if rng.random() < 0.15 else "feed"
    return {
        "comment": "comments",
        "message": "messages",
        "listing": "marketplace",
        "profile": "profile",
    }.get(content_type, "feed")
