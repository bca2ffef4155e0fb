"""Reading a review configuration: problems across fields are reported with the field errors, by line."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.errors import InvalidInput
from bastion.review.config import ReviewConfig, parse_review_config, queue_reference_errors

REFERENCES_AND_FIELDS = """\
default_queue: general
escalation_queue: nowhere
appeals_queue: general
queues:
  - name: general
    title: General
    sla_hours: 0
  - name: general
    title: Again
routing:
  - when: {policy: [spam]}
    queue: spam
"""


def test_reference_errors_come_with_the_field_errors_in_line_order() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_review_config(REFERENCES_AND_FIELDS, "review.yaml")
    assert caught.value.message == "review configuration review.yaml has 4 errors"
    assert [(e.line, e.path) for e in caught.value.errors] == [
        (2, "escalation_queue"),
        (7, "queues[0].sla_hours"),
        (8, "queues[1].name"),
        (12, "routing[0].queue"),
    ]


def test_a_configuration_built_in_code_is_checked_the_same_way() -> None:
    with pytest.raises(ValueError, match="default_queue: no queue named 'b'"):
        ReviewConfig.model_validate(
            {
                "queues": [{"name": "a", "title": "A"}],
                "default_queue": "b",
                "escalation_queue": "a",
                "appeals_queue": "a",
            }
        )


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=8))
KEYS = st.sampled_from(["queues", "name", "title", "routing", "queue", "when", "default_queue", "appeals_queue", "a"])
DOCUMENTS = st.recursive(
    SCALARS | KEYS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


@given(DOCUMENTS)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_document_gives_a_configuration_or_invalid_input_with_lines(document: object) -> None:
    assert isinstance(queue_reference_errors(document), list)
    try:
        parse_review_config(yaml.safe_dump(document), "fuzz.yaml")
    except InvalidInput as exc:
        assert exc.errors
        assert all(e.line is None or e.line >= 1 for e in exc.errors)
