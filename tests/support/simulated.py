"""Simulated stores shared by the whole test session: each seed's default simulation (small, 14 days,
the reference detection rules in force, the workforce at work) is written and reviewed once, into a
cache every pytest-xdist worker sees, and each test gets its own copy of the file.

Building one takes a minute or more; the quality report, the trends scan and the recommendations all
check their planted truths on the same seeds, so they share the build instead of repeating it.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.reference import install_reference
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.simulate.reviewing import write_and_review
from bastion.store.database import Database


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another worker building the same seed: wait for it
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def simulated_copy(cache: Path, seed: int, into: Path) -> dict[str, Any]:
    """Copy the simulated store of `seed` to the SQLite file `into` (building it first if no worker has
    yet); its truth file, as JSON (times as ISO text)."""
    cache.mkdir(parents=True, exist_ok=True)
    built, truth_file = cache / f"seed{seed}.db", cache / f"seed{seed}.truth.json"
    with _locked(cache / f"seed{seed}.lock"):
        if not truth_file.exists():
            building = cache / f"seed{seed}.building.db"
            building.unlink(missing_ok=True)
            world = World(SimulationSpec(seed=seed))
            database = Database(f"sqlite:///{building}")
            initialise(database, FrozenClock(world.spec.start))
            with database.transaction() as session:
                install_reference(session, principal=SYSTEM.name, now=world.spec.start)
            write_and_review(database, world)
            database.dispose()
            building.replace(built)
            truth_file.write_text(json.dumps(world.truth(), default=str), encoding="utf-8")
    shutil.copyfile(built, into)
    truth: dict[str, Any] = json.loads(truth_file.read_text(encoding="utf-8"))
    return truth
