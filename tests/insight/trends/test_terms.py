"""Emerging terms: tokens per language, the planted word found, ordinary words and campaign templates not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bastion.insight.trends.terms import Document, emerging_terms, emerging_terms_scan, tokens

T0 = datetime(2026, 10, 1, tzinfo=UTC)
WORDS = ("people", "again", "every", "should", "never", "about", "today", "really", "think", "there", "where", "those")


def test_tokens_per_language() -> None:
    assert tokens("Hello, WORLD!! hello 2026 ok", "en") == {"hello", "world"}
    assert tokens("See https://example.com/x and www.spam.example now", "en") == {"see", "and", "now"}
    # Turkish: a capital I is a dotless ı, a capital İ a dotted i.
    assert tokens("IRMAK İstanbul", "tr") == {"ırmak", "istanbul"}
    # Devanagari vowel signs are combining marks: they stay inside the word.
    assert tokens("नमस्ते दुनिया", "hi") == {"नमस्ते", "दुनिया"}
    assert tokens("مرحبا بالعالم", "ar") == {"مرحبا", "بالعالم"}


def corpus(seed: int = 1) -> list[Document]:
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(600):
        at = T0 + timedelta(hours=i)
        words = list(rng.choice(WORDS, size=5, replace=False))
        if at >= T0 + timedelta(days=15) and rng.random() < 0.25:
            words.append("grobnak")
        docs.append(Document(at, "en", " ".join(words), "hate_speech"))
        if i % 3 == 0:
            docs.append(Document(at, "es", " ".join(rng.choice(["gente", "siempre", "nunca", "ahora"], 3)), "spam"))
    # A campaign: one template, posted 40 times recently with other emoji and links.
    for i in range(40):
        docs.append(
            Document(
                T0 + timedelta(days=20, minutes=i), "en", f"Follow back {'✨😂'[i % 2]} https://x.example/{i}", "spam"
            )
        )
    return docs


def test_the_new_word_emerges_and_ordinary_words_and_campaigns_do_not() -> None:
    found = emerging_terms(corpus(), recent_from=T0 + timedelta(days=14))
    assert [t.term for t in found] == ["grobnak"]
    (term,) = found
    assert term.language == "en" and term.baseline_documents == 0 and term.recent_documents >= 5
    assert term.first_seen >= T0 + timedelta(days=15) and term.policies == {"hate_speech": term.recent_documents}
    assert 0.99 < term.score <= 1.0


def test_without_change_nothing_emerges_on_any_seed() -> None:
    for seed in range(5):
        docs = [d for d in corpus(seed) if "grobnak" not in d.text]
        assert emerging_terms(docs, recent_from=T0 + timedelta(days=14)) == []


def test_the_scan_finds_a_word_that_began_in_the_first_half_once_at_its_best_split() -> None:
    """`grobnak` begins on day 6 of a 25-day corpus: in the baseline half of a fixed split, found by the
    scan over daily splits, once, at a split on or before its first use, with no baseline documents."""
    docs = [d for d in corpus() if "grobnak" not in d.text]
    rng = np.random.default_rng(3)
    began = T0 + timedelta(days=6)
    for i in range(19 * 24):
        if rng.random() < 0.25:
            at = began + timedelta(hours=i)
            docs.append(Document(at, "en", " ".join([*rng.choice(WORDS, size=5, replace=False), "grobnak"]), "hate"))
    until = T0 + timedelta(days=25)
    assert not any(t.term == "grobnak" for t in emerging_terms(docs, recent_from=T0 + timedelta(days=12, hours=12)))
    found = emerging_terms_scan(docs, since=T0, until=until)
    assert [t.term for t, _ in found] == ["grobnak"]
    ((term, split),) = found
    assert split <= term.first_seen and term.first_seen >= began
    assert term.baseline_documents == 0
    assert term.p_value < 0.05


def test_the_words_a_coded_word_travels_in_are_not_terms_of_their_own() -> None:
    """A small language: a handful of baseline texts, then posts of one template set carrying `vorblik`.
    The template's words rise with it, but most of their recent documents hold the word: only it is
    flagged."""
    rng = np.random.default_rng(5)
    everyday = ["hola", "gracias", "mañana", "playa", "comida", "amigos", "ciudad", "trabajo"]
    hateful = ["arruinando", "tierra", "vuelvan", "plaga"]
    docs = [
        Document(T0 + timedelta(hours=6 * i), "es", " ".join(rng.choice(everyday, 4, replace=False)), "none")
        for i in range(80)
    ]
    for i in range(30):
        words = [*rng.choice(hateful, 3, replace=False), *rng.choice(everyday, 2, replace=False), "vorblik"]
        docs.append(Document(T0 + timedelta(days=12, hours=5 * i), "es", " ".join(words), "hate_speech"))
    assert [t.term for t in emerging_terms(docs, recent_from=T0 + timedelta(days=11))] == ["vorblik"]
    found = emerging_terms_scan(docs, since=T0, until=T0 + timedelta(days=20))
    assert [t.term for t, _ in found] == ["vorblik"]


def surge(coded: bool, seed: int = 3) -> list[Document]:
    """Hate speech at a steady rate; harassment (every post holding "user") five times as frequent from day
    14 on, half its recent posts carrying a new word when `coded`."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(600):
        at = T0 + timedelta(hours=i)
        recent = at >= T0 + timedelta(days=14)
        docs.append(Document(at, "en", " ".join(rng.choice(WORDS, size=5, replace=False)), "hate_speech"))
        if i % (2 if recent else 10) == 0:
            words = [*rng.choice(WORDS, size=4, replace=False), "user"]
            if coded and recent and rng.random() < 0.5:
                words.append("vaskorn")
            docs.append(Document(at, "en", " ".join(words), "harassment_and_bullying"))
    return docs


def test_the_words_of_a_surging_policys_posts_are_not_terms_but_a_new_word_in_them_is() -> None:
    """A spike of harassment raises every word harassment posts hold ("user" in all of them, past three
    times its rate over all documents): no term. A new word in the same surge still emerges."""
    for seed in range(3):
        assert emerging_terms(surge(False, seed), recent_from=T0 + timedelta(days=14)) == [], seed
        found = emerging_terms(surge(True, seed), recent_from=T0 + timedelta(days=14))
        assert [t.term for t in found] == ["vaskorn"], seed
