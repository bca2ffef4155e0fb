"""`bastion worker`: run detection on queued content items until stopped (Ctrl+C or SIGTERM)."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from types import FrameType

import typer

from bastion.cli.console import console, open_database
from bastion.clock import system_clock
from bastion.detect.worker import DEFAULT_BATCH, DEFAULT_LEASE, DetectionWorker, queue_depth


def worker(
    batch: int = typer.Option(
        DEFAULT_BATCH, metavar="N", min=1, max=10_000, help="Items taken from the queue at a time."
    ),
    lease_seconds: int = typer.Option(
        int(DEFAULT_LEASE.total_seconds()),
        metavar="SECONDS",
        min=5,
        max=24 * 3600,
        help="How long a taken batch is held before another worker may take it again.",
    ),
    once: bool = typer.Option(False, "--once", help="Stop when the queue has nothing ready instead of waiting."),
) -> None:
    """Run detection on the queued content items: rules, banks, velocity and labels, exactly once per item.

    Run as many workers as you like, on one machine or several: each takes its own batches.
    """
    from bastion.detect.service import detect_for_worker

    database = open_database()
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with database.transaction() as session:
        waiting = queue_depth(session)
    console.print(f"detection worker: {waiting:,} items waiting" + ("" if once else " (Ctrl+C to stop)"))
    runner = DetectionWorker(
        database, detect_for_worker, system_clock, batch=batch, lease=timedelta(seconds=lease_seconds)
    )
    stats = runner.run(stop, once=once)
    console.print(
        f"evaluated {stats.evaluated:,} items in {stats.batches:,} batches: {stats.hits:,} rule hits"
        + (f", {stats.set_aside:,} set aside after repeated failures" if stats.set_aside else "")
    )
