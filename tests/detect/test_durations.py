"""Durations as analysts write them: one whole number and one unit, refused clearly otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.detect.durations import LONGEST, duration_problem, format_duration, parse_duration
from bastion.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        (" 7d ", timedelta(days=7)),
        ("3650d", LONGEST),
    ],
)
def test_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert duration_problem(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("7", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("d", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("1.5h", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("1h30m", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("-5m", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("7D", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("7 d", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("٧d", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ("0h", "must be longer than 0"),
        ("3651d", "must be at most 3650d (ten years)"),
        ("999999999w", "must be at most 3650d (ten years)"),
    ],
)
def test_anything_else_is_refused_naming_the_field(text: str, reason: str) -> None:
    assert duration_problem(text) == reason
    with pytest.raises(InvalidInput) as refused:
        parse_duration(text, field="--expires-in")
    assert refused.value.message == "--expires-in is not a duration"
    assert [(e.path, e.message) for e in refused.value.errors] == [("--expires-in", reason)]


@given(
    st.timedeltas(min_value=timedelta(seconds=1), max_value=LONGEST).map(
        lambda d: timedelta(seconds=int(d.total_seconds()))
    )
)
def test_formatting_reads_back(duration: timedelta) -> None:
    assert parse_duration(format_duration(duration)) == duration


@given(st.text(max_size=12))
def test_any_text_is_a_duration_or_a_reason(text: str) -> None:
    problem = duration_problem(text)
    if problem is None:
        assert timedelta(0) < parse_duration(text) <= LONGEST
    else:
        with pytest.raises(InvalidInput):
            parse_duration(text)
