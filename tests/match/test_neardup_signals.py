"""The `neardup` signal group on a real store: every item placed in its detection batch, written with it,
read by rules, rebuilt from the store, and dropped when a batch rolls back."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.fields import Field
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_for_worker, run_backtest
from bastion.detect.worker import DetectionWorker
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.match.neardup_signals import FIELDS
from bastion.match.neardup_store import INDEXES
from bastion.store.database import Database
from bastion.store.schema import ContentItem, DetectionVerdict, NearDuplicateCluster, NearDuplicateMember, RuleHit
from tests.conftest import START

SCAM = "Official {} airdrop is LIVE: send 0.1 ETH, get 1 ETH back instantly {} https://claim-airdrop.example/ab12cd"
RULES = """
rules:
  - name: copy-paste-burst
    mode: shadow
    policy: spam.fake_engagement
    when: 'signals.neardup.growth_1h >= 3 && signals.neardup.similarity > 0.5'
    then:
      - enqueue: {queue: scams-spam, priority: 0.5}
"""
DOC = Path(__file__).parents[2] / "docs" / "near-duplicates.md"


def _post(database: Database, clock: FrozenClock, texts: list[str], *, start: int = 1) -> list[str]:
    ids = [f"c{n}" for n in range(start, start + len(texts))]
    with database.transaction() as session:
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": "a1", "created_at": (START - timedelta(days=1)).isoformat()}],
            principal=SYSTEM.name,
            now=clock(),
        )
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": cid, "actor_id": "a1", "type": "post", "text": text, "created_at": clock().isoformat()}
                for cid, text in zip(ids, texts, strict=True)
            ],
            principal=SYSTEM.name,
            now=clock(),
        )
    return ids


def _detect(database: Database, clock: FrozenClock) -> None:
    worker = DetectionWorker(database, detect_for_worker, clock, batch=3)
    while worker.run_once():
        pass


def _signals(database: Database) -> dict[str, dict[str, object]]:
    with database.transaction() as session:
        rows = session.execute(
            select(ContentItem.external_id, DetectionVerdict.signals).join(
                DetectionVerdict, DetectionVerdict.content_pk == ContentItem.pk
            )
        )
        return {str(cid): dict(signals["neardup"]) for cid, signals in rows}


def _pk(database: Database, content_id: str) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(ContentItem.pk).where(ContentItem.external_id == content_id)) or 0)


def test_every_item_is_placed_and_near_duplicates_form_a_cluster(database: Database, clock: FrozenClock) -> None:
    texts = [SCAM.format(b, e) for b, e in [("BrandX", "🔥"), ("CoinY", "👇"), ("Zeta", ""), ("Moon", "RT")]]
    texts += ["Traffic downtown in Lagos is terrible again this morning, avoid the bridge", "", "ok"]
    _post(database, clock, texts)
    with database.transaction() as session:
        load_rule_text(session, RULES, source="rules.yaml", principal=SYSTEM.name, now=clock())
    _detect(database, clock)  # batches of three: the cluster spans batches
    found = _signals(database)
    first = _pk(database, "c1")
    assert [found[f"c{n}"]["cluster"] for n in range(1, 5)] == [first] * 4
    assert [found[f"c{n}"]["size"] for n in range(1, 5)] == [1, 2, 3, 4]
    assert [found[f"c{n}"]["growth_1h"] for n in range(1, 5)] == [1, 2, 3, 4]
    for alone in ("c5", "c6", "c7"):  # a different text, no text, too short: each its own cluster
        assert found[alone] == {"cluster": _pk(database, alone), "size": 1, "growth_1h": 1, "similarity": 1.0}
    third, fourth = _pk(database, "c3"), _pk(database, "c4")
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(NearDuplicateMember)) == 7
        cluster = session.get_one(NearDuplicateCluster, first)
        assert (cluster.size, cluster.first_seen, cluster.last_seen, cluster.peak_1h) == (4, START, START, 4)
        hits = sorted(session.scalars(select(RuleHit.content_pk).where(RuleHit.rule_name == "copy-paste-burst")))
        assert hits == [third, fourth]


def test_the_index_is_rebuilt_from_the_store_and_new_items_join_old_clusters(
    database: Database, clock: FrozenClock
) -> None:
    _post(database, clock, [SCAM.format("BrandX", "🔥"), SCAM.format("CoinY", "👇")])
    _detect(database, clock)
    INDEXES.forget(database.engine)  # as a new process would start
    clock.advance(timedelta(minutes=5))
    _post(database, clock, [SCAM.format("Zeta", "")], start=3)
    _detect(database, clock)
    found = _signals(database)
    assert found["c3"]["cluster"] == _pk(database, "c1")
    assert found["c3"]["size"] == 3
    first = _pk(database, "c1")
    with database.transaction() as session:
        assert session.get_one(NearDuplicateCluster, first).size == 3


def test_a_batch_that_rolls_back_leaves_no_placement_behind(database: Database, clock: FrozenClock) -> None:
    from bastion.detect.service import detect

    _post(database, clock, [SCAM.format("BrandX", "🔥")])
    first = _pk(database, "c1")
    with pytest.raises(RuntimeError), database.transaction() as session:
        detect(session, [first], clock())
        raise RuntimeError("the batch fails after placing its items")
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(NearDuplicateMember)) == 0
    _post(database, clock, [SCAM.format("CoinY", "👇")], start=2)
    _detect(database, clock)
    found = _signals(database)
    # c1 was placed again from scratch (the failed placement was forgotten), and c2 joined it.
    assert found["c2"]["cluster"] == found["c1"]["cluster"] == _pk(database, "c1")
    assert found["c2"]["size"] == 2


def test_a_backtest_reads_clusters_and_writes_none(database: Database, clock: FrozenClock) -> None:
    from bastion.detect.checking import known_names, parse_checked

    _post(database, clock, [SCAM.format(b, "🔥") for b in ("A", "B", "C", "D")])
    _detect(database, clock)
    with database.transaction() as session:
        before = session.scalar(select(func.count()).select_from(NearDuplicateMember))
        rules = parse_checked(RULES, "rules.yaml", known_names(session)).rules
        report = run_backtest(session, rules, since=START - timedelta(hours=1), until=START + timedelta(hours=1))
        assert session.scalar(select(func.count()).select_from(NearDuplicateMember)) == before
    assert report is not None
    assert sum(r.hits for r in report.rules) == 2  # the third and fourth copies, read from the clusters


def test_the_documented_fields_are_the_providers() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- neardup-fields:start -->\n(.*?)\n<!-- neardup-fields:end -->", text, re.DOTALL)
    assert found is not None, "docs/near-duplicates.md has lost its field table markers"
    rows = [
        f"| `signals.neardup.{name}` | {node.type} | {node.doc} |"
        for name, node in FIELDS.fields.items()
        if isinstance(node, Field)
    ]
    assert found.group(1) == "\n".join(["| Field | Type | Meaning |", "|---|---|---|", *rows])


def test_a_large_batch_is_written_whole_signatures_included(database: Database, clock: FrozenClock) -> None:
    from bastion.match.neardup import from_bytes, signature

    texts = [SCAM.format(f"Brand{n}", "🔥") for n in range(250)]  # from 200 rows on, PostgreSQL copies
    _post(database, clock, texts)
    DetectionWorker(database, detect_for_worker, clock, batch=500).run_once()
    with database.transaction() as session:
        rows = session.execute(
            select(ContentItem.text, NearDuplicateMember.signature, NearDuplicateMember.cluster_pk).join(
                ContentItem, ContentItem.pk == NearDuplicateMember.content_pk
            )
        ).all()
        assert len(rows) == 250
        assert len({cluster for _, _, cluster in rows}) == 1
        for text, stored, _ in rows:
            assert stored is not None and (from_bytes(stored) == signature(text)).all()
