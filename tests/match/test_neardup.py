"""Near-duplicate signatures and the cluster index, pure: no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from datasketch import MinHash  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.match.neardup import (
    EXEMPLARS,
    MIN_SHINGLES,
    PERMUTATIONS,
    SCHEME,
    SEED,
    ClusterIndex,
    from_bytes,
    shingles,
    signature,
    signatures,
    similarity,
    to_bytes,
)

T0 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
SCAM = "Official {} airdrop is LIVE: send 0.1 ETH, get 1 ETH back instantly {} https://claim-airdrop.example/ab12cd"


def _datasketch(text: str) -> np.ndarray:
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME)
    minhash.update_batch(shingles(text))
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("abcdefgh ijk lmn 0134 ЕАО!"), max_size=80), max_size=8))
def test_batch_signatures_equal_datasketch_minhash_text_by_text(texts: list[str]) -> None:
    for text, found in zip(texts, signatures(texts), strict=True):
        if not shingles(text):
            assert found is None
        else:
            assert found is not None
            assert np.array_equal(found, _datasketch(text))


@pytest.mark.parametrize(
    ("text", "compared"),
    [
        ("", False),
        ("thank you so much", False),  # four words: too short to say anything
        ("thank you so very much", True),
        ("the the the the the the", False),  # one distinct word
    ],
)
def test_short_texts_are_not_compared(text: str, compared: bool) -> None:
    assert (signature(text) is not None) is compared
    assert MIN_SHINGLES == 5


def test_folding_makes_look_alikes_case_and_leetspeak_meet() -> None:
    plain = signature("FREE followers for everyone who shares this post")
    disguised = signature("frее f0ll0wers for EVERYONE who shares this post")  # Cyrillic е, zeros for o
    assert plain is not None and disguised is not None
    assert np.array_equal(plain, disguised)


def test_signatures_survive_the_store_round_trip() -> None:
    value = signature(SCAM.format("BrandX", "🔥"))
    assert value is not None
    assert len(to_bytes(value)) == PERMUTATIONS * 4
    assert np.array_equal(from_bytes(to_bytes(value)), value)


def test_near_duplicates_share_a_cluster_and_others_do_not() -> None:
    index = ClusterIndex()
    texts = [SCAM.format(brand, emoji) for brand, emoji in [("BrandX", "🔥"), ("CoinY", "👇"), ("Zeta", "")]]
    texts.append("Traffic downtown in Lagos is terrible again this morning, avoid the bridge")
    values = signatures(texts)
    placed = [index.place(pk, value, T0 + timedelta(minutes=pk)) for pk, value in enumerate(values, start=1)]
    assert [p.cluster for p in placed] == [1, 1, 1, 4]
    assert [p.size for p in placed] == [1, 2, 3, 1]
    assert all(p.joined for p in placed)
    assert placed[0].similarity == 1.0
    assert 0.5 <= placed[1].similarity < 1.0
    assert placed[1].similarity == similarity(values[1], values[0])  # to the representative


def test_size_and_growth_count_members_posted_up_to_the_item() -> None:
    index = ClusterIndex()
    text = SCAM.format("BrandX", "🔥")
    value = signature(text)
    times = [T0, T0 + timedelta(minutes=30), T0 + timedelta(minutes=90), T0 + timedelta(minutes=100)]
    placed = [index.place(pk, value, at) for pk, at in enumerate(times, start=1)]
    # The hour is (posted - 1h, posted]: the member posted exactly an hour before is out of it.
    assert [(p.size, p.growth_1h) for p in placed] == [(1, 1), (2, 2), (3, 1), (4, 2)]
    # Read back later, each still says how things stood when it was posted.
    assert (index.placement(2, times[1]).size, index.placement(2, times[1]).growth_1h) == (2, 2)


def test_a_placed_item_is_placed_once() -> None:
    index = ClusterIndex()
    value = signature(SCAM.format("BrandX", "🔥"))
    first = index.place(1, value, T0)
    again = index.place(1, value, T0)
    assert first.joined and not again.joined
    assert len(index) == 1


def test_preview_changes_nothing() -> None:
    index = ClusterIndex()
    value = signature(SCAM.format("BrandX", "🔥"))
    index.place(1, value, T0)
    preview = index.preview(2, value, T0 + timedelta(minutes=1))
    assert (preview.cluster, preview.size, preview.joined) == (1, 2, False)
    assert 2 not in index
    assert index.preview(3, None, T0).cluster == 3


def test_a_big_cluster_indexes_only_its_first_members() -> None:
    index = ClusterIndex()
    value = signature(SCAM.format("BrandX", "🔥"))
    for pk in range(1, 200):
        index.place(pk, value, T0 + timedelta(seconds=pk))
    assert index.placement(199, T0 + timedelta(seconds=199)).size == 199
    assert index.indexed_members() == EXEMPLARS


def test_a_rebuilt_index_places_as_the_live_one_did() -> None:
    live = ClusterIndex()
    texts = [SCAM.format(b, "🔥") for b in ("A", "B", "C")] + ["a whole other message about the weather today here"]
    values = signatures(texts)
    placed = [live.place(pk, v, T0 + timedelta(minutes=pk)) for pk, v in enumerate(values, start=1)]
    rebuilt = ClusterIndex()
    for p, v in zip(placed, values, strict=True):
        rebuilt.add(p.content_pk, p.cluster, v, T0 + timedelta(minutes=p.content_pk), p.similarity)
    newcomer = signature(SCAM.format("D", "👇"))
    assert (
        rebuilt.place(9, newcomer, T0 + timedelta(hours=1)).cluster
        == live.place(9, newcomer, T0 + timedelta(hours=1)).cluster
        == 1
    )
