"""Matching's words: what a hash bank is for and what became of a match."""

from __future__ import annotations

from enum import StrEnum


class HashBankKind(StrEnum):
    """match: content within the bank's threshold is a hit that rules act on; allow (a negative bank):
    content within its threshold is known to be fine, and its hits in match banks are suppressed."""

    MATCH = "match"
    ALLOW = "allow"


class MatchStatus(StrEnum):
    """What became of one content item matching one bank entry."""

    HIT = "hit"  # rules see it: signals.hash.<bank>.hit
    SUPPRESSED = "suppressed"  # an allow bank matched the same item
    QUARANTINED = "quarantined"  # the entry matched more items than its bank's flood limit: held for review
