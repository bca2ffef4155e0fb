"""What throttling costs a request made with an API key, side by side in one run.

"baseline": the key looked up in a transaction of its own, as before throttling (`authenticate_api_key`).
"ours": `use_api_key`, which also reads the address's recent failures in the same transaction.
Neither records `apikey.use` (a write request), so the difference is the throttle's read alone.
Rounds alternate between the two so that a busy machine slows both alike; the median round counts.

    .venv/bin/python bench/api_key_check.py                 # SQLite in a temporary folder
    .venv/bin/python bench/api_key_check.py --postgres      # a temporary PostgreSQL (needs initdb/pg_ctl)
    .venv/bin/python bench/api_key_check.py --requests 5000 --rounds 9
    .venv/bin/python bench/api_key_check.py --database-url postgresql+psycopg://user:pass@host/db
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import PostgresServer  # noqa: E402

from bastion.auth.apikeys import authenticate_api_key, create_api_key, use_api_key  # noqa: E402
from bastion.clock import system_clock  # noqa: E402
from bastion.domain.access import Role  # noqa: E402
from bastion.errors import Unauthenticated  # noqa: E402
from bastion.setup import initialise  # noqa: E402
from bastion.store.database import Database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per round and side")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", help="an empty store to use (default: SQLite in a temporary folder)")
    parser.add_argument("--postgres", action="store_true", help="start a temporary PostgreSQL server")
    args = parser.parse_args()
    if args.postgres:
        with PostgresServer() as server:
            server.create_database("bench")
            return run(server.url("bench"), args.requests, args.rounds)
    return run(args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}", args.requests, args.rounds)


def run(url: str, requests: int, rounds: int) -> int:
    database = Database(url)
    initialise(database, system_clock)
    with database.transaction() as session:
        secret = create_api_key(session, f"bench-{time.time_ns()}", now=system_clock(), role=Role.PLATFORM).secret

    def baseline() -> None:
        with database.transaction() as session:
            authenticate_api_key(session, secret, now=system_clock())

    def ours() -> None:
        use_api_key(database, secret, now=system_clock(), address="192.0.2.1", read_path=None)

    sides: dict[str, Callable[[], None]] = {"baseline": baseline, "ours": ours}
    timings: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, check in sides.items():
            started = time.perf_counter()
            for _ in range(requests):
                check()
            timings[name].append((time.perf_counter() - started) / requests * 1e6)
    # Both sides must have accepted the key and refused a wrong one.
    refused = 0
    for check in (lambda: authenticate_api_key_once(database), lambda: use_wrong_key(database)):
        try:
            check()
        except Unauthenticated:
            refused += 1
    print(f"{database.dialect}, {requests} requests x {rounds} rounds per side")
    print(f"{'side':<10}{'median µs/request':>20}{'rounds':>40}")
    for name, values in timings.items():
        rounds = " ".join(f"{v:.0f}" for v in values)
        print(f"{name:<10}{statistics.median(values):>20.0f}{rounds:>40}")
    ratio = statistics.median(timings["ours"]) / statistics.median(timings["baseline"])
    print(f"ours / baseline: {ratio:.2f}")
    print(f"wrong keys refused by both: {'PASS' if refused == 2 else 'FAIL'}")
    database.dispose()
    return 0 if refused == 2 else 1


def authenticate_api_key_once(database: Database) -> None:
    with database.transaction() as session:
        authenticate_api_key(session, "bst_wrong", now=system_clock())


def use_wrong_key(database: Database) -> None:
    use_api_key(database, "bst_wrong", now=system_clock(), address="192.0.2.2", read_path=None)


if __name__ == "__main__":
    sys.exit(main())
