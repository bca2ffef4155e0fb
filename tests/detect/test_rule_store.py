"""Versioned rule sets in the store: create, change one, leave alone, retire, reinstate; refuse and write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bastion import audit_log
from bastion.detect.checking import RulesDoNotCheck
from bastion.detect.rule_store import (
    LoadOutcome,
    RuleVersionRef,
    load_rule_text,
    load_rules,
    rule_history,
    rules_in_force,
    rules_stamp,
)
from bastion.detect.rules import RuleSet, make_rule
from bastion.domain.detect import RuleMode
from bastion.errors import InvalidInput
from bastion.store.database import Database
from bastion.store.schema import RuleVersion
from tests.conftest import START

RULES = """\
rules:
  - name: link-burst
    owner: spam-team
    mode: shadow
    policy: spam.commercial_spam
    when: 'actor.account_age_days < 2 && signals.velocity.actor_posts_1h > 20'
    then:
      - enqueue: {queue: scams-spam, priority: 0.8}
  - name: threat
    mode: live
    when: content.text.contains("kill")
    then:
      - escalate: {policy: violence_and_incitement.credible_threats}
  - name: muted
    mode: off
    when: content.has_media
    then: []
"""


def _load(database: Database, text: str, at: timedelta = timedelta(0), source: str = "rules.yaml") -> LoadOutcome:
    with database.transaction() as session:
        return load_rule_text(session, text, source=source, principal="user:ada", now=START + at)


def _versions(database: Database) -> dict[str, int]:
    with database.transaction() as session:
        return {stored.name: stored.version for stored in rules_in_force(session)}


def test_a_good_file_loads_every_rule_at_version_one(database: Database) -> None:
    outcome = _load(database, RULES)
    assert outcome.created == (RuleVersionRef("link-burst", 1), RuleVersionRef("threat", 1), RuleVersionRef("muted", 1))
    assert outcome.versions_added == 3
    with database.transaction() as session:
        stored = rules_in_force(session)
        rows = session.scalars(select(RuleVersion).order_by(RuleVersion.name)).all()
        audit = audit_log.recent(session, 5)
    assert [s.name for s in stored] == ["link-burst", "muted", "threat"]  # off included
    burst = stored[0]
    assert (burst.version, burst.retired, burst.source, burst.loaded_by) == (1, False, "rules.yaml", "user:ada")
    assert burst.loaded_at == START
    assert burst.rule.mode is RuleMode.SHADOW and burst.rule.confidence == 0.8
    assert (rows[0].name, rows[0].mode, rows[0].owner, rows[0].digest) == (
        "link-burst",
        "shadow",
        "spam-team",
        burst.rule.digest,
    )
    assert rows[0].definition == burst.rule.document()
    assert (audit[0].action, audit[0].target, audit[0].principal) == ("rules.load", "rules.yaml", "user:ada")


def test_reloading_the_same_file_changes_nothing(database: Database) -> None:
    _load(database, RULES)
    with database.transaction() as session:
        stamp = rules_stamp(session)
    again = _load(
        database,
        RULES.replace("    owner: spam-team\n", "    owner:   spam-team   # the same\n"),
        at=timedelta(hours=1),
    )
    assert again.created == again.changed == again.retired == ()
    assert [ref.version for ref in again.unchanged] == [1, 1, 1]
    assert _versions(database) == {"link-burst": 1, "threat": 1, "muted": 1}
    with database.transaction() as session:
        assert rules_stamp(session) == stamp
        assert session.scalar(select(func.count()).select_from(RuleVersion)) == 3


def test_a_change_bumps_only_that_rule(database: Database) -> None:
    _load(database, RULES)
    changed = _load(database, RULES.replace("priority: 0.8", "priority: 0.9"), at=timedelta(hours=1))
    assert changed.changed == (RuleVersionRef("link-burst", 2),)
    assert [ref.name for ref in changed.unchanged] == ["threat", "muted"]
    assert _versions(database) == {"link-burst": 2, "threat": 1, "muted": 1}
    with database.transaction() as session:
        history = rule_history(session, "link-burst")
    assert [(h.version, h.rule.confidence, h.loaded_at) for h in history] == [
        (1, 0.8, START),
        (2, 0.9, START + timedelta(hours=1)),
    ]


def test_a_mode_change_is_a_new_version(database: Database) -> None:
    _load(database, RULES)
    outcome = _load(database, RULES.replace("mode: shadow", "mode: live"))
    assert outcome.changed == (RuleVersionRef("link-burst", 2),)


def test_a_rule_missing_from_the_file_is_retired_and_can_come_back(database: Database) -> None:
    _load(database, RULES)
    without = RULES[: RULES.index("  - name: muted")]
    outcome = _load(database, without, at=timedelta(hours=1))
    assert outcome.retired == (RuleVersionRef("muted", 2),)
    assert _versions(database) == {"link-burst": 1, "threat": 1}
    with database.transaction() as session:
        history = rule_history(session, "muted")
    assert [(h.version, h.retired) for h in history] == [(1, False), (2, True)]
    assert history[1].rule == history[0].rule  # a retired version keeps the last definition
    back = _load(database, RULES, at=timedelta(hours=2))
    assert back.reinstated == (RuleVersionRef("muted", 3),)
    assert _versions(database)["muted"] == 3
    assert _load(database, without, at=timedelta(hours=3)).retired == (RuleVersionRef("muted", 4),)
    assert _load(database, without, at=timedelta(hours=4)).retired == ()  # already retired: nothing to add


def test_an_empty_rule_list_retires_everything(database: Database) -> None:
    _load(database, RULES)
    outcome = _load(database, "rules: []\n")
    assert [ref.name for ref in outcome.retired] == ["link-burst", "muted", "threat"]
    assert _versions(database) == {}


def test_a_file_that_does_not_check_writes_nothing(database: Database) -> None:
    _load(database, RULES)
    bad = RULES.replace("queue: scams-spam", "queue: nowhere").replace("priority: 0.8", "priority: 0.9")
    with pytest.raises(RulesDoNotCheck) as caught:
        _load(database, bad, at=timedelta(hours=1))
    assert [d.path for d in caught.value.diagnostics] == ["rules[0].then[0].enqueue.queue"]
    assert _versions(database) == {"link-burst": 1, "threat": 1, "muted": 1}
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RuleVersion)) == 3
        assert [row.action for row in audit_log.recent(session, 1)] == ["rules.load"]  # only the first load's


def test_a_rule_set_naming_a_rule_twice_is_refused(database: Database) -> None:
    rule = make_rule("twice", when="true")
    with database.transaction() as session, pytest.raises(InvalidInput, match="more than once"):
        load_rules(session, RuleSet((rule, rule), "x"), principal="user:ada", now=START)


def test_a_load_needs_a_principal(database: Database) -> None:
    with database.transaction() as session, pytest.raises(InvalidInput, match="principal"):
        load_rules(session, RuleSet((), "x"), principal="", now=START)


def test_history_of_an_unknown_rule_is_empty(database: Database) -> None:
    with database.transaction() as session:
        assert rule_history(session, "nothing") == []
        assert rules_stamp(session) == 0


def test_a_stored_rule_carries_what_the_engine_and_the_effects_read(database: Database) -> None:
    _load(database, RULES)
    with database.transaction() as session:
        burst = rules_in_force(session)[0]
    rule = burst.rule
    assert (burst.name, burst.mode, burst.when, burst.policy, burst.then) == (
        rule.name,
        rule.mode,
        rule.when,
        rule.policy,
        rule.then,
    )
    assert (burst.confidence, burst.digest, burst.version) == (0.8, rule.digest, 1)
