"""One content item as detection sees it, and the CEL variables a rule set reads from it.

`DetectionItem` holds what the store knows of the item and its author plus the signals computed for
it. `VariableBuilder` turns an item into exactly the variables a compiled rule set needs (flat leaves
such as `signals__velocity__actor_posts_1h`, and whole roots where a rule reads one as a map), because
handing CEL values costs time per value (see `references.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bastion.detect.fields import LABEL_ENTITIES, VELOCITY, Field, Group
from bastion.detect.references import flat_name

EVENT_KIND = "content.created"


@dataclass(frozen=True)
class Match:
    """A bank's matches in one item: how many, and the distinct terms or patterns that matched."""

    count: int = 0
    entries: tuple[str, ...] = ()

    @property
    def hit(self) -> bool:
        return self.count > 0


NO_MATCH = Match()


@dataclass
class DetectionItem:
    """A content item, its author, and its signals (filled in by the pipeline before the rules run)."""

    content_pk: int
    actor_pk: int
    content_id: str
    type: str
    text: str
    language: str
    country: str
    surface: str
    created_at: datetime
    views: int
    media_pdq: str
    has_media: bool
    actor_id: str
    actor_created_at: datetime
    actor_country: str
    actor_language: str
    attributes: Mapping[str, Any]
    urls: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    folded: str = ""
    keyword: dict[str, Match] = field(default_factory=dict)
    regex: dict[str, Match] = field(default_factory=dict)
    velocity: dict[str, int] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)
    plugin: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    # The highest live model score per policy id (a signal provider fills it in): a rule's job for that
    # policy, or one under it, gets at least this as its priority input (`effects.py`).
    confidence: dict[str, float] = field(default_factory=dict)

    @property
    def ip(self) -> str:
        value = self.attributes.get("ip")
        return value if isinstance(value, str) else ""

    @property
    def device_id(self) -> str:
        value = self.attributes.get("device_id")
        return value if isinstance(value, str) else ""

    @property
    def account_age_days(self) -> float:
        return (self.created_at - self.actor_created_at).total_seconds() / 86_400

    def entity_values(self) -> dict[str, list[str]]:
        """The item's entities by type, as labels and velocity counters key them."""
        return {
            "actor": [self.actor_id],
            "content": [self.content_id],
            "ip": [self.ip] if self.ip else [],
            "device": [self.device_id] if self.device_id else [],
            "url": list(self.urls),
        }


Getter = Callable[[DetectionItem], Any]

_CONTENT: dict[str, Getter] = {
    "id": lambda i: i.content_id,
    "type": lambda i: i.type,
    "text": lambda i: i.text,
    "folded": lambda i: i.folded,
    "language": lambda i: i.language,
    "country": lambda i: i.country,
    "surface": lambda i: i.surface,
    "created_at": lambda i: i.created_at,
    "views": lambda i: i.views,
    "has_media": lambda i: i.has_media,
    "media_pdq": lambda i: i.media_pdq,
    "urls": lambda i: i.urls,
    "domains": lambda i: i.domains,
}
_ACTOR: dict[str, Getter] = {
    "id": lambda i: i.actor_id,
    "account_age_days": lambda i: i.account_age_days,
    "country": lambda i: i.actor_country,
    "language": lambda i: i.actor_language,
    "ip": lambda i: i.ip,
    "device_id": lambda i: i.device_id,
    "attributes": lambda i: dict(i.attributes),
}
_EVENT: dict[str, Getter] = {"kind": lambda _i: EVENT_KIND, "at": lambda i: i.created_at}


def _match_getter(kind: str, bank: str, attribute: str) -> Getter:
    def get(item: DetectionItem) -> Any:
        found = getattr(item, kind).get(bank, NO_MATCH)
        if attribute == "hit":
            return found.hit
        if attribute == "count":
            return found.count
        return list(found.entries)

    return get


def getter(leaf: tuple[str, ...]) -> Getter:
    """How to read one leaf of the context from an item."""
    root, *rest = leaf
    if root == "content":
        return _CONTENT[rest[0]]
    if root == "actor":
        return _ACTOR[rest[0]]
    if root == "event":
        return _EVENT[rest[0]]
    group = rest[0]
    if group in ("keyword", "regex"):
        return _match_getter(group, rest[1], rest[2])
    if group == "velocity":
        name = rest[1]
        return lambda i: i.velocity.get(name, 0)
    if group == "labels":
        entity = rest[1]
        return lambda i: i.labels.get(entity, [])
    plugin, path = group, rest[1:]

    def get_plugin(item: DetectionItem) -> Any:
        value: Any = item.plugin.get(plugin, {})
        for name in path:  # a plug-in's group may nest (signals.model.<name>.score)
            value = value.get(name) if isinstance(value, Mapping) else None
        return value

    return get_plugin


def nested(item: DetectionItem, fields: Group) -> dict[str, Any]:
    """The whole context of an item as nested maps (what a rule reading a root as a map gets)."""

    def build(group: Group, path: tuple[str, ...]) -> dict[str, Any]:
        return {
            name: build(node, (*path, name)) if isinstance(node, Group) else getter((*path, name))(item)
            for name, node in group.fields.items()
        }

    return build(fields, ())


class VariableBuilder:
    """Builds, for each item, the variables a compiled rule set reads: nothing more."""

    def __init__(self, leaves: Iterable[tuple[str, ...]], groups: Iterable[str], fields: Group) -> None:
        self._leaves = [(flat_name(leaf), getter(leaf)) for leaf in sorted(leaves)]
        self._groups = sorted(groups)
        self._fields = fields

    def variables(self, item: DetectionItem) -> dict[str, Any]:
        values = {name: get(item) for name, get in self._leaves}
        if self._groups:
            whole = nested(item, self._fields)
            values.update({root: whole[root] for root in self._groups})
        return values


def velocity_names() -> list[str]:
    return [name for name, node in VELOCITY.fields.items() if isinstance(node, Field)]


def empty_labels() -> dict[str, list[str]]:
    return {entity: [] for entity in LABEL_ENTITIES}
