"""Batch import through the ingest service: line numbers for bad rows, idempotent re-imports."""

from __future__ import annotations

import csv
import gc
import json
import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.subjects import IngestKind
from bastion.errors import InvalidInput
from bastion.ingest.batch import import_file
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem, Event, Report
from tests.support.peek import peek_count


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


ACTORS = [{"id": f"a{i}", "created_at": "2026-01-01T00:00:00Z", "country": "IN"} for i in range(5)]


def _content(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"c{i}",
        "actor_id": f"a{i % 5}",
        "type": "post",
        "text": f"text {i}",
        "created_at": "2026-01-02T00:00:00Z",
        **extra,
    }


def test_importing_twice_changes_nothing_and_bad_rows_have_line_numbers(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    import_file(
        database, _jsonl(tmp_path / "actors.jsonl", ACTORS), IngestKind.ACTORS, principal="system:test", clock=clock
    )
    rows: list[Any] = [_content(i) for i in range(2500)]
    rows[10] = _content(10, type="gif")
    rows[1700] = "{broken"
    rows[2400] = _content(2400, actor_id="ghost")
    path = _jsonl(tmp_path / "content.jsonl", rows)

    first = import_file(database, path, IngestKind.CONTENT, principal="system:test", clock=clock, chunk_size=1000)
    assert (first.rows, first.created, first.duplicates, first.rejected, first.error_count) == (2500, 2497, 0, 3, 3)
    assert [(e.line, e.path) for e in first.errors] == [(11, "type"), (1701, ""), (2401, "actor_id")]
    events_after_first = _count(database, Event)

    second = import_file(database, path, IngestKind.CONTENT, principal="system:test", clock=clock)
    assert (second.created, second.duplicates, second.error_count) == (0, 2497, 3)
    assert _count(database, ContentItem) == 2497
    assert _count(database, Event) == events_after_first


def test_csv_and_parquet_import_the_same_way(database: Database, clock: FrozenClock, tmp_path: Path) -> None:
    import_file(
        database, _jsonl(tmp_path / "actors.jsonl", ACTORS), IngestKind.ACTORS, principal="system:test", clock=clock
    )
    csv_path = tmp_path / "content.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "actor_id", "type", "text", "media.pdq", "created_at", "views"])
        writer.writerow(["c1", "a1", "image", "look", "f" * 64, "2026-01-02T00:00:00Z", "12"])
        writer.writerow(["c2", "a2", "post", "hi", "", "2026-01-02T00:00:00Z", "-1"])
    summary = import_file(database, csv_path, IngestKind.CONTENT, principal="system:test", clock=clock)
    assert (summary.created, summary.error_count) == (1, 1)
    assert (summary.errors[0].line, summary.errors[0].path) == (3, "views")

    parquet_path = tmp_path / "reports.parquet"
    table = pa.table(
        {
            "id": ["r1", "r2"],
            "target": [{"content_id": "c1"}, {"content_id": "c9"}],
            "reason": ["spam", "spam"],
            "created_at": ["2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z"],
        }
    )
    pq.write_table(table, parquet_path)
    reports = import_file(database, parquet_path, IngestKind.REPORTS, principal="system:test", clock=clock)
    assert (reports.created, reports.error_count) == (1, 1)
    assert (reports.errors[0].line, reports.errors[0].path) == (2, "target.content_id")
    with database.transaction() as session:
        assert session.scalar(select(Report.policy_id)) == "spam"


def test_a_crash_mid_file_keeps_whole_chunks_and_a_rerun_completes(
    database: Database, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(
        database, _jsonl(tmp_path / "actors.jsonl", ACTORS), IngestKind.ACTORS, principal="system:test", clock=clock
    )
    path = _jsonl(tmp_path / "content.jsonl", [_content(i) for i in range(250)])
    from bastion.ingest import service

    real_store = service.store_batch
    calls = {"n": 0}

    def crash_on_third_chunk(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        result = real_store(*args, **kwargs)  # the rows are written in the chunk's transaction...
        if calls["n"] == 3:
            raise KeyboardInterrupt  # ...and then the process is interrupted before it commits
        return result

    monkeypatch.setattr(service, "store_batch", crash_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        import_file(database, path, IngestKind.CONTENT, principal="system:test", clock=clock, chunk_size=100)
    assert _count(database, ContentItem) == 200  # two whole chunks, nothing of the third
    monkeypatch.setattr(service, "store_batch", real_store)
    assert not [t for t in threading.enumerate() if t.name == "bastion-import-reader"]
    rerun = import_file(database, path, IngestKind.CONTENT, principal="system:test", clock=clock, chunk_size=100)
    assert (rerun.created, rerun.duplicates) == (50, 200)
    assert _count(database, ContentItem) == 250


def test_a_killed_import_leaves_whole_chunks_with_their_events_and_audit_rows(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """The importing process is killed (SIGKILL) while its worker process validates ahead of the store."""
    import_file(
        database, _jsonl(tmp_path / "actors.jsonl", ACTORS), IngestKind.ACTORS, principal="system:test", clock=clock
    )
    rows, chunk = 100_000, 500  # enough that the import cannot finish between two looks at it
    path = _jsonl(tmp_path / "content.jsonl", [_content(i) for i in range(rows)])
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bastion.clock import system_clock\n"
        "from bastion.domain.subjects import IngestKind\n"
        "from bastion.ingest.batch import import_file\n"
        "from bastion.store.database import Database\n"
        "import_file(Database(sys.argv[1]), Path(sys.argv[2]), IngestKind.CONTENT, principal='system:test',"
        f" clock=system_clock, chunk_size={chunk})\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, database.url, str(path)])
    try:
        deadline = time.monotonic() + 120
        while peek_count(database.url, ContentItem) < 2 * chunk:
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        workers = _children(process.pid)
    finally:
        process.kill()
        process.wait()
    assert workers, "the import validates in a worker process"
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers):  # its next hand-over fails, and it ends
        assert time.monotonic() < deadline, "the worker outlived the killed import"
        time.sleep(0.05)
    stored = _count(database, ContentItem)
    assert stored < rows, "the import finished before it was killed; give it more rows"
    assert stored % chunk == 0
    with database.transaction() as session:
        assert session.scalar(select(func.count()).where(Event.kind == "content.created")) == stored
        assert session.scalar(select(func.count()).where(AuditRecord.action == "import.content")) == stored // chunk
        audit_log.verify(session)
    rerun = import_file(database, path, IngestKind.CONTENT, principal="system:test", clock=clock, chunk_size=chunk)
    assert (rerun.created, rerun.duplicates) == (rows - stored, stored)
    assert _count(database, Event) - len(ACTORS) == rows


def _children(pid: int) -> list[int]:
    """The child processes of `pid`, whichever of its threads started them."""
    return [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]


def _running(pid: int) -> bool:
    """True while `pid` runs (a zombie nobody has reaped yet has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("kind", [IngestKind.CONTENT, IngestKind.REPORTS])  # a worker process; a thread
def test_an_error_while_reading_ahead_is_raised_to_the_caller(
    database: Database, clock: FrozenClock, tmp_path: Path, kind: IngestKind
) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match=r"cannot read bad\.parquet") as raised:
        import_file(database, bad, kind, principal="system:test", clock=clock)
    assert raised.value.errors[0].path == "FILE"
    assert not [t for t in threading.enumerate() if t.name == "bastion-import-reader"]
    assert not multiprocessing.active_children()


def test_the_worker_process_ends_with_the_import(database: Database, clock: FrozenClock, tmp_path: Path) -> None:
    import_file(
        database, _jsonl(tmp_path / "actors.jsonl", ACTORS), IngestKind.ACTORS, principal="system:test", clock=clock
    )
    path = _jsonl(tmp_path / "content.jsonl", [_content(i) for i in range(300)])
    summary = import_file(database, path, IngestKind.CONTENT, principal="system:test", clock=clock, chunk_size=100)
    assert summary.created == 300
    assert not multiprocessing.active_children()


# Lines that pydantic's JSON parser refuses or that carry a NUL: read and validated again the usual
# way, they are refused with the same words as an item sent to the API.
BAD_LINES = [
    pytest.param(
        json.dumps(_content(0, text="a\x00b")), "", "text: must not contain the NUL character (\\u0000)", id="nul"
    ),
    pytest.param(
        json.dumps(_content(0, text="a\ud800b")),
        "text",
        "must be valid UTF-8 text",
        id="escaped-unpaired-surrogate",
    ),
    pytest.param(
        json.dumps(_content(0, text="SURROGATE"), ensure_ascii=False).replace("SURROGATE", "\ud800"),
        "text",
        "must be valid UTF-8 text",
        id="encoded-unpaired-surrogate",  # UTF-8 bytes of a surrogate: Python's JSON reader lets them through
    ),
    pytest.param(json.dumps(_content(0, views=True)), "views", "must be a whole number, not true or false", id="bool"),
    pytest.param(json.dumps(_content(0, colour="red")), "colour", "unknown field", id="unknown-field"),
    pytest.param(json.dumps([_content(0)]), "", "each line must be one JSON object", id="a-list"),
    pytest.param('{"id": "c0",', "", "not valid JSON: Expecting property name enclosed in double quotes", id="broken"),
]


@pytest.mark.parametrize(("line", "path", "message"), BAD_LINES)
def test_bad_lines_are_refused_in_the_usual_words(
    database: Database, clock: FrozenClock, tmp_path: Path, line: str, path: str, message: str
) -> None:
    import_file(
        database, _jsonl(tmp_path / "actors.jsonl", ACTORS), IngestKind.ACTORS, principal="system:test", clock=clock
    )
    source = tmp_path / "content.jsonl"
    lines = [
        (json.dumps(_content(1)) + "\n").encode(),
        line.encode("utf-8", "surrogatepass") + b"\n",
        (json.dumps(_content(2, text="a literal \\u0000 is text")) + "\n").encode(),
    ]
    source.write_bytes(b"".join(lines))
    summary = import_file(database, source, IngestKind.CONTENT, principal="system:test", clock=clock)
    assert (summary.created, summary.rejected) == (2, 1)
    assert [(e.line, e.path) for e in summary.errors] == [(2, path)]
    assert summary.errors[0].message.startswith(message)
    with database.transaction() as session:
        assert (
            session.scalar(select(ContentItem.text).where(ContentItem.external_id == "c2"))
            == "a literal \\u0000 is text"
        )


def test_the_cycle_collector_runs_less_often_only_while_importing() -> None:
    from bastion.ingest.batch import IMPORT_GC_THRESHOLD, _fewer_collections

    before = gc.get_threshold()
    with _fewer_collections():
        assert gc.get_threshold()[0] == IMPORT_GC_THRESHOLD
        with _fewer_collections():  # a second import at the same time
            pass
        assert gc.get_threshold()[0] == IMPORT_GC_THRESHOLD  # still importing
    assert gc.get_threshold() == before
    with pytest.raises(KeyboardInterrupt), _fewer_collections():
        raise KeyboardInterrupt
    assert gc.get_threshold() == before
