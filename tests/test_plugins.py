"""Plugins: a third-party area adds a page, a navigation entry, a command and an after-commit hook without a
line changed in `bastion`; after-commit facts arrive only after commit, never after a rollback; a failing
plugin cannot undo what was decided; every hook and setting is documented."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.config import Settings, settings
from bastion.domain.access import Role
from bastion.domain.happened import DecisionMade
from bastion.errors import ConfigurationError
from bastion.plugins import BastionHooks, hookimpl, plugin_manager
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import Decision
from tests.conftest import api_key, bearer, make_context
from tests.plugins import sample_area
from tests.review.jobs_factory import make_jobs, make_reviewers

ROOT = Path(__file__).parent.parent
SAMPLE = "tests.plugins.sample_area"


@pytest.fixture
def with_sample_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BASTION_PLUGINS", SAMPLE)
    settings.cache_clear()
    plugin_manager.cache_clear()
    sample_area.HEARD.clear()
    yield
    monkeypatch.delenv("BASTION_PLUGINS")
    settings.cache_clear()
    plugin_manager.cache_clear()


def _decide_one(database: Database, clock: FrozenClock) -> int:
    make_jobs(database, 1, now=clock(), policy_id="spam")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        job = claim_next_job(session, "general", reviewer, now=clock())
        assert job is not None
        job_pk = job.pk
    with database.transaction() as session:
        return decide(session, job_pk, reviewer, Choice("spam", "remove"), now=clock()).decision.pk


@pytest.mark.usefixtures("with_sample_plugin")
def test_a_plugin_adds_a_page_a_navigation_entry_and_hears_decisions(database: Database, clock: FrozenClock) -> None:
    lead = bearer(api_key(database, clock, role=Role.QA))
    with TestClient(create_app(make_context(database, clock)), base_url="http://127.0.0.1") as client:
        assert sample_area.HEARD == []
        decision_pk = _decide_one(database, clock)
        page = client.get("/sample", headers=lead)
    assert page.status_code == 200
    assert "Decisions heard: 1" in page.text
    assert '<a href="/sample"' in page.text  # its navigation entry, in the shared layout
    assert '<a href="/review/supervisor"' in page.text  # beside the built-in areas' entries
    (fact,) = sample_area.HEARD
    assert fact == DecisionMade(decision_pk, fact.job_pk, "general", fact.reviewer, "final", "spam", "remove", clock())


@pytest.mark.usefixtures("with_sample_plugin")
def test_a_plugin_page_keeps_the_access_rule_it_declares(database: Database, clock: FrozenClock) -> None:
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))  # reviewers may not read decisions in bulk
    with TestClient(create_app(make_context(database, clock)), base_url="http://127.0.0.1") as client:
        assert client.get("/sample", follow_redirects=False).status_code == 303  # not logged in: to the login page
        assert client.get("/sample", headers=reviewer).status_code == 403


def test_facts_are_told_after_commit_and_never_after_a_rollback(database: Database, clock: FrozenClock) -> None:
    heard: list[DecisionMade] = []

    class Listener:
        @hookimpl
        def decision_made(self, fact: DecisionMade) -> None:
            with database.transaction() as session:  # the decision is visible to others by now
                assert session.scalar(select(func.count()).select_from(Decision).where(Decision.pk == fact.decision_pk))
            heard.append(fact)

    listener = Listener()
    plugin_manager().register(listener)
    try:
        make_jobs(database, 1, now=clock())
        (reviewer,) = make_reviewers(database, 1, clock())
        with database.transaction() as session:
            job = claim_next_job(session, "general", reviewer, now=clock())
            assert job is not None
            job_pk = job.pk
        with pytest.raises(ZeroDivisionError), database.transaction() as session:
            decide(session, job_pk, reviewer, Choice("none", "no_action"), now=clock())
            _ = 1 / 0  # something fails after the decision, in the same transaction
        assert heard == []
        with database.transaction() as session:
            decide(session, job_pk, reviewer, Choice("none", "no_action"), now=clock())
        assert [f.job_pk for f in heard] == [job_pk]
    finally:
        plugin_manager().unregister(listener)


def test_a_failing_plugin_cannot_undo_a_decision(database: Database, clock: FrozenClock) -> None:
    class Broken:
        @hookimpl
        def decision_made(self, fact: DecisionMade) -> None:
            raise RuntimeError("the plugin's own bug")

    broken = Broken()
    plugin_manager().register(broken)
    try:
        decision_pk = _decide_one(database, clock)
    finally:
        plugin_manager().unregister(broken)
    with database.transaction() as session:
        assert session.get(Decision, decision_pk) is not None


def test_a_plugin_adds_a_command_to_the_command_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BASTION_PLUGINS": SAMPLE,
        "BASTION_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
    }
    greet = [sys.executable, "-m", "bastion", "sample-greet", "Ada"]
    result = subprocess.run(greet, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello from the sample area, Ada"
    listing = subprocess.run(
        [sys.executable, "-m", "bastion", "--help"], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )
    assert "sample-greet" in listing.stdout and "queues" in listing.stdout


def test_a_plugin_that_cannot_be_imported_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_PLUGINS", "no_such_module_anywhere")
    settings.cache_clear()
    plugin_manager.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="no_such_module_anywhere"):
            plugin_manager()
    finally:
        monkeypatch.delenv("BASTION_PLUGINS")
        settings.cache_clear()
        plugin_manager.cache_clear()


def test_every_hook_and_setting_is_documented() -> None:
    plugins_doc = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [name for name, _ in inspect.getmembers(BastionHooks, inspect.isfunction) if not name.startswith("_")]
    assert len(hooks) >= 11
    undocumented = [hook for hook in hooks if f"### `{hook}`" not in plugins_doc]
    assert undocumented == [], f"hooks missing from docs/plugins.md: {undocumented}"

    settings_doc = (ROOT / "docs" / "settings.md").read_text()
    variables = [f"BASTION_{name.upper()}" for name in Settings.model_fields]
    missing = [variable for variable in variables if f"`{variable}`" not in settings_doc]
    assert missing == [], f"settings missing from docs/settings.md: {missing}"
