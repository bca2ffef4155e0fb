"""Entities: the things beyond subjects that tie accounts together, and how they are read from records.

Pure. An **entity** is a value an actor's record or its posts carry that another actor can carry too: an IP,
a device, an email domain, a phone number, a URL and its domain, a payment fingerprint, an image's PDQ hash,
a near-duplicate cluster of text. The actor attributes are the ones network detection reads
(`network_reader.actor_traits`: `device_id`, `ip`, `url` and their plurals), plus `email`, `phone` and
`payment_fingerprint` (or their plurals) when present; an email address counts by its domain only, since
the address itself is one person's and ties nobody. Each entity keeps the attribute it came from, so a
private field (the review configuration's `private_fields`) can be masked wherever it shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.investigate.network_reader import DEVICE_FIELDS, IP_FIELDS, URL_FIELDS, attribute_strings
from bastion.investigate.traits import domain_of


class EntityKind(StrEnum):
    """What a node of the entity graph is."""

    ACTOR = "actor"
    IP = "ip"
    DEVICE = "device"
    EMAIL_DOMAIN = "email_domain"
    PHONE = "phone"
    URL = "url"
    DOMAIN = "domain"
    PAYMENT = "payment"
    IMAGE = "image"  # an image's PDQ hash
    TEXT_CLUSTER = "text_cluster"  # a near-duplicate cluster of text


EMAIL_FIELDS = ("email", "emails")
PHONE_FIELDS = ("phone", "phones")
PAYMENT_FIELDS = ("payment_fingerprint", "payment_fingerprints")

# The record attributes each kind is read from; a kind whose attribute is private is masked.
SOURCE_FIELDS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.IP: IP_FIELDS,
    EntityKind.DEVICE: DEVICE_FIELDS,
    EntityKind.EMAIL_DOMAIN: EMAIL_FIELDS,
    EntityKind.PHONE: PHONE_FIELDS,
    EntityKind.URL: URL_FIELDS,
    EntityKind.DOMAIN: URL_FIELDS,
    EntityKind.PAYMENT: PAYMENT_FIELDS,
    EntityKind.IMAGE: ("media_pdq",),
    EntityKind.TEXT_CLUSTER: (),
}
RECORD_KINDS = frozenset(
    {
        EntityKind.IP,
        EntityKind.DEVICE,
        EntityKind.EMAIL_DOMAIN,
        EntityKind.PHONE,
        EntityKind.URL,
        EntityKind.DOMAIN,
        EntityKind.PAYMENT,
    }
)
CONTENT_KINDS = frozenset({EntityKind.IMAGE, EntityKind.TEXT_CLUSTER})
ENTITY_KINDS = tuple(kind for kind in EntityKind if kind is not EntityKind.ACTOR)


@dataclass(frozen=True, slots=True, order=True)
class Entity:
    """One entity: its kind and its normalised value (`ip` `203.0.113.7`, `email_domain` `example.org`)."""

    kind: EntityKind
    value: str

    @property
    def key(self) -> str:
        """The node id in a graph: `kind:value`."""
        return f"{self.kind.value}:{self.value}"


@dataclass(frozen=True, slots=True)
class Link:
    """An actor carries an entity; `at` is when (a post's time) or None for the actor's record."""

    actor_id: str
    entity: Entity
    at: datetime | None = None


def record_entities(attributes: Any) -> list[Entity]:
    """The entities an actor's record names, each once, sorted. Anything that is not a string (or a list of
    strings) is ignored, as network detection ignores it."""
    record = attributes if isinstance(attributes, dict) else {}
    found: set[Entity] = set()
    for device in attribute_strings(record, DEVICE_FIELDS):
        found.add(Entity(EntityKind.DEVICE, device))
    for ip in attribute_strings(record, IP_FIELDS):
        found.add(Entity(EntityKind.IP, ip))
    for url in attribute_strings(record, URL_FIELDS):
        found.add(Entity(EntityKind.URL, url))
        domain = domain_of(url)
        if domain is not None:
            found.add(Entity(EntityKind.DOMAIN, domain))
    for email in attribute_strings(record, EMAIL_FIELDS):
        domain = email_domain(email)
        if domain is not None:
            found.add(Entity(EntityKind.EMAIL_DOMAIN, domain))
    for phone in attribute_strings(record, PHONE_FIELDS):
        number = normal_phone(phone)
        if number is not None:
            found.add(Entity(EntityKind.PHONE, number))
    for fingerprint in attribute_strings(record, PAYMENT_FIELDS):
        found.add(Entity(EntityKind.PAYMENT, fingerprint))
    return sorted(found)


def content_entities(*, media_pdq: str | None, text_cluster: int | str | None) -> list[Entity]:
    """The entities a post carries: its image's PDQ hash (as stored: ingestion writes it in lower case) and
    its near-duplicate cluster, when it has them."""
    found: list[Entity] = []
    if media_pdq:
        found.append(Entity(EntityKind.IMAGE, media_pdq))
    if text_cluster is not None:
        found.append(Entity(EntityKind.TEXT_CLUSTER, str(text_cluster)))
    return found


def email_domain(address: str) -> str | None:
    """The domain of an email address, lower case; None when it is not `local@domain.tld`."""
    local, at, domain = address.strip().rpartition("@")
    domain = domain.strip().lower().rstrip(".")
    if not at or not local or "." not in domain or any(c.isspace() for c in domain):
        return None
    return domain


def normal_phone(number: str) -> str | None:
    """A phone number as `+` and its digits (spaces, dots, dashes and brackets dropped); None when fewer
    than 6 digits are left."""
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) < 6:
        return None
    return "+" + digits


def masked_kinds(private_fields: Iterable[str]) -> frozenset[EntityKind]:
    """The kinds whose values come from a private field (case-insensitive, as `without_private_fields`
    matches a top-level name)."""
    private = {name.casefold() for name in private_fields}
    return frozenset(kind for kind, fields in SOURCE_FIELDS.items() if any(f.casefold() in private for f in fields))


def masked(entity: Entity) -> Entity:
    """The entity with its value replaced by a stable digest, so the graph keeps its shape and hides the value."""
    digest = hashlib.sha256(f"{entity.kind.value}\x00{entity.value}".encode()).hexdigest()[:12]
    return Entity(entity.kind, f"masked-{digest}")
