"""pydantic's errors in Bastion's words: what the field must be, never the library's own text."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bastion.ingest.validation import field_errors


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = 0
    ratio: float = Field(1.0, gt=0, le=366)
    flag: bool = False
    when: datetime | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=5)] = "x"
    status: Literal["pending", "delivered", "dead"] = "dead"
    items: list[int] = Field(default_factory=list, max_length=2)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"count": "abc"}, ("count", "must be a whole number")),
        ({"count": 1.5}, ("count", "must be a whole number")),
        ({"ratio": 0}, ("ratio", "must be greater than 0")),
        ({"ratio": 400}, ("ratio", "must be less than or equal to 366")),
        ({"flag": "maybe"}, ("flag", "must be true or false")),
        ({"when": "soon"}, ("when", "must be a date-time in ISO 8601, such as 2026-10-31T07:12:00Z")),
        ({"name": ""}, ("name", "must not be empty")),
        ({"name": "toolong"}, ("name", "must be at most 5 characters")),
        ({"status": "gone"}, ("status", "must be 'pending', 'delivered' or 'dead'")),
        ({"items": [1, 2, 3]}, ("items", "must hold at most 2 items")),
        ({"colour": "red"}, ("colour", "unknown field")),
    ],
)
def test_messages_say_what_the_field_must_be(data: dict[str, Any], expected: tuple[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    [error] = field_errors(caught.value)
    assert (error.path, error.message) == expected
    assert "Input should" not in error.message and "String should" not in error.message
