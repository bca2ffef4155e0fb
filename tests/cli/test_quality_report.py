"""`bastion quality report`: the report of the store's real decisions, as a summary, JSON and an HTML page."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from bastion.clock import system_clock
from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.quality.store_ratings import double_reviewed

SAID = [("spam", "spam")] * 10 + [("none", "none")] * 10 + [("spam", "none")] * 10


@pytest.fixture
def decided(sqlite_database: Database) -> str:
    double_reviewed(sqlite_database, system_clock(), SAID)
    return sqlite_database.url


def test_json_holds_agreement_and_accuracy_as_the_libraries_compute_them(run_bastion: Bastion, decided: str) -> None:
    ran = run_bastion("quality", "report", "--format", "json", url=decided)
    assert ran.code == 0, ran.err
    found = json.loads(ran.out)
    codes = {"none": 0, "spam": 1}
    data = np.asarray([[codes[a] for a, _ in SAID], [codes[b] for _, b in SAID]], dtype=float)
    agreement = found["agreement"]
    assert agreement["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    )
    assert (agreement["items"], agreement["ratings"]) == (30, 60)
    assert agreement["percent_agreement"] == pytest.approx(20 / 30)
    low, high = proportion_confint(20, 30, alpha=0.05, method="wilson")
    reviewers = {r["reviewer_id"]: r for r in found["reviewers"]}
    assert set(reviewers) == {"ana", "ben"}
    for reviewer in reviewers.values():
        assert (reviewer["decisions"], reviewer["scored"], reviewer["correct"]) == (30, 30, 20)
        assert (reviewer["accuracy_low"], reviewer["accuracy_high"]) == pytest.approx((low, high))
        # 67 % of 30: below 80 % with 95 % confidence (the one-sided bound)
        bound = proportion_confint(20, 30, alpha=0.10, method="wilson")[1]
        assert bound < 0.8 and reviewer["flagged"] is True and reviewer["needed"] is None
    assert [q["queue"] for q in found["queues"]] == ["general"]
    pairs = found["confused_pairs"]
    assert [(p["a"], p["b"], p["count"], p["share"]) for p in pairs] == [("none", "spam", 20, 1.0)]


def test_queue_and_since_select_and_a_bad_since_is_named(run_bastion: Bastion, decided: str) -> None:
    other = json.loads(run_bastion("quality", "report", "--format", "json", "--queue", "hate", url=decided).out)
    assert other["reviewers"] == [] and other["agreement"]["items"] == 0 and other["queue"] == "hate"
    an_hour_ago = (system_clock() - timedelta(hours=1)).isoformat()
    later = json.loads(run_bastion("quality", "report", "--format", "json", "--since", an_hour_ago, url=decided).out)
    assert later["reviewers"] == []
    future = run_bastion("quality", "report", "--since", "2999-01-01", url=decided)
    assert future.code != 0 and "since: must not be in the future" in future.err
    bad = run_bastion("quality", "report", "--since", "yesterday", url=decided)
    assert bad.code != 0 and "--since" in bad.err and "not a date" in bad.err


def test_summary_names_the_figures_and_the_reviewers(run_bastion: Bastion, decided: str) -> None:
    ran = run_bastion("quality", "report", url=decided)
    assert ran.code == 0, ran.err
    assert "Krippendorff's alpha" in ran.out and "30 items" in ran.out
    assert "ana" in ran.out and "ben" in ran.out and "66.7%" in ran.out


def test_html_page_is_self_contained_and_escaped(
    run_bastion: Bastion, sqlite_database: Database, tmp_path: Path
) -> None:
    double_reviewed(sqlite_database, system_clock(), SAID[:3])
    page = tmp_path / "report.html"
    ran = run_bastion("quality", "report", "--format", "html", "--queue", "<script>x</script>", "--output", str(page),
                      url=sqlite_database.url)  # fmt: skip
    assert ran.code == 0, ran.err
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<script>x" not in html and "&lt;script&gt;x" in html
    assert "<link" not in html and "src=" not in html
    whole = run_bastion("quality", "report", "--format", "html", url=sqlite_database.url).out
    assert "Krippendorff" in whole and "<td>ana</td>" in whole
