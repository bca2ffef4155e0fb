"""Finding the context fields an expression reads, and rewriting it to read them flat."""

from __future__ import annotations

import cel
import pytest

from bastion.detect.fields import context_fields
from bastion.detect.references import flatten, macro_variables, references

FIELDS = context_fields(keyword_banks=["slurs"], regex_banks=["phones"])


def test_a_dotted_path_is_found_with_the_offset_of_each_segment() -> None:
    source = "actor.account_age_days < 2 && signals.velocity.actor_posts_1h > 20"
    found = list(references(source))
    assert [r.path for r in found] == [("actor", "account_age_days"), ("signals", "velocity", "actor_posts_1h")]
    velocity = found[1]
    assert [source[offset : offset + len(name)] for name, offset in velocity.segments] == list(velocity.path)


def test_paths_inside_strings_and_comments_are_not_references() -> None:
    source = '"content.text" == content.text // actor.id\n && true'
    assert [r.path for r in references(source)] == [("content", "text")]


def test_a_method_call_ends_the_path() -> None:
    (found,) = references('content.text.contains("http")')
    assert found.path == ("content", "text")


def test_index_segments_count_as_fields() -> None:
    (found,) = references('signals.keyword["slurs"].hit')
    assert found.path == ("signals", "keyword", "slurs", "hit")


def test_a_field_of_another_value_is_not_a_root() -> None:
    assert list(references("x.content > 1")) == []


def test_macro_variables_are_named() -> None:
    assert macro_variables('content.domains.exists(d, d.endsWith(".xyz")) && content.urls.all(u, true)') == {"d", "u"}


@pytest.mark.parametrize(
    ("source", "variables", "expected"),
    [
        (
            'actor.account_age_days < 2 && content.text.contains("http")',
            {"actor__account_age_days": 1.0, "content__text": "see http://x"},
            True,
        ),
        ('signals.keyword["slurs"].hit', {"signals__keyword__slurs__hit": True}, True),
        ("actor.attributes.verified == true", {"actor__attributes": {"verified": True}}, True),
        (
            'content.domains.exists(d, d.endsWith(".xyz")) && size(signals.labels.actor) == 0',
            {"content__domains": ["a.xyz"], "signals__labels__actor": []},
            True,
        ),
    ],
)
def test_the_flattened_expression_gives_the_same_answer(
    source: str, variables: dict[str, object], expected: bool
) -> None:
    flat = flatten(source, FIELDS)
    assert set(variables) == {"__".join(leaf) for leaf in flat.leaves}
    assert cel.compile(flat.source).execute(variables) is expected


def test_has_and_whole_groups_keep_their_root_as_a_map() -> None:
    flat = flatten("has(actor.attributes.verified) && size(signals.keyword) > 0", FIELDS)
    assert flat.groups == {"actor", "signals"}
    assert flat.leaves == frozenset()
    nested = {"actor": {"attributes": {"verified": 1}}, "signals": {"keyword": {"slurs": {}}}}
    assert cel.compile(flat.source).execute(nested) is True
