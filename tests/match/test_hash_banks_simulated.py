"""The demo's hash banks against the simulator's planted truth: every image of a known adult image, of a
benign meme and of a campaign is found in its bank, and no other image is."""

from __future__ import annotations

from datetime import timedelta

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.demo import bank_simulated_images
from bastion.detect.reference import install_reference
from bastion.match.lookup import look_up_hashes
from bastion.match.pdq import DEFAULT_THRESHOLD, distance
from bastion.simulate import RecordKind, SimulationSpec, World
from bastion.simulate.policies import Harm, policy_id
from bastion.store.database import Database
from tests.conftest import START


def test_the_demo_banks_find_exactly_the_planted_images(database: Database, clock: FrozenClock) -> None:
    world = World(SimulationSpec(seed=3, scale="small", days=14, start=START - timedelta(days=14)))  # type: ignore[arg-type]
    with database.transaction() as session:
        install_reference(session, principal=SYSTEM.name, now=clock())
        bank_simulated_images(session, world, now=clock())
    images = {
        record.payload["id"]: (record.payload["media"]["pdq"], record.truth)
        for record in world.labelled_records()
        if record.kind is RecordKind.CONTENT and record.payload.get("media", {}).get("pdq")
    }
    memes = set(world.plan.meme_hashes)
    found: dict[str, set[str]] = {}
    ids = list(images)
    with database.transaction() as session:
        for start in range(0, len(ids), 1_000):
            chunk = ids[start : start + 1_000]
            for content_id, result in zip(chunk, look_up_hashes(session, [images[c][0] for c in chunk]), strict=True):
                found[content_id] = {match.bank for match in result.matches}
    adult = policy_id(Harm.ADULT_NUDITY)
    expected: dict[str, set[str]] = {}
    for content_id, (pdq, truth) in images.items():
        banks = set()
        if truth is not None and truth.policy == adult:
            banks.add("known_adult_images")
        if truth is not None and truth.source.startswith("network:"):
            banks.add("campaign_images")
        # Memes carry no truth of their own: the simulator draws them near its meme hashes.
        if any(distance(pdq, meme) <= DEFAULT_THRESHOLD for meme in memes):
            banks.add("benign_memes")
        expected[content_id] = banks
    assert found == expected
    counts = {
        bank: sum(bank in banks for banks in found.values())
        for bank in ("known_adult_images", "campaign_images", "benign_memes")
    }
    assert min(counts.values()) > 10, counts
    assert sum(1 for banks in found.values() if not banks) > len(found) / 2
