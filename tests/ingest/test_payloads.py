"""What the payload models refuse, in Bastion's words: each case was accepted, or a 500, before."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bastion.ingest.payloads import MAX_JSON_DEPTH, ActorPayload, ContentPayload, ViewPayload, json_depth
from bastion.ingest.validation import field_errors

ACTOR = {"id": "a1", "created_at": "2026-10-31T07:12:00Z"}
CONTENT = {"id": "c1", "actor_id": "a1", "type": "post", "created_at": "2026-10-31T07:12:00Z"}
VIEW = {"id": "v1", "content_id": "c1", "viewed_at": "2026-10-31T07:12:00Z"}


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def errors_of(model: Any, item: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(item)
    return [(e.path, e.message) for e in field_errors(caught.value)]


TIME = "must be a date-time in ISO 8601, such as 2026-10-31T07:12:00Z"
RANGE = "is outside the range of dates Bastion stores (years 1 to 9999 in UTC)"


@pytest.mark.parametrize(
    ("model", "item", "expected"),
    [
        pytest.param(ActorPayload, ACTOR | {"created_at": 5}, [("created_at", TIME)], id="number-as-time"),
        pytest.param(ActorPayload, ACTOR | {"created_at": True}, [("created_at", TIME)], id="boolean-as-time"),
        pytest.param(ActorPayload, ACTOR | {"created_at": "yesterday"}, [("created_at", TIME)], id="words-as-time"),
        pytest.param(
            ActorPayload, ACTOR | {"created_at": "0001-01-01T00:00:00+05:00"}, [("created_at", RANGE)], id="before-1"
        ),
        pytest.param(
            ActorPayload, ACTOR | {"created_at": "9999-12-31T23:59:59-05:00"}, [("created_at", RANGE)], id="after-9999"
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"views": True},
            [("views", "must be a whole number, not true or false")],
            id="boolean-as-count",
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"views": 2**63},
            [("views", "must be less than or equal to 9223372036854775807")],
            id="count-past-64-bits",
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"views": -1},
            [("views", "must be greater than or equal to 0")],
            id="negative-count",
        ),
        pytest.param(
            ViewPayload,
            VIEW | {"weight": 2**64},
            [("weight", "must be less than or equal to 9223372036854775807")],
            id="w",
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"type": "story"},
            [("type", "must be 'post', 'comment', 'message', 'image', 'video', 'listing' or 'profile'")],
            id="unknown-type",
        ),
        pytest.param(
            ActorPayload,
            ACTOR | {"country": "Brazil"},
            [("country", "must be two letters (ISO 3166-1 alpha-2), such as BR")],
            id="country",
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"media": {"url": "ftp://x"}},
            [("media.url", "must be an http:// or https:// URL without spaces")],
            id="media-url",
        ),
        pytest.param(
            ActorPayload,
            ACTOR | {"attributes": {"bio": "x" * 10_000_000}},
            [("attributes", "must be at most 65,536 characters as JSON, got 10,000,010")],
            id="ten-megabyte-attribute",
        ),
        pytest.param(
            ActorPayload,
            ACTOR | {"attributes": nested(300)},
            [("attributes", "must not nest objects and lists more than 32 levels deep")],
            id="attributes-nested-300-deep",
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"text": "a\x00b"},
            [("", "text: must not contain the NUL character (\\u0000)")],
            id="nul-in-text",
        ),
        pytest.param(
            ActorPayload,
            ACTOR | {"attributes": {"k": ["\ud800"]}},
            [("", "attributes: must be valid Unicode text, without unpaired surrogates")],
            id="unpaired-surrogate",
        ),
        pytest.param(
            ContentPayload,
            CONTENT | {"text": "x" * 65_537},
            [("text", "must be at most 65,536 characters")],
            id="text-too-long",
        ),
    ],
)
def test_refused_in_bastions_words(model: Any, item: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert errors_of(model, item) == expected


def test_limits_are_inclusive() -> None:
    assert ActorPayload.model_validate(ACTOR | {"attributes": nested(MAX_JSON_DEPTH)}).attributes
    assert ContentPayload.model_validate(CONTENT | {"views": 2**63 - 1, "text": "😀" * 65_536}).views == 2**63 - 1
    assert ContentPayload.model_validate(CONTENT | {"views": "12"}).views == 12  # CSV cells are text
    edge = ActorPayload.model_validate(ACTOR | {"created_at": "0001-01-01T05:00:00+05:00"})
    assert edge.created_at.year == 1


def test_json_depth_counts_objects_and_lists() -> None:
    assert json_depth("x") == 0
    assert json_depth({}) == 1
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth(nested(5000)) == 5000  # no recursion
