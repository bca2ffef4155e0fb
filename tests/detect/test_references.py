"""Finding the context fields an expression reads, and rewriting it to read them flat."""

from __future__ import annotations

import cel
import pytest

from bastion.detect.conditions import reading
from bastion.detect.fields import context_fields
from bastion.detect.references import ShadowedRoot, flatten

FIELDS = context_fields(keyword_banks=["slurs"], regex_banks=["phones"])


def test_a_dotted_path_is_found_with_the_offset_and_end_of_each_segment() -> None:
    source = 'actor.account_age_days < 2 && signals.keyword["slurs"].hit'
    found = reading(source)
    assert found is not None
    assert [path.names for path in found.paths] == [
        ("actor", "account_age_days"),
        ("signals", "keyword", "slurs", "hit"),
    ]
    slurs = found.paths[1].segments[2]
    assert source[slurs.offset : slurs.end] == '"slurs"]'


def test_paths_inside_strings_and_comments_are_not_read_and_a_method_call_ends_a_path() -> None:
    found = reading('"content.text" == content.text // actor.id\n && content.text.contains("x")')
    assert found is not None
    assert [path.names for path in found.paths] == [("content", "text"), ("content", "text")]


def test_macro_variables_are_not_paths() -> None:
    found = reading('content.domains.exists(d, d.endsWith(".xyz")) && content.urls.all(u, true)')
    assert found is not None
    assert [name for name, _ in found.macro_variables] == ["d", "u"]
    assert [path.names for path in found.paths] == [("content", "domains"), ("content", "urls")]


def test_a_macro_variable_named_after_a_root_is_refused() -> None:
    with pytest.raises(ShadowedRoot, match="content"):
        flatten("content.urls.exists(content, true)", FIELDS)


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
