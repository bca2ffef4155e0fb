"""A subject's history in words: what happened, by whom and why, never a bare event kind."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.domain.events import EventKind
from bastion.history import HistoryLine, history_line


@pytest.mark.parametrize(
    ("kind", "data", "line"),
    [
        (
            EventKind.DECISION_MADE,
            {"policy": "hate_speech", "action": "remove", "round": 1, "rationale": "compares people to vermin"},
            HistoryLine("Decided: Remove under hate_speech", "compares people to vermin"),
        ),
        (
            EventKind.DECISION_MADE,
            {"policy": None, "action": "no_action", "round": 1},
            HistoryLine("Decided: no violation"),
        ),
        (
            EventKind.DECISION_MADE,
            {"policy": "spam", "action": "age_restrict", "round": 2},
            HistoryLine("Decided: Age restrict under spam (review 2)"),
        ),
        (
            EventKind.DECISION_WITHDRAWN,
            {"policy": "spam", "action": "remove", "cancelled_actions": [4]},
            HistoryLine(
                "Decision taken back (it was: Remove under spam)", "Its enforcement was cancelled before it was sent."
            ),
        ),
        (EventKind.ACTION_TAKEN, {"action": "suspend", "id": 7}, HistoryLine("Suspend: action 7 recorded")),
        (EventKind.ACTION_DELIVERED, {"action": 7, "attempts": 1}, HistoryLine("Action 7 delivered to the platform")),
        (
            EventKind.ACTION_DELIVERED,
            {"action": 7, "attempts": 3},
            HistoryLine("Action 7 delivered to the platform after 3 attempts"),
        ),
        (
            EventKind.ACTION_DEAD_LETTERED,
            {"action": 7, "attempts": 8, "error": "HTTP 500"},
            HistoryLine("Action 7 could not be delivered after 8 attempts", "HTTP 500"),
        ),
        (
            EventKind.ACTION_REVERSED,
            {"action": 7, "reason": "appeal_overturned"},
            HistoryLine("Action 7 reversed", "appeal overturned"),
        ),
        (
            EventKind.ACTION_CANCELLED,
            {"action": 7, "kind": "ban"},
            HistoryLine("Ban: action 7 cancelled before it was sent", "Its decision was taken back."),
        ),
        (
            EventKind.REPORT_FILED,
            {"reason": "spam", "reporter_id": "u-9"},
            HistoryLine("Reported for spam", "Reporter u-9"),
        ),
        (EventKind.REPORT_FILED, {"reason": "spam"}, HistoryLine("Reported for spam", "Anonymous reporter")),
        (EventKind.CONTENT_CREATED, {"type": "post", "surface": "feed"}, HistoryLine("Post created on feed")),
        (EventKind.STRIKE_ADDED, {"weight": 2, "total": 4}, HistoryLine("Strike added: 2 points, 4 in the window")),
        (EventKind.STRIKE_ADDED, {"weight": 1, "total": 1}, HistoryLine("Strike added: 1 point, 1 in the window")),
        (
            EventKind.DECISION_IMPORTED,
            {"label": "spam", "rater": "vendor-17", "queue": "general"},
            HistoryLine("Decision made elsewhere imported: spam", "In queue general"),
        ),
        ("job.something_new", {}, HistoryLine("Job something new")),
    ],
)
def test_history_line(kind: str, data: dict[str, Any], line: HistoryLine) -> None:
    assert history_line(kind, data) == line


def test_every_subject_event_kind_has_its_own_words() -> None:
    subject_kinds = [k for k in EventKind if not k.value.startswith(("job.", "appeal."))]
    data = {"type": "video"}
    spelled_out = [k for k in subject_kinds if history_line(k, data).what == k.value.replace(".", " ").capitalize()]
    assert spelled_out == []
