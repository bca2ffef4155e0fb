"""Folding: disguised words meet their terms; terms do not fire inside longer words of spaced scripts."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bastion.detect.keywords import KeywordBank
from bastion.detect.normalise import continues_word, fold


def found(term: str, text: str) -> bool:
    return KeywordBank("bank", 1, [term]).matches(fold(text)).hit


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("free followers", "get fr3e f0ll0wers now"),  # leetspeak
        ("free followers", "GET FREE   FOLLOWERS"),  # case, whitespace
        ("free", "ＦＲＥＥ"),  # fullwidth
        ("free", "fr\u0435\u0435 stuff"),  # Cyrillic е twice
        ("scam", "\u0455\u0441\u0430\u043c"),  # Cyrillic ѕ с а м
        ("poker", "\u03c1\u03bf\u043a\u0435r night"),  # Greek ρ ο, Cyrillic к е
        ("free", "fr\u200bee"),  # a zero-width space inside the word
        ("hate", "h@te"),
        ("friends", "fr!ends"),
        ("friends", "fr|ends"),
        ("kill", "k1ll"),
        ("ass", "a$$"),
        ("free", "free!"),  # a sentence's "!" is not a letter
        ("free", "(free)"),
        ("free", "free's"),
        ("strasse", "Straße"),
        ("死ね", "お前なんか死ねばいい"),  # Japanese inside a run of kana and Han
        ("代购", "专业代购正品"),  # Chinese inside Han text
        ("ขาย", "ขายยาลดความอ้วน"),  # Thai inside Thai text
        ("free", "free中文"),  # Latin next to Han: a boundary
    ],
)
def test_folding_catches_the_disguise(term: str, text: str) -> None:
    assert found(term, text)


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("free", "freedom"),
        ("free", "carefree"),
        ("free", "free1"),  # a digit folds to a letter: still one word
        ("кот", "котлета"),  # Cyrillic separates words too
        ("σκύλος", "σκύλοςα"),
        ("حب", "حبيب"),  # Arabic
        ("नमक", "नमकीन"),  # Devanagari, whose vowel signs are combining marks
        ("free followers", "free fol lowers"),
    ],
)
def test_terms_do_not_fire_inside_longer_words(term: str, text: str) -> None:
    assert not found(term, text)


def test_fold_examples() -> None:
    assert fold("  Fr3e\tF0ll0wers\n") == "free foiiowers"
    assert fold("ＦＲＥＥ") == "free"
    assert fold("hello!") == "heiio!"
    assert fold("КУПИ") == fold("купи")  # case folding before look-alikes: both cases agree
    assert fold("") == ""


def test_continues_word_by_script() -> None:
    assert continues_word("a") and continues_word("ж") and continues_word("ب") and continues_word("\u093f")
    assert not continues_word("中") and not continues_word("か") and not continues_word("ก")
    assert not continues_word(" ") and not continues_word("!") and not continues_word("ー")


@given(st.text())
@example("1\u0301")  # found: `1` folds to `i`, which then composes with the accent into `í`
@example("\u0435\u0301")  # a Cyrillic е with an accent: folded to `e`, then composed
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_case_does_not_change_the_fold(text: str) -> None:
    assert fold(fold(text.upper())) == fold(text.upper())
    assert fold(text.casefold()) == fold(fold(text).casefold())


words = st.text(alphabet=st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=12)


@given(words, st.text(alphabet=" \t\n", min_size=1, max_size=3), st.text(alphabet=" \n", min_size=1, max_size=3))
def test_a_term_is_found_between_spaces(term: str, before: str, after: str) -> None:
    if not fold(term):
        return
    assert KeywordBank("bank", 1, [term]).matches(fold(f"x{before}{term}{after}y")).hit
