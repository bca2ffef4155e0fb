"""Each metric's known answer on a store counted by hand (handmade.py), on SQLite (through DuckDB) and
on PostgreSQL; the definitions are documented in docs/insight.md, and the two lists agree."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from bastion.errors import InvalidInput
from bastion.insight.metrics import (
    DIMENSIONS,
    ENFORCEMENT_REPORT,
    METRICS,
    backends,
    check_request,
    compute,
    metric_rows,
    open_store,
    release_shared,
    shared_store,
)
from bastion.store.database import Database
from tests.insight.metrics.handmade import hours, plant

DOCS = Path(__file__).resolve().parents[3] / "docs" / "insight.md"


def metrics(database: Database, names: list[str], **options: object) -> pd.DataFrame:
    plant(database)
    with open_store(database) as backend:
        return compute(backend, names, **options)  # type: ignore[arg-type]


def test_the_enforcement_report_set_counted_by_hand(database: Database) -> None:
    row = metrics(database, list(ENFORCEMENT_REPORT)).iloc[0]
    assert row.content_actioned == 3  # c1, c2, c4
    assert row.proactive_rate == pytest.approx(2 / 3)  # c1 was reported before its action
    assert row.appealed == 1
    assert row.restored_with_appeal == 1
    assert row.restored_without_appeal == 0
    assert row.prevalence == pytest.approx(0.1)  # c1's 10 of 100 (c2 was restored: not violating)
    # The Wilson interval over Kish's effective sample size of the weights 10, 30 and 60.
    effective = 100**2 / (10**2 + 30**2 + 60**2)
    upper = proportion_confint(0.1 * effective, effective, alpha=0.05, method="wilson")[1]
    assert row.prevalence_upper == pytest.approx(upper)


def test_operations_counted_by_hand(database: Database) -> None:
    names = [n for n in METRICS if n not in ENFORCEMENT_REPORT]
    row = metrics(database, names, at=hours(40)).iloc[0]
    assert row.inflow == 3
    assert row.backlog == 1  # j3, opened at T+3h
    assert row.oldest_waiting == pytest.approx(37)
    assert (row.decided, row.decided_in_sla, row.decisions) == (2, 1, 2)
    assert row.last_decision == pd.Timestamp(hours(30))
    assert row.sla_attainment == pytest.approx(0.5)  # j1 in time, j2 six hours late
    assert row.time_to_action_p50 == pytest.approx(5)  # 4, 5 and 30 hours after posting
    assert row.time_to_action_p90 == pytest.approx(25)  # interpolated, as percentile_cont
    assert row.handle_time == pytest.approx(60)
    assert row.automated_share == pytest.approx(1 / 3)
    assert row.reports_per_10k_views == pytest.approx(200)
    assert row.reporter_precision == pytest.approx(1.0)  # c3's report is not resolved yet


def test_segments_split_the_counts(database: Database) -> None:
    found = metrics(database, ["content_actioned", "prevalence", "reports_per_10k_views"], by=["policy"])
    by_policy = found.set_index("policy")
    assert by_policy.content_actioned.to_dict() == {"hate_speech": 1, "spam": 2}
    # A policy's prevalence: views of content violating it over every view.
    assert by_policy.prevalence["spam"] == pytest.approx(0.1)
    assert pd.isna(by_policy.prevalence["hate_speech"])
    assert by_policy.reports_per_10k_views.to_dict() == pytest.approx({"hate_speech": 100, "spam": 100})


def test_vendor_and_queue_segments(database: Database) -> None:
    found = metrics(database, ["sla_attainment", "handle_time"], by=["vendor"]).set_index("vendor")
    assert found.sla_attainment.to_dict() == {"(none)": 0.0, "acme": 1.0}  # ben works in-house
    assert found.handle_time.to_dict() == {"(none)": 90.0, "acme": 30.0}


def test_a_grain_and_a_window(database: Database) -> None:
    found = metrics(database, ["content_actioned", "inflow"], grain="day", since=hours(3), until=hours(48))
    assert [p.isoformat() for p in found.period] == ["2026-10-05T00:00:00+00:00", "2026-10-06T00:00:00+00:00"]
    assert found.content_actioned.tolist() == [2, 1]  # c1 and c4 on Monday, c2 on Tuesday
    assert found.inflow.tolist() == [1, 0]  # only j3 was opened at or after T+3h


def test_every_metric_and_segment_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("## Metrics")
    section = text[start : text.index("\n## ", start + 1)]
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M))
    assert documented == set(METRICS)
    for dimension in DIMENSIONS:
        assert f"`{dimension}`" in section


def test_the_backlog_at_a_moment_by_age_and_sla_state(database: Database) -> None:
    plant(database)
    with open_store(database) as backend:
        then = compute(backend, ["backlog"], at=hours(2.5)).backlog.tolist()  # j1 and j2; j3 not yet opened
        split = compute(
            backend,
            ["backlog", "oldest_waiting"],
            by=["queue", "age", "sla_state"],
            at=hours(26),
            sla_hours={"hate-harassment": 24.0, "general": 24.0},
        )
        before = compute(backend, ["backlog"], at=hours(0.5)).backlog.tolist()
    assert then == [2] and before == [0]
    # j2 (general) waited 25 h and is past its deadline (T+24h); j3 waited 23 h, due at T+27h: less
    # than a quarter of its queue's 24 h left.
    rows = {(r.queue, r.age, r.sla_state): (r.backlog, r.oldest_waiting) for r in split.itertuples()}
    assert rows == {("general", "48h", "overdue"): (2 - 1, 25.0), ("hate-harassment", "24h", "due_soon"): (1, 23.0)}


def test_filters_and_new_bounds_on_the_same_compiled_query(database: Database) -> None:
    plant(database)
    with open_store(database) as backend:
        assert compute(backend, ["inflow"], since=hours(1.5)).inflow.tolist() == [2]  # j1 at 2 h, j3 at 3 h
        assert compute(backend, ["inflow"], since=hours(2.5)).inflow.tolist() == [1]  # the same SQL, a new bound
        hate = compute(backend, ["inflow"], where={"policy": "hate_speech"}).inflow.tolist()
        prefix = compute(backend, ["inflow"], where={"policy": "hate"}).inflow.tolist()  # not a parent
        queues = compute(backend, ["inflow"], where={"queue": ["general", "scams-spam"]}).inflow.tolist()
        acme = compute(backend, ["decisions"], by=["reviewer"], where={"vendor": "acme"})
        decided = compute(backend, ["decided"], where={"vendor": "acme"})
    assert hate == [2] and prefix == [0] and queues == [2]
    assert acme[["reviewer", "decisions"]].values.tolist() == [["ana", 1]]
    assert decided[["decided", "decided_in_sla"]].values.tolist() == [[1, 1]]  # j1, decided by ana of acme


def test_filters_and_moments_are_checked(database: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_request(["inflow", "oldest_waiting"], by=["age"], where={"vendor": "acme", "colour": "red"})
    assert {(e.path, e.message) for e in refused.value.errors} == {
        ("where.colour", "no segment named 'colour' to filter by"),
        ("where.vendor", "inflow cannot be filtered by vendor"),
        ("where.vendor", "oldest_waiting cannot be filtered by vendor"),
        ("at", "oldest_waiting is measured at a moment: give one"),
        ("by[0]", "inflow cannot be split by age"),
        ("by[0]", "age is measured at a moment: give one (at)"),
    }


def test_metric_rows_put_several_metrics_in_one_query(database: Database) -> None:
    plant(database)
    with open_store(database) as backend:
        by_reviewer = metric_rows(backend, ["decisions", "handle_time", "last_decision"], by=["reviewer"])
        whole = metric_rows(backend, ["inflow", "backlog", "oldest_waiting"], at=hours(40))
        by_queue = metric_rows(backend, ["inflow", "decided"], by=["queue"])
    assert sorted(by_reviewer) == [("ana", 1, 30.0, hours(4)), ("ben", 1, 90.0, hours(30))]
    assert whole == [(3, 1, pytest.approx(37.0))]
    # an outer join: hate-harassment opened a job and decided none
    assert sorted(by_queue) == [("general", 1, 1, 0), ("hate-harassment", 1, None, None), ("scams-spam", 1, 1, 1)]


def test_a_slice_shape_is_compiled_once_and_the_shared_store_is_kept(database: Database) -> None:
    plant(database)
    backend = shared_store(database)
    assert shared_store(database) is backend  # one per store and process
    compiled = backends._COMPILED
    compiled.clear()  # kept for the process: other tests' shapes are in it
    first = metric_rows(backend, ["inflow"], by=["queue"], since=hours(1.5))
    size = len(compiled)
    assert size == 1
    again = metric_rows(backend, ["inflow"], by=["queue"], since=hours(2.5))  # a new bound, the same shape
    assert len(compiled) == size  # nothing compiled anew
    assert sorted(first) == [("hate-harassment", 1), ("scams-spam", 1)] and again == [("hate-harassment", 1)]
    metric_rows(backend, ["inflow"], by=["queue"], since=hours(1.5), where={"queue": "general"})
    assert len(compiled) == size + 1  # another shape: a filter
    release_shared()
    assert shared_store(database) is not backend
    release_shared()
