"""Same spec, same world, record for record; records come in time order, causes before effects."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import pytest

from bastion.errors import Conflict
from bastion.simulate import Record, RecordKind, SimulationSpec, World

from .conftest import Generated


def fingerprint(records: Iterable[Record]) -> str:
    digest = hashlib.sha256()
    for kind, payload in records:
        digest.update(kind.value.encode())
        digest.update(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def test_same_spec_gives_identical_records_and_truth() -> None:
    spec = SimulationSpec(seed=11, days=3)
    first, second = World(spec), World(spec)
    once = fingerprint(first.records())
    assert fingerprint(second.records()) == once
    assert first.truth() == second.truth()
    # A second pass of the same world is identical too: a pass leaves nothing behind.
    assert fingerprint(first.records()) == once


def test_a_different_seed_gives_a_different_world() -> None:
    one = list(World(SimulationSpec(seed=11, days=3)).records())
    other = list(World(SimulationSpec(seed=12, days=3)).records())
    assert fingerprint(one) != fingerprint(other)


def test_truth_is_refused_before_the_records_are_exhausted() -> None:
    world = World(SimulationSpec(seed=3, days=1))
    records = world.records()
    next(records)
    with pytest.raises(Conflict):
        world.truth()
    for _ in records:
        pass
    assert world.truth()["seed"] == 3


def _moment(kind: RecordKind, payload: dict[str, object]) -> str:
    return str(payload["viewed_at"] if kind is RecordKind.VIEWS else payload["created_at"])


def test_records_come_in_time_order(small: Generated) -> None:
    moments = [_moment(r.kind, r.payload) for r in small.records]
    assert moments == sorted(moments)


def test_causes_come_before_effects(small: Generated) -> None:
    actors: set[str] = set()
    content: set[str] = set()
    for record in small.records:
        payload = record.payload
        if record.kind is RecordKind.ACTORS:
            actors.add(payload["id"])
        elif record.kind is RecordKind.CONTENT:
            assert payload["actor_id"] in actors
            content.add(payload["id"])
        elif record.kind is RecordKind.VIEWS:
            assert payload["content_id"] in content
            assert payload.get("viewer_id", next(iter(actors))) in actors
        else:
            target = payload["target"]
            assert target.get("content_id", next(iter(content))) in content
            assert target.get("actor_id", next(iter(actors))) in actors
            assert payload["reporter_id"] in actors


def test_ids_are_unique_per_kind(small: Generated) -> None:
    for kind in RecordKind:
        ids = [r.payload["id"] for r in small.records if r.kind is kind]
        assert len(ids) == len(set(ids)), kind
