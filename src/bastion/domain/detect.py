"""Detection's words: how a rule runs, what it can do, which entities carry labels and counters."""

from __future__ import annotations

from enum import StrEnum


class RuleMode(StrEnum):
    """live: its effects happen; shadow: what it would have done is recorded, nothing happens; off: not run."""

    LIVE = "live"
    SHADOW = "shadow"
    OFF = "off"


class EffectKind(StrEnum):
    ENQUEUE = "enqueue"  # open (or join) a review job in a queue
    ACT = "act"  # take an enforcement action the policy allows, recorded as automated
    LABEL = "label"  # put a label on an entity, with an expiry
    ESCALATE = "escalate"  # open a job in the escalation queue


class BankKind(StrEnum):
    KEYWORD = "keyword"  # terms matched with Aho-Corasick over folded text
    REGEX = "regex"  # RE2 patterns


class EntityType(StrEnum):
    """What a label or a velocity counter is about."""

    ACTOR = "actor"
    CONTENT = "content"
    IP = "ip"
    DEVICE = "device"
    URL = "url"
