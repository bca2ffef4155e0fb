"""A request the metrics cannot answer is refused before any engine runs, every bad field named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bastion.errors import InvalidInput
from bastion.insight.metrics import check_request


def refused(*args: object, **kwargs: object) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        check_request(*args, **kwargs)  # type: ignore[arg-type]
    return [str(e) for e in caught.value.errors]


def test_unknown_metrics_segments_and_grains_are_each_named() -> None:
    errors = refused(["content_actioned", "reach"], by=["policy", "planet"], grain="fortnight")
    assert "metrics[1]: no metric named 'reach'" in errors
    assert any(e.startswith("by[1]: no segment named 'planet'") for e in errors)
    assert any(e.startswith("grain: no time grain 'fortnight'") for e in errors)
    assert any(e.startswith("metrics: the metrics are: content_actioned") for e in errors)


def test_a_segment_or_grain_a_metric_has_no_meaning_for() -> None:
    assert refused(["prevalence"], by=["queue"]) == ["by[0]: prevalence cannot be split by queue"]
    assert refused(["backlog"], grain="day") == ["grain: backlog is a count at one moment: it has no time grain"]
    assert refused([]) == [refused([])[0]] and refused([])[0].startswith("metrics: name at least one metric")


def test_a_window_must_end_after_it_starts_and_a_segment_is_named_once() -> None:
    moment = datetime(2026, 11, 2, tzinfo=UTC)
    assert refused(["inflow"], since=moment, until=moment) == ["until: must be after since"]
    assert refused(["inflow"], by=["queue", "queue"]) == ["by[1]: the segment 'queue' is named twice"]


def test_a_good_request_gives_its_metrics_once_each_in_order() -> None:
    chosen = check_request(["inflow", "backlog", "inflow"], by=["queue", "language"])
    assert [m.name for m in chosen] == ["inflow", "backlog"]
