"""What adding hashes to a bank costs when content is already stored: retroactive matching, side by side
with the way around it, in one run.

    .venv/bin/python bench/hash_banks.py [--items 20000] [--hashes 1000] [--planted 200]

A SQLite store holds `--items` evaluated image posts (random PDQ hashes, `--planted` of them within 0-31
bits of a hash about to be banked) and a live rule reading `signals.hash.known`. Then `--hashes` new
hashes go into the bank:

- **ours**: `import_hashes`, which matches the new hashes against the stored hashes (an index of the new
  hashes, the stored ones read in chunks), records the matches and sends only the matched items through
  the rules again (`bastion.match.retroactive`);
- **baseline**: what a store without retroactive matching would have to do to catch the same items: run
  the hash signal for every stored image post against the whole bank (`find_matches` over all items,
  matching only: no rules, nothing recorded), i.e. a lower bound of re-queueing every image for detection.

Both must find exactly the planted items (checked: a mismatch fails the run). Reported: seconds of each
and their ratio, and the jobs the matched items' rule hits opened (one per planted item).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from sqlalchemy import func, select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.match.bank_index import BANK_INDEXES
from bastion.match.hash_banks import create_hash_bank, import_hashes
from bastion.match.matching import banks_in_force, find_matches
from bastion.setup import initialise
from bastion.store.database import Database
from bastion.store.schema import ContentItem, Job

RULE = """
rules:
  - name: known-image
    mode: live
    when: 'signals.hash.known.hit'
    then:
      - enqueue: {queue: general, priority: 0.5}
"""


def near(rng: random.Random, hex_hash: str, bits: int) -> str:
    value = int(hex_hash, 16)
    for position in rng.sample(range(256), bits):
        value ^= 1 << position
    return f"{value:064x}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--hashes", type=int, default=1_000)
    parser.add_argument("--planted", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(5)
    clock = FrozenClock(datetime(2026, 11, 2, 9, tzinfo=UTC))
    folder = Path(tempfile.mkdtemp(prefix="bench-hash-banks-"))
    database = Database(f"sqlite:///{folder / 'bench.db'}")
    initialise(database, clock)
    new_hashes = [f"{rng.getrandbits(256):064x}" for _ in range(args.hashes)]
    planted = {f"c{n}": near(rng, new_hashes[n % args.hashes], rng.randint(0, 31)) for n in range(args.planted)}
    hashes = {f"c{n}": planted.get(f"c{n}") or f"{rng.getrandbits(256):064x}" for n in range(args.items)}
    with database.transaction() as session:
        create_hash_bank(session, "known", principal=SYSTEM.name, now=clock())
        load_rule_text(session, RULE, source="bench", principal=SYSTEM.name, now=clock())
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": "a1", "created_at": (clock() - timedelta(days=9)).isoformat()}],
            principal=SYSTEM.name,
            now=clock(),
        )
    ids = list(hashes)
    for start in range(0, len(ids), 5_000):
        with database.transaction() as session:
            items = [
                {
                    "id": i,
                    "actor_id": "a1",
                    "type": "image",
                    "created_at": clock().isoformat(),
                    "media": {"pdq": hashes[i]},
                }
                for i in ids[start : start + 5_000]
            ]
            ingest(session, IngestKind.CONTENT, items, principal=SYSTEM.name, now=clock())
    worker = DetectionWorker(database, detect_for_worker, clock, batch=500)
    while worker.run_once():
        pass
    clock.advance(timedelta(hours=1))

    began = time.perf_counter()
    with database.transaction() as session:
        done = import_hashes(session, "known", "\n".join(new_hashes), principal=SYSTEM.name, now=clock())
    ours_seconds = time.perf_counter() - began
    # The baseline, with the bank as ours left it: every stored image matched against the whole bank.
    with database.transaction() as session:
        banks = banks_in_force(session)
        BANK_INDEXES.index(session)  # caught up with the bank before the clock starts
        began = time.perf_counter()
        rows = session.execute(select(ContentItem.external_id, ContentItem.pk, ContentItem.media_pdq)).all()
        found = find_matches(session, {pk: bytes.fromhex(h) for _, pk, h in rows}, banks, clock())
        baseline_seconds = time.perf_counter() - began
        ids_of = {pk: external for external, pk, _ in rows}
        baseline_found = {ids_of[pk] for pk in found}
    with database.transaction() as session:
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.rule_id == "known-image")) or 0
    ok = baseline_found == set(planted) and done.retroactive_matches == len(planted) and jobs == len(planted)
    print(f"stored image posts {args.items:,}; new hashes {args.hashes:,}; planted near matches {len(planted):,}")
    print(f"{'way':<10}{'seconds':>10}{'matched':>10}")
    print(
        f"{'ours':<10}{ours_seconds:>10.2f}{done.retroactive_matches:>10,}   (import, retroactive match, rules, jobs)"
    )
    print(f"{'baseline':<10}{baseline_seconds:>10.2f}{len(baseline_found):>10,}   (matching every stored image only)")
    print(f"ratio baseline/ours: {baseline_seconds / ours_seconds:.2f}; jobs opened: {jobs:,}")
    print("PASS: both found exactly the planted items, one job each" if ok else "FAIL: the ways disagree")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
