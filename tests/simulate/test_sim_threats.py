"""Real-world-threat posts: planted only when the spec asks, from a stream of their own, so a simulation
without them is unchanged and one with them differs only by their records; simulated reviewers escalate
every one (without a draw that would shift the other items' decisions)."""

from __future__ import annotations

import random

import pytest

from bastion.errors import InvalidInput
from bastion.policy.loader import default_policies
from bastion.policy.service import PolicyRecord
from bastion.simulate import LabelledRecord, RecordKind, SimulationSpec, World
from bastion.simulate.deciding import escalates
from bastion.simulate.threats import THREAT_POLICY, THREAT_TEXTS

SEED = 7


def _planted(record: LabelledRecord) -> bool:
    return record.kind in (RecordKind.CONTENT, RecordKind.REPORTS) and str(record.payload["id"]).startswith(
        ("ct", "rt")
    )


@pytest.fixture(scope="module")
def passes() -> tuple[list[LabelledRecord], list[LabelledRecord], World]:
    plain = list(World(SimulationSpec(seed=SEED)).labelled_records())
    threatened = World(SimulationSpec(seed=SEED, threats=4))
    return plain, list(threatened.labelled_records()), threatened


def test_without_threats_nothing_is_planted_and_with_them_nothing_else_changes(
    passes: tuple[list[LabelledRecord], list[LabelledRecord], World],
) -> None:
    plain, threatened, _ = passes
    assert not any(_planted(r) for r in plain)
    assert [r for r in threatened if not _planted(r)] == plain


def test_threat_posts_are_credible_threats_in_their_authors_language_reported_after_they_appear(
    passes: tuple[list[LabelledRecord], list[LabelledRecord], World],
) -> None:
    _, threatened, world = passes
    position = {(r.kind, r.payload["id"]): n for n, r in enumerate(threatened)}
    actors = {r.payload["id"]: r.payload for r in threatened if r.kind is RecordKind.ACTORS}
    posts = [r for r in threatened if _planted(r) and r.kind is RecordKind.CONTENT]
    reports = [r for r in threatened if _planted(r) and r.kind is RecordKind.REPORTS]
    assert len(posts) == 4 and len(reports) >= 8
    for post in posts:
        payload, truth = post.payload, post.truth
        assert truth is not None and truth.policy == THREAT_POLICY and truth.source.startswith("threat:")
        assert payload["language"] in THREAT_TEXTS and payload["text"]
        assert position[(RecordKind.ACTORS, payload["actor_id"])] < position[(RecordKind.CONTENT, payload["id"])]
        assert actors[payload["actor_id"]]["language"] == payload["language"]
        own = [r for r in reports if r.payload["target"] == {"content_id": payload["id"]}]
        assert own and all(
            position[(RecordKind.REPORTS, r.payload["id"])] > position[(RecordKind.CONTENT, payload["id"])] for r in own
        )
        assert all(r.payload["created_at"] > payload["created_at"] for r in own)
    stamps = [
        r.payload.get("viewed_at") or r.payload["created_at"] for r in threatened if r.kind is not RecordKind.ACTORS
    ]
    assert stamps == sorted(stamps)  # the merged stream is still in time order
    truth = world.truth()["threats"]
    assert sorted(t["content_id"] for t in truth) == sorted(p.payload["id"] for p in posts)
    assert all(t["policy"] == THREAT_POLICY for t in truth)


def test_the_same_spec_plants_the_same_threats() -> None:
    def planted(seed: int) -> list[object]:
        return [r.payload for r in World(SimulationSpec(seed=seed, threats=2)).labelled_records() if _planted(r)]

    first = planted(SEED)
    assert first == planted(SEED) and first != planted(SEED + 1)


@pytest.mark.parametrize("threats", [-1, 51, True, 1.5])
def test_a_bad_number_of_threats_is_refused_naming_the_field(threats: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        SimulationSpec(seed=1, threats=threats)  # type: ignore[arg-type]
    assert [e.path for e in refused.value.errors] == ["threats"]


def test_reviewers_always_escalate_a_threat_without_drawing() -> None:
    policies = {
        p.id: PolicyRecord(p, 1, False, "test", SimulationSpec(seed=1).start, "test") for p in default_policies()
    }
    rng = random.Random(3)
    state = rng.getstate()
    assert all(escalates(rng, policies[THREAT_POLICY]) for _ in range(20))
    assert rng.getstate() == state
    assert not all(escalates(rng, policies["spam"]) for _ in range(20))
