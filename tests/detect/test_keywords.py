"""Keyword banks: every occurrence counted, distinct terms as written, boundaries per match."""

from __future__ import annotations

import time

import pytest

from bastion.detect.keywords import NO_KEYWORD_MATCH, KeywordBank, KeywordMatch
from bastion.detect.normalise import fold
from bastion.errors import InvalidInput


def test_counts_every_occurrence_and_reports_terms_as_written_in_first_seen_order() -> None:
    bank = KeywordBank("spam", 3, ["Free Followers", "DM me", "crypto"])
    found = bank.matches(fold("dm me for fr3e f0llowers! free followers, DM ME"))
    assert found == KeywordMatch(count=4, terms=("DM me", "Free Followers"))
    assert found.hit and (bank.name, bank.version, len(bank)) == ("spam", 3, 3)


def test_overlapping_and_nested_terms_all_count() -> None:
    bank = KeywordBank("b", 1, ["free followers", "followers"])
    assert bank.matches(fold("free followers")) == KeywordMatch(2, ("free followers", "followers"))


def test_a_hit_inside_a_word_is_skipped_but_the_same_term_elsewhere_counts() -> None:
    bank = KeywordBank("b", 1, ["free"])
    assert bank.matches(fold("freedom is free")) == KeywordMatch(1, ("free",))


def test_a_term_that_starts_or_ends_with_a_symbol_needs_no_boundary_there() -> None:
    bank = KeywordBank("b", 1, ["#ad"])
    assert bank.matches(fold("great stuff#ad")).hit
    assert not bank.matches(fold("great stuff #adventure")).hit


def test_duplicates_after_folding_keep_the_first_as_written() -> None:
    bank = KeywordBank("b", 1, ["Free", "FR3E"])
    assert bank.matches(fold("free")) == KeywordMatch(1, ("Free",))


def test_no_match_and_an_empty_bank_and_empty_text() -> None:
    assert KeywordBank("b", 1, ["free"]).matches(fold("nothing here")) is NO_KEYWORD_MATCH
    assert KeywordBank("b", 1, []).matches("anything") is NO_KEYWORD_MATCH
    assert KeywordBank("b", 1, ["free"]).matches("") is NO_KEYWORD_MATCH
    assert not NO_KEYWORD_MATCH.hit


def test_a_term_that_folds_to_nothing_is_refused_with_its_index() -> None:
    with pytest.raises(InvalidInput) as refused:
        KeywordBank("b", 1, ["ok", " \u200b ", "fine"])
    assert [(e.path, e.message) for e in refused.value.errors] == [
        ("terms[1]", "folds to nothing: write at least one letter or digit")
    ]


def test_ten_thousand_terms_cost_a_few_microseconds_per_short_post() -> None:
    terms = [f"term{n:05d}x" for n in range(10_000)] + ["free followers"]
    bank = KeywordBank("big", 1, terms)
    text = fold("get fr3e f0ll0wers now, the best deals on sneakers and more, limited time only")
    rounds = 2_000
    started = time.perf_counter()
    for _ in range(rounds):
        found = bank.matches(text)
    per_post = (time.perf_counter() - started) / rounds
    assert found == KeywordMatch(1, ("free followers",))
    assert per_post < 50e-6  # measured about 2 µs; the bound leaves room for a loaded machine
