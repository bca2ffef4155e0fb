"""The rules analysts write: a YAML file of named conditions (CEL) and the effects of a match.

Pure: the frozen types the engine runs, their one canonical document and its digest. Reading a file,
with every error and its position, is `checking.py`; versions in the store are `rule_store.py`.

A rule is *versioned by content*: its digest is the SHA-256 of its canonical JSON (sorted keys, no
spaces), built from what the rule means rather than how it was typed: `24h` and `1d` are the same
expiry, and an effect that does not name a policy carries the rule's policy. A load compares digests,
so reformatting a file or reordering its rules changes no version, and any change that could change
what a rule does (its condition, effects, mode, policy, owner or description) makes a new one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bastion.domain.detect import EffectKind, EntityType, RuleMode

RULE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,127}")
LABEL_NAME = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,127}")
NEVER = "none"  # the expiry of a label that never expires
_DURATION = re.compile(r"([1-9][0-9]{0,6})([mhd])")
_UNITS: Mapping[str, timedelta] = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
MAX_EXPIRY = timedelta(days=3650)


def parse_duration(text: str) -> timedelta | None:
    """`30m`, `12h`, `7d` as a timedelta; `none` as None (never). Raises ValueError in Bastion's words."""
    if text == NEVER:
        return None
    found = _DURATION.fullmatch(text)
    if found is None:
        raise ValueError(f"must be a duration such as 30m, 12h or 7d, or {NEVER} for never, got {text!r}")
    value = int(found.group(1)) * _UNITS[found.group(2)]
    if value > MAX_EXPIRY:
        raise ValueError(f"must be at most {MAX_EXPIRY.days}d, got {text!r}")
    return value


def format_duration(value: timedelta | None) -> str:
    """The canonical text of a duration: the largest unit that divides it (`1d`, never `24h`)."""
    if value is None:
        return NEVER
    for unit, size in _UNITS.items():
        if value % size == timedelta(0):
            return f"{value // size}{unit}"
    raise ValueError(f"{value} is not a whole number of minutes")


@dataclass(frozen=True)
class Effect:
    """What a rule's match does. Which fields are set depends on `kind`:

    - enqueue: `queue`, `policy` (optional), `confidence` (the priority written, 0..1, optional);
    - act: `action`, `policy` (an action that policy allows);
    - label: `entity`, `label`, `expires_in` (None: never);
    - escalate: `policy` (optional), `reason` (optional), to the review configuration's escalation queue.
    """

    kind: EffectKind
    queue: str | None = None
    policy: str | None = None
    confidence: float | None = None
    action: str | None = None
    entity: EntityType | None = None
    label: str | None = None
    expires_in: timedelta | None = None
    reason: str | None = None

    def document(self) -> dict[str, Any]:
        """The effect as the rule file writes it: `{"enqueue": {"queue": …, "priority": …}}`."""
        fields: dict[str, Any]
        if self.kind is EffectKind.ENQUEUE:
            fields = {"queue": self.queue, "policy": self.policy, "priority": self.confidence}
        elif self.kind is EffectKind.ACT:
            fields = {"action": self.action, "policy": self.policy}
        elif self.kind is EffectKind.LABEL:
            entity = self.entity.value if self.entity is not None else None
            fields = {"entity": entity, "label": self.label, "expires_in": format_duration(self.expires_in)}
        else:
            fields = {"policy": self.policy, "reason": self.reason}
        return {self.kind.value: {key: value for key, value in fields.items() if value is not None}}


def effect_from_document(document: Mapping[str, Any], *, rule_policy: str | None = None) -> Effect:
    """An effect from its document (already checked); an effect without a policy takes `rule_policy`."""
    ((kind_name, fields),) = document.items()
    kind = EffectKind(kind_name)
    policy = fields.get("policy", rule_policy)
    if kind is EffectKind.ENQUEUE:
        priority = fields.get("priority")
        return Effect(
            kind, queue=fields["queue"], policy=policy, confidence=None if priority is None else float(priority)
        )
    if kind is EffectKind.ACT:
        return Effect(kind, action=fields["action"], policy=policy)
    if kind is EffectKind.LABEL:
        return Effect(
            kind,
            entity=EntityType(fields["entity"]),
            label=fields["label"],
            expires_in=parse_duration(fields.get("expires_in", NEVER)),
        )
    return Effect(kind, policy=policy, reason=fields.get("reason"))


@dataclass(frozen=True)
class Rule:
    """One rule: a CEL condition over the context (`bastion.detect.fields`) and the effects of a match."""

    name: str
    description: str
    owner: str
    mode: RuleMode
    policy: str | None
    when: str
    then: tuple[Effect, ...]
    digest: str

    @property
    def confidence(self) -> float | None:
        """The rule's confidence: its highest enqueue priority, else None."""
        priorities = [e.confidence for e in self.then if e.kind is EffectKind.ENQUEUE and e.confidence is not None]
        return max(priorities) if priorities else None

    def document(self) -> dict[str, Any]:
        """The canonical document the digest is taken over, and the store keeps."""
        return rule_document(self.name, self.description, self.owner, self.mode, self.policy, self.when, self.then)


def rule_document(
    name: str,
    description: str,
    owner: str,
    mode: RuleMode,
    policy: str | None,
    when: str,
    then: tuple[Effect, ...],
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "owner": owner,
        "mode": mode.value,
        "policy": policy,
        "when": when,
        "then": [effect.document() for effect in then],
    }


def digest_of(document: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_rule(
    name: str,
    *,
    when: str,
    then: tuple[Effect, ...] = (),
    mode: RuleMode = RuleMode.SHADOW,
    policy: str | None = None,
    description: str = "",
    owner: str = "",
) -> Rule:
    """A rule with its digest computed; the effects are taken as given (policies already inherited)."""
    document = rule_document(name, description, owner, mode, policy, when, then)
    return Rule(name, description, owner, mode, policy, when, then, digest_of(document))


def rule_from_document(document: Mapping[str, Any]) -> Rule:
    """A rule from its canonical document (as `Rule.document` writes it and the store keeps it)."""
    policy = document.get("policy")
    then = tuple(effect_from_document(effect, rule_policy=policy) for effect in document.get("then", ()))
    return make_rule(
        document["name"],
        when=document["when"],
        then=then,
        mode=RuleMode(document["mode"]),
        policy=policy,
        description=document.get("description", ""),
        owner=document.get("owner", ""),
    )


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in the file's order, and where they came from (a file name)."""

    rules: tuple[Rule, ...]
    source: str

    def by_name(self) -> dict[str, Rule]:
        return {rule.name: rule for rule in self.rules}
