"""What the console shows of a job: attributes with human labels, the policies in the order the evidence gives."""

from __future__ import annotations

from collections import Counter

import pytest

from bastion.policy.service import current_policies
from bastion.review.views import attribute_label, attribute_rows, attribute_text, decision_policies
from bastion.store.database import Database


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("ip", "IP address"),
        ("followers", "Followers"),
        ("profile_links", "Profile links"),
        ("account-age_days", "Account age days"),
        ("avatar_url", "Avatar URL"),
        ("id", "ID"),
        ("x", "X"),
        ("_", "_"),
    ],
)
def test_attribute_label(key: str, label: str) -> None:
    assert attribute_label(key) == label


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (False, "No"),
        (True, "Yes"),
        (None, "—"),
        (120000, "120,000"),
        (0.5, "0.5"),
        (2.0, "2"),
        (["https://a.example/x", "https://b.example/"], "https://a.example/x, https://b.example/"),
        ([], "none"),
        ({"city": "Lyon", "verified": True}, "City: Lyon; Verified account: Yes"),
        ("plain", "plain"),
    ],
)
def test_attribute_text_is_never_a_python_repr(value: object, text: str) -> None:
    assert attribute_text(value) == text


def test_attribute_rows_sort_by_label() -> None:
    rows = attribute_rows({"verified": False, "followers": 3, "profile_links": ["https://a.example/"]})
    assert [(r["label"], r["value"]) for r in rows] == [
        ("Followers", "3"),
        ("Profile links", "https://a.example/"),
        ("Verified account", "No"),
    ]


def test_reported_and_suggested_policies_come_first_then_the_family_then_the_queue(
    sqlite_database: Database,
) -> None:
    with sqlite_database.transaction() as session:
        policies = current_policies(session)
    ordered = decision_policies(
        policies,
        suggested="scams_and_fraud",
        reported=Counter({"spam.commercial_spam": 2, "spam": 1, "scams_and_fraud": 1}),
        harm_type="scams_and_fraud",
        queue_policies=("scams_and_fraud*", "spam*"),
    )
    ids = [p["id"] for p in ordered]
    assert ids[:3] == ["spam.commercial_spam", "scams_and_fraud", "spam"]  # most reports, then the suggestion
    family = [i for i in ids[3:] if i.startswith("scams_and_fraud")]
    assert ids[3 : 3 + len(family)] == sorted(family)  # the rest of the job's harm type next
    assert set(ids) == {p for p in policies if p.startswith(("scams_and_fraud", "spam"))}  # the queue's, nothing else
    assert len(ids) == len(set(ids))
    assert ordered[0]["reports"] == 2 and ordered[1]["suggested"] and not ordered[2]["suggested"]


def test_a_reported_policy_outside_the_queue_is_still_offered(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        policies = current_policies(session)
    ordered = decision_policies(
        policies, suggested=None, reported=Counter({"hate_speech": 1}), harm_type=None, queue_policies=("spam*",)
    )
    assert ordered[0]["id"] == "hate_speech" and all(p["id"].startswith("spam") for p in ordered[1:])
