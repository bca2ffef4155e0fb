"""The simulation spec: defaults, scales, and clear errors for bad arguments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bastion.errors import InvalidInput
from bastion.simulate import DEFAULT_START, PROFILES, Scale, SimulationSpec


def test_defaults_are_fixed_and_never_now() -> None:
    spec = SimulationSpec(seed=1)
    assert spec.scale is Scale.SMALL
    assert spec.start == DEFAULT_START == datetime(2026, 11, 1, tzinfo=UTC)
    assert spec.seconds == 14 * 86_400


def test_scale_given_as_text_becomes_the_enum() -> None:
    assert SimulationSpec(seed=1, scale="medium").scale is Scale.MEDIUM  # type: ignore[arg-type]


def test_volumes_grow_with_scale() -> None:
    small, medium, large = (PROFILES[s] for s in (Scale.SMALL, Scale.MEDIUM, Scale.LARGE))
    assert small.content_items == 10_000
    assert medium.content_items == 1_000_000
    assert small.content_items < medium.content_items < large.content_items
    assert small.networks >= 3 and small.spikes >= 3


def test_start_is_normalised_to_utc() -> None:
    start = datetime(2026, 11, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert SimulationSpec(seed=1, start=start).start == datetime(2026, 11, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"seed": 1, "days": 0}, "days"),
        ({"seed": 1, "days": -3}, "days"),
        ({"seed": 1, "days": 10_000}, "days"),
        ({"seed": 1, "scale": "huge"}, "scale"),
        ({"seed": -1}, "seed"),
        ({"seed": 1, "start": datetime(2026, 11, 1)}, "start"),
        ({"seed": 1, "start": datetime(2026, 11, 1, 0, 30, tzinfo=UTC)}, "start"),
    ],
)
def test_bad_spec_names_the_field(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        SimulationSpec(**arguments)  # type: ignore[arg-type]
    assert [error.path for error in caught.value.errors] == [field]
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({"seed": "7", "scale": "small", "days": "0"}, ["days"]),
        ({"seed": "-2", "scale": "tiny", "days": "3"}, ["seed", "scale"]),
        ({"seed": "x", "scale": "small", "days": "y"}, ["seed", "days"]),
        ({"seed": 1, "start": "yesterday"}, ["start"]),
    ],
)
def test_parse_reports_every_bad_field(arguments: dict[str, object], fields: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        SimulationSpec.parse(**arguments)
    assert sorted(error.path for error in caught.value.errors) == sorted(fields)


def test_parse_accepts_loose_input() -> None:
    spec = SimulationSpec.parse(seed="42", scale=" Medium ", days="3", start="2027-01-04T00:00:00+00:00")
    assert spec == SimulationSpec(seed=42, scale=Scale.MEDIUM, days=3, start=datetime(2027, 1, 4, tzinfo=UTC))
