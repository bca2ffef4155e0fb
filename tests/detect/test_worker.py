"""`bastion worker`: a worker killed with SIGKILL mid-batch loses nothing and repeats nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.rule_store import load_rule_text
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.store.database import Database
from bastion.store.schema import DetectionQueueItem, DetectionVerdict, Job, RuleHit
from tests.conftest import START
from tests.plugins.slow_signals import FIELDS
from tests.support.peek import peek_count

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 50  # ten batches of a second each (the slow signal): time enough to kill the worker in one
BATCH = 5
LEASE_SECONDS = 5
RULES = """
rules:
  - name: every-item
    mode: live
    when: 'signals.slow.ready'
    then:
      - enqueue: {queue: general, priority: 0.5}
"""


def _count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _worker(database: Database, *arguments: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": database.url,
        "BASTION_PLUGINS": "tests.plugins.slow_signals",
    }
    command = [sys.executable, "-m", "bastion", "worker", "--batch", str(BATCH), "--lease-seconds", str(LEASE_SECONDS)]
    return subprocess.Popen([*command, *arguments], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def test_a_worker_killed_mid_batch_loses_nothing_and_acts_on_no_item_twice(
    database: Database, clock: FrozenClock
) -> None:
    with database.transaction() as session:
        load_rule_text(
            session, RULES, source="r.yaml", principal=SYSTEM.name, now=clock(), plugin_signals={"slow": FIELDS}
        )
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": START.isoformat()}], principal="t", now=clock())
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": f"c{i}", "actor_id": "a1", "type": "post", "text": f"post {i}", "created_at": START.isoformat()}
                for i in range(ITEMS)
            ],
            principal="t",
            now=clock(),
        )
    process = _worker(database)
    try:
        deadline = time.monotonic() + 120
        while peek_count(database.url, DetectionVerdict) < BATCH:
            assert process.poll() is None, "the worker stopped before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # into the next batch's pause
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    evaluated = _count(database, DetectionVerdict)
    assert evaluated < ITEMS, "the worker finished before it was killed; give it more items"
    assert evaluated % BATCH == 0, "a batch is evaluated whole or not at all"
    assert _count(database, DetectionQueueItem) == ITEMS - evaluated
    time.sleep(LEASE_SECONDS)  # the killed worker's lease runs out
    rerun = _worker(database, "--once")
    assert rerun.wait(timeout=120) == 0
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DetectionVerdict)) == ITEMS
        assert session.scalar(select(func.count()).select_from(DetectionQueueItem)) == 0
        assert session.scalar(select(func.count()).select_from(RuleHit)) == ITEMS
        assert session.scalar(select(func.count(func.distinct(RuleHit.content_pk)))) == ITEMS
        assert session.scalar(select(func.count()).select_from(Job)) == ITEMS
        assert session.scalar(select(func.count(func.distinct(Job.subject_pk)))) == ITEMS
