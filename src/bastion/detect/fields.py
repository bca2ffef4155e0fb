"""What a rule can read: the fields of the CEL context detection builds for each content item.

A rule's `when` is a CEL expression over four variables:

- `content`: the item that was posted (the subject);
- `actor`: its author;
- `event`: what happened (today always the posting of a content item) and when;
- `signals`: what detection computed for it: keyword and regex bank matches, velocity counters, the
  labels on the entities involved, and whatever signal plug-ins add.

This module is the one description of that context: the rule checker refuses a field that is not here,
and the pipeline builds exactly these fields. Names under `signals.keyword`, `signals.regex` and the
plug-ins' own groups depend on what is configured (the banks that exist, the plug-ins installed), so
they are given to `context_fields` rather than fixed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# CEL type names, as the CEL specification spells them.
STRING = "string"
INT = "int"
DOUBLE = "double"
BOOL = "bool"
TIMESTAMP = "google.protobuf.Timestamp"
STRING_LIST = "list(string)"
ANY_MAP = "map(string, dyn)"  # any key may be read; the checker does not look inside


@dataclass(frozen=True)
class Field:
    """A leaf of the context: its CEL type and what it means."""

    type: str
    doc: str


@dataclass(frozen=True)
class Group:
    """A map of named fields (or groups) in the context."""

    doc: str
    fields: Mapping[str, Field | Group] = field(default_factory=dict)


CONTENT = Group(
    "The content item that was posted.",
    {
        "id": Field(STRING, "The platform's id of the item."),
        "type": Field(STRING, "post, comment, message, image, video, listing or profile."),
        "text": Field(STRING, 'Its text as posted ("" when it has none).'),
        "folded": Field(
            STRING,
            "Its text folded as keyword banks see it (NFKC, case, look-alikes, leetspeak: l and 1 become i); "
            "to match a term however it is spelled, put it in a keyword bank.",
        ),
        "language": Field(STRING, 'Its language as sent or detected ("" when unknown).'),
        "country": Field(STRING, 'Two letters, upper case ("" when unknown).'),
        "surface": Field(STRING, 'Where it was posted (feed, comments, …; "" when unknown).'),
        "created_at": Field(TIMESTAMP, "When it was posted."),
        "views": Field(INT, "Impressions so far, as sent by the platform."),
        "has_media": Field(BOOL, "Whether it carries an image or a video."),
        "media_pdq": Field(STRING, 'The PDQ hash of its media, 64 hex digits ("" when none).'),
        "urls": Field(STRING_LIST, "The http(s) links in its text, as written."),
        "domains": Field(STRING_LIST, "The host names of those links, lower case, without www."),
    },
)

ACTOR = Group(
    "The account that posted the item.",
    {
        "id": Field(STRING, "The platform's id of the account."),
        "account_age_days": Field(DOUBLE, "Days from the account's creation to the item's posting."),
        "country": Field(STRING, 'Two letters ("" when unknown).'),
        "language": Field(STRING, '"" when unknown.'),
        "ip": Field(STRING, 'The IP address the platform sent in the account\'s attributes ("" when none).'),
        "device_id": Field(STRING, 'The device id from the account\'s attributes ("" when none).'),
        "attributes": Field(ANY_MAP, "Every attribute the platform sent for the account."),
    },
)

EVENT = Group(
    "What happened.",
    {
        "kind": Field(STRING, 'Always "content.created" today.'),
        "at": Field(TIMESTAMP, "When it happened (the item's posting time)."),
    },
)

# Velocity: how many items an entity posted over a sliding window ending at this item, this one included.
VELOCITY_ENTITIES = ("actor", "ip", "device", "url")
VELOCITY_WINDOWS: Mapping[str, int] = {"10m": 10, "1h": 60, "24h": 24 * 60}  # window name -> minutes


def velocity_counter(entity: str, window: str) -> str:
    return f"{entity}_posts_{window}"


VELOCITY = Group(
    "Items posted over a sliding window ending at this one (this one included), counted per minute. "
    "For url: the busiest of the item's links (0 when it has none).",
    {
        velocity_counter(entity, window): Field(INT, f"Items posted by this {entity} in the last {window}.")
        for entity in VELOCITY_ENTITIES
        for window in VELOCITY_WINDOWS
    },
)

LABEL_ENTITIES = ("actor", "content", "ip", "device", "url")
LABELS = Group(
    "The unexpired labels on the entities of this item (for url: on any of its links).",
    {entity: Field(STRING_LIST, f"Labels on the {entity}.") for entity in LABEL_ENTITIES},
)

KEYWORD_MATCH = Group(
    "A keyword bank's matches in the item's folded text.",
    {
        "hit": Field(BOOL, "At least one term matched."),
        "count": Field(INT, "How many matches (a term found twice counts twice)."),
        "terms": Field(STRING_LIST, "The distinct terms matched, as written in the bank."),
    },
)

REGEX_MATCH = Group(
    "A regex bank's matches in the item's text.",
    {
        "hit": Field(BOOL, "At least one pattern matched."),
        "count": Field(INT, "How many patterns matched."),
        "patterns": Field(STRING_LIST, "The patterns that matched, as written in the bank."),
    },
)


def context_fields(
    keyword_banks: Iterable[str] = (),
    regex_banks: Iterable[str] = (),
    plugin_signals: Mapping[str, Group] | None = None,
) -> Group:
    """The whole context for these banks and plug-in signal groups."""
    signals: dict[str, Field | Group] = {
        "keyword": Group("Keyword banks, by name.", {name: KEYWORD_MATCH for name in keyword_banks}),
        "regex": Group("Regex banks, by name.", {name: REGEX_MATCH for name in regex_banks}),
        "velocity": VELOCITY,
        "labels": LABELS,
    }
    for name, group in (plugin_signals or {}).items():
        if name in signals:
            raise ValueError(f"a signal plug-in cannot take the built-in name {name!r}")
        signals[name] = group
    return Group(
        "The variables a rule can read.",
        {
            "content": CONTENT,
            "actor": ACTOR,
            "event": EVENT,
            "signals": Group("What detection computed for the item.", signals),
        },
    )
