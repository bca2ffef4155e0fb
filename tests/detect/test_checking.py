"""Checking rule files like a compiler: every error in one pass, at the right line and column."""

from __future__ import annotations

import os
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bastion.detect.checking import (
    Diagnostic,
    KnownNames,
    RulesDoNotCheck,
    check_rules,
    known_names,
    parse_checked,
)
from bastion.detect.fields import Field, Group
from bastion.domain.detect import EffectKind, EntityType, RuleMode
from bastion.store.database import Database
from bastion.store.schema import Bank, ReviewConfig
from tests.conftest import START

GOLDEN = Path(__file__).with_name("golden")
KNOWN = KnownNames(
    queues=frozenset({"general", "scams-spam", "escalations"}),
    escalation_queue="escalations",
    policies={
        "spam": frozenset({"remove", "demote"}),
        "spam.commercial_spam": frozenset({"remove", "warn"}),
        "violence_and_incitement.credible_threats": frozenset({"remove", "ban"}),
    },
    keyword_banks=frozenset({"slurs"}),
    regex_banks=frozenset({"phone"}),
    plugin_signals={"toxicity": Group("A classifier", {"score": Field("double", "0..1")})},
)

GOOD = """\
rules:
  - name: new-account-link-burst        # unique in the file
    description: Brand-new accounts posting many links
    owner: spam-team
    mode: shadow
    policy: spam.commercial_spam
    when: 'actor.account_age_days < 2 && signals.velocity.actor_posts_1h > 20 && content.text.contains("http")'
    then:
      - enqueue: {queue: scams-spam, policy: spam, priority: 0.8}
      - act: {action: remove}
      - label: {entity: actor, label: suspected-spammer, expires_in: 7d}
      - escalate: {policy: violence_and_incitement.credible_threats, reason: "looks like a threat"}
  - name: slur-hit
    mode: live
    when: |
      signals.keyword.slurs.hit
        && signals.toxicity.score > 0.5
    then:
      - enqueue: {queue: general}
  - name: watch-only
    mode: off
    when: signals.regex.phone.hit
    then: []
"""


def lines(diagnostics: list[Diagnostic]) -> list[str]:
    return [str(d) for d in diagnostics]


def test_a_good_file_checks_and_reads_into_rules() -> None:
    assert check_rules(GOOD, "spam.yaml", KNOWN) == []
    rule_set = parse_checked(GOOD, "spam.yaml", KNOWN)
    assert rule_set.source == "spam.yaml"
    burst, slur, watch = rule_set.rules
    assert (burst.name, burst.mode, burst.policy, burst.owner) == (
        "new-account-link-burst",
        RuleMode.SHADOW,
        "spam.commercial_spam",
        "spam-team",
    )
    assert [e.kind for e in burst.then] == [EffectKind.ENQUEUE, EffectKind.ACT, EffectKind.LABEL, EffectKind.ESCALATE]
    enqueue, act, label, escalate = burst.then
    assert (enqueue.queue, enqueue.policy, enqueue.confidence) == ("scams-spam", "spam", 0.8)
    assert (act.action, act.policy) == ("remove", "spam.commercial_spam")  # the rule's policy
    assert (label.entity, label.label, label.expires_in) == (EntityType.ACTOR, "suspected-spammer", timedelta(days=7))
    assert (escalate.policy, escalate.reason) == ("violence_and_incitement.credible_threats", "looks like a threat")
    assert burst.confidence == 0.8
    assert slur.when == "signals.keyword.slurs.hit\n  && signals.toxicity.score > 0.5"
    assert (slur.policy, slur.description, slur.owner) == (None, "", "")
    assert watch.then == () and watch.mode is RuleMode.OFF


def test_the_digest_follows_meaning_not_layout() -> None:
    flow = (
        "rules:\n- {name: r, mode: live, when: 'content.has_media',"
        " then: [{label: {entity: ip, label: x, expires_in: 24h}}]}\n"
    )
    block = textwrap.dedent(
        """\
        rules:
          - name: r
            mode: live
            when: >
              content.has_media
            then:
              - label:
                  expires_in: 1d
                  label: x
                  entity: ip
        """
    )
    assert parse_checked(flow, "a", KNOWN).rules[0].digest == parse_checked(block, "b", KNOWN).rules[0].digest


THREE_PLANTED = """\
rules:
  - name: syntax
    mode: live
    when: content.text == "a" &&
    then: []
  - name: field
    mode: shadow
    when: 'content.has_media && actor.acount_age_days < 2'
    then:
      - enqueue: {queue: general}
  - name: queue
    mode: live
    when: content.has_media
    then:
      - enqueue: {queue: scam-spam, priority: 0.5}
"""


def test_three_planted_errors_give_exactly_three_lines_at_their_places() -> None:
    assert lines(check_rules(THREE_PLANTED, "planted.yaml", KNOWN)) == [
        "planted.yaml:4:33: rules[0].when: invalid condition: it ends too early"
        " (an operand or a closing bracket is missing)",
        "planted.yaml:8:39: rules[1].when: unknown field 'actor.acount_age_days';"
        " did you mean 'actor.account_age_days'?",
        "planted.yaml:15:26: rules[2].then[0].enqueue.queue: unknown queue 'scam-spam'; did you mean 'scams-spam'?",
    ]


@pytest.mark.parametrize(
    "when",
    [
        "content.has_media && content.nope",  # plain
        "'content.has_media && content.nope'",  # single-quoted
        "'content.text == ''it'' && content.nope'",  # single-quoted with doubled quotes
        '"content.text == \\"x\\" && content.nope"',  # double-quoted with escapes
        '"content.text == \\"\\t\\" && content.nope"',  # an escape whose value differs from its text
        "|\n      content.has_media &&\n        content.nope",  # literal block
        "|-  # a comment with content.nope in it\n      content.has_media &&\n        content.nope",
        ">\n      content.has_media\n      && content.nope",  # folded block
        "content.has_media\n      && content.nope",  # plain over two lines
        '"content.has_media\n      && content.nope"',  # double-quoted over two lines
    ],
)
def test_a_condition_problem_points_into_the_file_in_every_scalar_style(when: str) -> None:
    text = f"rules:\n  - name: r\n    mode: live\n    when: {when}\n    then: []\n"
    (diagnostic,) = check_rules(text, "f.yaml", KNOWN)
    assert diagnostic.message == "unknown field 'content.nope'"
    before = text[: text.rindex("nope")]  # the field's segment is the last 'nope' of the file
    expected = (before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
    assert (diagnostic.line, diagnostic.column) == expected


@pytest.mark.parametrize(
    ("when", "line", "column"),
    [
        ("content.text == 'a' &&", 4, 33),  # right after the last character
        ("|\n      content.text == 'a' &&\n        (content.views > 1 ||\n    ", 6, 30),
        ("'content.text == \"é\" && && true'", 4, 35),  # columns count characters, not bytes
    ],
)
def test_a_syntax_error_points_into_the_file(when: str, line: int, column: int) -> None:
    text = f"rules:\n  - name: r\n    mode: live\n    when: {when}\n    then: []\n"
    (diagnostic,) = check_rules(text, "f.yaml", KNOWN)
    assert diagnostic.message.startswith("invalid condition")
    assert (diagnostic.line, diagnostic.column) == (line, column)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["f:1:1: the file is empty; expected a 'rules' list"]),
        ("- a\n", ["f:1:1: a rule file is a mapping with a 'rules' list, got a list"]),
        ("rules: 3\n", ["f:1:8: rules: must be a list of rules, got 3"]),
        (
            "rule: []\n",
            [
                "f:1:1: rules: missing: a rule file has a 'rules' list",
                "f:1:1: rule: unknown key 'rule'; did you mean 'rules'?; allowed: rules",
            ],
        ),
        ("rules: []\n", []),
    ],
)
def test_the_files_shape(text: str, expected: list[str]) -> None:
    assert sorted(lines(check_rules(text, "f", KNOWN))) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("rules: [\n", 2, 1), ("rules:\n  - name: a\n   mode: live\n", 3, 4)],
)
def test_broken_yaml_is_one_diagnostic_at_the_parsers_position(text: str, line: int, column: int) -> None:
    # The wording is the YAML parser's (libyaml's or PyYAML's own, whichever is installed); the place is not.
    (diagnostic,) = check_rules(text, "f", KNOWN)
    assert (diagnostic.line, diagnostic.column) == (line, column)
    assert diagnostic.message.startswith("invalid YAML: ")


def test_yaml_that_cannot_be_read_says_where() -> None:
    (diagnostic,) = check_rules("rules: []\n\x07\n", "f", KNOWN)
    assert (diagnostic.line, diagnostic.column) == (2, 1)
    assert "invalid YAML" in diagnostic.message


MANY = """\
rules:
  - name: Bad Name
    mode: sideways
    policy: spam.nope
    when: 42
    then: {enqueue: {queue: general}}
    colour: red
  - name: ok-name
    mode: live
    when: '"just text"'
    then:
      - enqueue: {queue: nowhere, policy: spm, priority: 1.5, extra: 1}
      - act: {action: ban, policy: spam}
      - act: {action: remove}
      - label: {entity: planet, label: Not OK, expires_in: 3w}
      - label: {entity: actor, label: fine}
      - escalate:
      - shout: {loud: true}
      - enqueue
      - {act: {action: remove, policy: spam}, label: {entity: ip, label: x, expires_in: none}}
  - name: ok-name
    name: again
    mode: live
    owner: [a, b]
    description: 7
    when: content.views > 1
    then: []
  - 7
  - description: nothing else
"""


def test_every_error_of_a_file_at_once_golden() -> None:
    """Compared with a golden file (BASTION_UPDATE_GOLDEN=1 rewrites it)."""
    no_escalation = KnownNames(queues=KNOWN.queues, policies=KNOWN.policies)
    output = "\n".join(lines(check_rules(MANY, "many.yaml", no_escalation))) + "\n"
    golden = GOLDEN / "many_errors.txt"
    if os.environ.get("BASTION_UPDATE_GOLDEN"):
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")


def test_parse_checked_refuses_with_every_diagnostic() -> None:
    with pytest.raises(RulesDoNotCheck) as caught:
        parse_checked(THREE_PLANTED, "planted.yaml", KNOWN)
    error = caught.value
    assert error.message == "rule file planted.yaml has 3 errors"
    assert len(error.diagnostics) == 3
    assert [(e.path, e.line) for e in error.errors] == [
        ("rules[0].when", 4),
        ("rules[1].when", 8),
        ("rules[2].then[0].enqueue.queue", 15),
    ]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_gets_diagnostics_or_rules_never_a_crash(text: str) -> None:
    for diagnostic in check_rules(text, "f", KNOWN):
        assert diagnostic.line >= 1 and diagnostic.column >= 1


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_any_condition_in_any_style_points_inside_the_file(expression: str) -> None:
    import json

    text = f"rules:\n  - name: r\n    mode: live\n    when: {json.dumps(expression)}\n    then: []\n"
    line_count = text.count("\n") + 1
    for diagnostic in check_rules(text, "f", KNOWN):
        assert 1 <= diagnostic.line <= line_count


def test_known_names_read_the_store(database: Database) -> None:
    with database.transaction() as session:
        known = known_names(session)
    assert "scams-spam" in known.queues and known.escalation_queue == "escalations"
    assert "remove" in known.policies["spam.commercial_spam"]
    assert known.keyword_banks == frozenset() and known.regex_banks == frozenset()


def test_known_names_list_banks_by_kind_and_take_plugin_groups(database: Database) -> None:
    with database.transaction() as session:
        session.add(Bank(name="slurs", kind="keyword", created_at=START, created_by="t"))
        session.add(Bank(name="phone", kind="regex", created_at=START, created_by="t"))
    group = Group("g", {"score": Field("double", "x")})
    with database.transaction() as session:
        known = known_names(session, {"toxicity": group})
    assert (known.keyword_banks, known.regex_banks) == (frozenset({"slurs"}), frozenset({"phone"}))
    assert (
        check_rules("rules:\n- {name: r, mode: live, when: 'signals.toxicity.score > 1', then: []}\n", "f", known) == []
    )


def test_without_a_review_configuration_no_queue_can_be_named(database: Database) -> None:
    with database.transaction() as session:
        session.execute(delete(ReviewConfig))
    with database.transaction() as session:
        known = known_names(session)
    assert known.queues == frozenset() and known.escalation_queue is None
    text = "rules:\n- {name: r, mode: live, when: 'true', then: [{enqueue: {queue: general}}, {escalate: {}}]}\n"
    queue, escalate = text.index("general") - 6, text.index("escalate") - 6  # columns on line 2
    assert lines(check_rules(text, "f", known)) == [
        f"f:2:{queue}: rules[0].then[0].enqueue.queue: unknown queue 'general'; there are no queues",
        f"f:2:{escalate}: rules[0].then[1].escalate: there is no escalation queue: load a review configuration first",
    ]


def test_rules_that_check_compile_in_the_engine_and_run() -> None:
    from bastion.detect.engine import Engine

    rules = parse_checked(GOOD, "spam.yaml", KNOWN).rules
    engine = Engine(rules, KNOWN.context(), budget_ms=10_000)  # a loaded machine must not fail this one
    assert engine.broken == {}
    assert [rule.name for rule in engine.rules] == ["new-account-link-burst", "slur-hit"]  # off left out
    variables = {
        "actor__account_age_days": 1.0,
        "signals__velocity__actor_posts_1h": 25,
        "content__text": "see http://x",
        "signals__keyword__slurs__hit": False,
        "signals__toxicity__score": 0.9,
    }
    assert engine.run(variables).hits == (0,)


def test_a_file_with_windows_line_ends_points_at_the_same_places() -> None:
    rows = ["rules:", "  - name: r", "    mode: live", "    when: |", "      content.has_media &&"]
    text = "\r\n".join([*rows, "        content.nope", "    then: []", ""])
    (diagnostic,) = check_rules(text, "f", KNOWN)
    assert (diagnostic.line, diagnostic.column, diagnostic.message) == (6, 17, "unknown field 'content.nope'")
