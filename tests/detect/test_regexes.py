"""Regex banks: RE2 only, bad patterns refused with RE2's reason, one set matched per text."""

from __future__ import annotations

import time

import pytest

from bastion.detect.regexes import NO_REGEX_MATCH, RegexBank, RegexMatch, pattern_problem
from bastion.errors import InvalidInput


def test_patterns_that_match_each_count_once_in_the_bank_order() -> None:
    bank = RegexBank("contact", 2, [r"(?i)whats?app", r"\+\d{6,}", r"telegram"])
    found = bank.matches("+4412345678 on WhatsApp, or +4487654321")
    assert found == RegexMatch(count=2, patterns=(r"(?i)whats?app", r"\+\d{6,}"))
    assert found.hit and (bank.name, bank.version, len(bank)) == ("contact", 2, 3)


def test_patterns_run_over_the_text_as_posted_not_folded() -> None:
    assert not RegexBank("b", 1, ["free"]).matches("FR3E").hit
    assert RegexBank("b", 1, ["(?i)free"]).matches("FREE").hit


def test_no_match_and_an_empty_bank() -> None:
    assert RegexBank("b", 1, ["x+"]).matches("abc") is NO_REGEX_MATCH
    assert RegexBank("b", 1, []).matches("abc") is NO_REGEX_MATCH
    assert RegexBank("b", 1, ["^$"]).matches("") == RegexMatch(1, ("^$",))


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a", "missing )"),
        ("(?<=a)b", "invalid perl operator"),
        (r"(a)\1", "invalid escape sequence"),
        ("a{2000}", "invalid repetition size"),
        (r"[\p{L}\p{N}]{900}", "pattern too large"),  # over MAX_PATTERN_MEMORY
    ],
)
def test_what_re2_refuses_is_named_with_its_reason(pattern: str, reason: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and reason in problem
    with pytest.raises(InvalidInput) as refused:
        RegexBank("b", 1, ["fine", pattern])
    (error,) = refused.value.errors
    assert error.path == "patterns[1]" and error.message.startswith("RE2 refuses it: ") and reason in error.message


def test_a_pathological_pattern_runs_in_linear_time() -> None:
    bank = RegexBank("b", 1, [r"(a+)+$"])
    started = time.perf_counter()
    assert not bank.matches("a" * 100_000 + "!").hit
    assert time.perf_counter() - started < 1.0  # a backtracking engine would not finish
