"""Conditions: CEL syntax in Bastion's words, every field a condition reads, and plainly wrong types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.detect.conditions import MAX_CONDITION_LENGTH, ConditionProblem, check_condition
from bastion.detect.fields import Field, Group, context_fields

CONTEXT = context_fields(
    keyword_banks=["slurs", "spam-terms"],
    regex_banks=["phone"],
    plugin_signals={"toxicity": Group("A classifier", {"score": Field("double", "0..1")})},
)


@pytest.mark.parametrize(
    "expression",
    [
        'actor.account_age_days < 2 && signals.velocity.actor_posts_1h > 20 && content.text.contains("http")',
        "signals.keyword.slurs.hit",
        'signals.keyword["spam-terms"].count > 2',
        "signals.regex.phone.hit || signals.toxicity.score > 0.9",
        'content.domains.exists(d, d.endsWith(".ru")) && content.urls.all(u, u.startsWith("https"))',
        '"suspected-spammer" in signals.labels.actor',
        "content.urls.map(u, u.size()).exists(n, n > 100)",
        "content.urls.filter(u, u.contains(content.id)).size() > 0",
        "[1, 2].map(i, v, i + v).exists_one(x, x == 3)",
        'actor.attributes.verified == false && actor.attributes["follower count"] > 10',
        "has(content.text) && size(content.urls) > 1",
        'content.text.matches("(?i)free money") // a comment naming content.nothing',
        "!content.has_media",
        "content.has_media",
        '(content.views > 100 ? "a" : "b") == "a"',
        'event.kind == "content.created" && event.at > timestamp("2026-01-01T00:00:00Z")',
        "int(content.views) + 1 > 2",
        "'content.nothing' == content.text",
        "type(actor.attributes.age) == int && type(content.text) == string",
    ],
)
def test_good_conditions_have_no_problems(expression: str) -> None:
    assert check_condition(expression, CONTEXT) == []


@pytest.mark.parametrize(
    ("expression", "at", "message"),
    [
        ("content.txt == 'a'", "txt", "unknown field 'content.txt'; did you mean 'content.text'?"),
        (
            "contnet.text == 'a'",
            "contnet",
            "unknown variable 'contnet'; a rule reads actor, content, event and signals",
        ),
        ("signals.keyword.slurz.hit", "slurz", "no keyword bank named 'slurz'; did you mean 'slurs'?"),
        ('signals.keyword["nope"].hit', '"nope"', "no keyword bank named 'nope'; keyword banks: slurs, spam-terms"),
        ("signals.regex.email.hit", "email", "no regex bank named 'email'; regex banks: phone"),
        ("signals.velocity.actor_posts_2h > 1", "actor_posts_2h", "unknown field 'signals.velocity.actor_posts_2h'"),
        ("signals.velocty.actor_posts_1h > 1", "velocty", "unknown signal 'velocty'; did you mean 'velocity'?"),
        ("content.text.length > 1", "length", "content.text is a string: it has no field 'length'"),
        ("signals.keyword.slurs.terms.first == 'a'", "first", "has no field 'first'"),
        ("content.urls.exists(u, u == x)", "x)", "unknown variable 'x'"),
        ("content.urls.exists(u, true) && u == 'a'", "u ==", "unknown variable 'u'"),
        ("content.urls.exists(actor, actor == 'a')", "actor,", "a macro variable may not be named 'actor'"),
    ],
)
def test_unknown_names_are_found_at_their_own_segment(expression: str, at: str, message: str) -> None:
    problems = check_condition(expression, CONTEXT)
    assert len(problems) == 1
    assert message in problems[0].message
    assert problems[0].offset == expression.index(at)


def test_a_long_unknown_name_is_cut_short_in_the_message() -> None:
    (problem,) = check_condition("content." + "x" * 5000 + " == 1", CONTEXT)
    assert problem.message == "unknown field 'content." + "x" * 49 + "...'"


def test_every_unknown_field_is_reported() -> None:
    expression = "content.nope && actor.nope && event.nope"
    problems = check_condition(expression, CONTEXT)
    assert [p.offset for p in problems] == [8, 22, 36]


@pytest.mark.parametrize(
    ("expression", "offset", "message"),
    [
        ("content.text == ", 16, "ends too early"),
        ("content.text == 'a' &&", 22, "ends too early"),
        ("content.text == 'a' && && true", 23, "unexpected '&&'"),
        ("a.b.(c)", 4, "cannot read '.(' here"),
        ("content.text == 'a'\n  && (content.views >", 41, "ends too early"),
        ("content.text == 'a' content.views", 20, "unexpected 'content'"),
        ("é == 'x'", 0, "unexpected character(s) 'é'"),
        ("(" * 100 + "true" + ")" * 100, 96, "nested too deeply"),
    ],
)
def test_syntax_errors_say_where_and_why(expression: str, offset: int, message: str) -> None:
    problems = check_condition(expression, CONTEXT)
    assert [(p.offset, message in p.message) for p in problems] == [(offset, True)]
    assert problems[0].message.startswith("invalid condition: ")
    assert "expecting" not in problems[0].message  # the parser's token list is not for analysts


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('"spam"', "the condition is a string"),
        ("42", "the condition is a number"),
        ("content.views + 1", "the condition is arithmetic"),
        ("[true]", "the condition is a list"),
        ("{'a': true}", "the condition is a map"),
        ("content.text", "the condition is a string"),
        ("(signals.velocity.actor_posts_1h)", "the condition is a whole number"),
        ("event.at", "the condition is a time"),
        ("signals.keyword.slurs", "the condition is a group of fields"),
    ],
)
def test_a_condition_that_is_plainly_not_true_or_false_is_refused(expression: str, message: str) -> None:
    assert [p.message for p in check_condition(expression, CONTEXT)] == [message + "; it must be true or false"]


@pytest.mark.parametrize("expression", ["", "   ", "x" * (MAX_CONDITION_LENGTH + 1)])
def test_empty_and_huge_conditions_are_refused(expression: str) -> None:
    assert len(check_condition(expression, CONTEXT)) == 1


@given(st.text(max_size=80))
def test_any_text_gets_an_answer_with_offsets_inside_it(expression: str) -> None:
    for problem in check_condition(expression, CONTEXT):
        assert isinstance(problem, ConditionProblem)
        assert 0 <= problem.offset <= len(expression)
