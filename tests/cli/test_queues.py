"""`bastion queues load`: every error of a review configuration at once, each with its line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bastion.review.config_store import current_review_config
from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.cli.test_data import GOLDEN, assert_golden


def test_queues_load_reports_field_and_reference_errors_together(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(GOLDEN / "queues_many_errors.yaml", "review.yaml")
    with database.transaction() as session:
        before = current_review_config(session).version
    ran = run_bastion("queues", "load", "review.yaml", url=database.url)
    assert (ran.code, ran.out) == (2, "")
    assert_golden("queues_load_many_errors.txt", ran.err)
    with database.transaction() as session:
        assert current_review_config(session).version == before  # nothing half-written


def test_queues_load_a_good_file_then_the_same_again(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("review.yaml").write_text(
        "default_queue: general\nescalation_queue: general\nappeals_queue: general\n"
        "queues:\n  - {name: general, title: Everything}\n",
        encoding="utf-8",
    )
    first = run_bastion("queues", "load", "review.yaml", url=database.url)
    assert first.code == 0, first.err
    assert "1 queues" in first.out
    again = run_bastion("queues", "load", "review.yaml", url=database.url)
    assert again.out == "unchanged: the store already has this configuration\n"
