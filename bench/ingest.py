"""Ingest benchmark: Bastion's batch import of content against a plain `executemany`, side by side.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--actors 10000] [--database-url URL] [--postgres] [--keep]

The run generates a seeded JSONL file of content rows in the ingest API's shape (about one in ten rows
has no `language`, so language identification runs on those) and a file of actors, then imports the
content twice, each time into a fresh store with the same schema and the same actors already in it:

- **ours**: `bastion.ingest.batch.import_file`, the path `bastion import` and the API use: streaming
  read, pydantic validation, actor resolution, deduplication, language identification, one
  `content.created` event per row and one audit-log row per chunk (`IMPORT_CHUNK` rows), each chunk
  one transaction;
- **baseline**: read the same file line by line, `json.loads`, and `executemany` the rows into
  `content_items` with the bare DB-API driver in transactions of `IMPORT_CHUNK` rows; nothing else.

Each timed import runs in a subprocess of its own, so its peak memory is its own. Both stores are
checked afterwards (row counts, event counts, the audit chain, idempotent re-import), so a broken
import cannot pass for a fast one. Generation and store set-up are not timed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEAK_LIMIT_MB = 300.0
SLICE_ROWS = 1_000
SEED = 20261125
NO_LANGUAGE_SHARE = 0.10
NOISY_SHARE = 0.2  # of one CPU, used by other processes during a SQLite phase
PG_DATABASES = ("bastion_bench_ours", "bastion_bench_baseline")
# For --postgres: a throwaway server, but with the durability a real one has (the test defaults turn it off).
PG_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "shared_buffers": "128MB"}

# ------------------------------------------------------------------------------------ the data

PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "just got back from the market and the prices are wild",
        "does anyone know a good place to fix a bike around here",
        "this is the best thing I have read all week",
        "honestly I cannot believe they let this happen again",
        "selling my old phone, barely used, message me for details",
        "the new update broke everything on my account",
        "happy birthday to my little brother, love you",
        "we need to talk about how people treat each other online",
        "check out the photos from our trip to the mountains",
        "why does nobody answer customer support anymore",
        "the game last night was unbelievable",
        "I think the council should listen to the neighbourhood",
    ),
    "es": (
        "acabo de volver del mercado y los precios están por las nubes",
        "alguien sabe dónde arreglan bicicletas por aquí",
        "esto es lo mejor que he leído en toda la semana",
        "vendo mi teléfono viejo, casi sin uso, escríbeme",
        "la nueva actualización rompió todo en mi cuenta",
        "feliz cumpleaños a mi hermano pequeño, te quiero",
        "tenemos que hablar de cómo nos tratamos en internet",
        "mirad las fotos de nuestro viaje a la montaña",
    ),
    "pt": (
        "acabei de voltar da feira e os preços estão absurdos",
        "alguém conhece um bom lugar para consertar bicicleta aqui perto",
        "vendo meu celular antigo, quase sem uso, me chama",
        "a nova atualização estragou tudo na minha conta",
        "feliz aniversário para o meu irmão mais novo",
        "precisamos falar sobre como as pessoas se tratam na internet",
        "olha as fotos da nossa viagem para as montanhas",
    ),
    "fr": (
        "je reviens du marché et les prix sont devenus fous",
        "quelqu'un connaît un bon réparateur de vélos dans le coin",
        "c'est la meilleure chose que j'ai lue de la semaine",
        "je vends mon ancien téléphone, presque neuf, écrivez-moi",
        "la nouvelle mise à jour a tout cassé sur mon compte",
        "joyeux anniversaire à mon petit frère, je t'aime",
        "il faut parler de la façon dont les gens se traitent en ligne",
    ),
    "de": (
        "ich komme gerade vom Markt und die Preise sind verrückt",
        "kennt jemand eine gute Fahrradwerkstatt in der Nähe",
        "das ist das Beste, was ich diese Woche gelesen habe",
        "verkaufe mein altes Handy, kaum benutzt, schreibt mir",
        "das neue Update hat alles an meinem Konto kaputt gemacht",
        "wir müssen darüber reden, wie Menschen online miteinander umgehen",
    ),
    "it": (
        "sono appena tornato dal mercato e i prezzi sono pazzeschi",
        "qualcuno conosce un buon posto per riparare la bici qui vicino",
        "vendo il mio vecchio telefono, quasi nuovo, scrivetemi",
        "il nuovo aggiornamento ha rovinato tutto sul mio account",
        "buon compleanno al mio fratellino, ti voglio bene",
    ),
    "id": (
        "baru pulang dari pasar dan harganya naik gila gilaan",
        "ada yang tahu tempat servis sepeda yang bagus di sekitar sini",
        "jual hp lama saya, jarang dipakai, hubungi saya",
        "pembaruan terbaru merusak semua yang ada di akun saya",
        "selamat ulang tahun adikku, sayang kamu",
    ),
}
LANGUAGE_WEIGHTS = {"en": 45, "es": 15, "pt": 10, "fr": 10, "de": 8, "it": 6, "id": 6}
COUNTRIES = {
    "en": ("US", "GB", "IN", "NG", "AU", "CA"),
    "es": ("ES", "MX", "AR", "CO"),
    "pt": ("BR", "PT"),
    "fr": ("FR", "BE", "SN", "CA"),
    "de": ("DE", "AT", "CH"),
    "it": ("IT", "CH"),
    "id": ("ID",),
}
TYPES = ("post", "comment", "message", "listing", "profile")
TYPE_WEIGHTS = (40, 35, 15, 8, 2)
SURFACES = ("feed", "comments", "messages", "marketplace", "groups")
EXTRAS = ("!", "?", " :)", " 🙂", " #weekend", " #help", " @friend", " https://example.com/p/{n}", " (edited)")
EPOCH = datetime(2026, 8, 1, tzinfo=UTC)


def _text(rng: random.Random, language: str, n: int) -> str:
    target = rng.randint(50, 300)
    phrases = PHRASES[language]
    parts: list[str] = []
    length = 0
    while length < target:
        phrase = rng.choice(phrases)
        if rng.random() < 0.25:
            phrase += rng.choice(EXTRAS).format(n=n)
        parts.append(phrase)
        length += len(phrase) + 2
    text = ". ".join(parts)
    if len(text) > 300:
        text = text[:300].rsplit(" ", 1)[0]
    return text[0].upper() + text[1:]


def _moment(rng: random.Random, days: int) -> str:
    return (EPOCH + timedelta(seconds=rng.randrange(days * 86_400))).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Dataset:
    actors: Path
    content: Path
    slice: Path
    rows: int
    without_language: int
    size_bytes: int


def generate(folder: Path, rows: int, actors: int, seed: int = SEED) -> Dataset:
    """Write actors.jsonl, content.jsonl and a slice of the content's first rows; same seed, same bytes."""
    rng = random.Random(seed)
    languages = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    actor_language = [rng.choices(languages, weights)[0] for _ in range(actors)]
    actors_path = folder / "actors.jsonl"
    with actors_path.open("w", encoding="utf-8") as out:
        for number, language in enumerate(actor_language):
            actor = {
                "id": f"actor-{number:07d}",
                "created_at": (EPOCH - timedelta(days=1 + rng.randrange(2_000))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "country": rng.choice(COUNTRIES[language]),
                "language": language,
            }
            out.write(json.dumps(actor, ensure_ascii=False) + "\n")
    content_path = folder / "content.jsonl"
    without_language = 0
    with content_path.open("w", encoding="utf-8") as out:
        for number in range(rows):
            author = int(actors * rng.random() ** 2)  # a few prolific actors, a long tail of quiet ones
            language = actor_language[author] if rng.random() < 0.9 else rng.choices(languages, weights)[0]
            item: dict[str, Any] = {
                "id": f"content-{number:09d}",
                "actor_id": f"actor-{author:07d}",
                "type": rng.choices(TYPES, TYPE_WEIGHTS)[0],
                "text": _text(rng, language, number),
                "language": language,
                "country": rng.choice(COUNTRIES[language]),
                "surface": rng.choice(SURFACES),
                "created_at": _moment(rng, 90),
                "views": int(rng.expovariate(1 / 200)),
            }
            if rng.random() < NO_LANGUAGE_SHARE:
                del item["language"]
                without_language += 1
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    slice_path = folder / "content-slice.jsonl"
    with content_path.open("rb") as source, slice_path.open("wb") as out:
        for _ in range(min(SLICE_ROWS, rows)):
            out.write(source.readline())
    return Dataset(actors_path, content_path, slice_path, rows, without_language, content_path.stat().st_size)


# ------------------------------------------------------------------------------------ memory


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - read on a hot path, keep it bare
        return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


class Measured:
    """Times a block: wall and CPU seconds, peak memory, and how busy the rest of the machine was.

    Resident memory is sampled every `interval` seconds in a thread, for the rise during the block;
    the peak of the whole process is the kernel's high-water mark, which misses nothing.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.result: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._start_kib = self._peak_kib = _rss_kib()

    def __enter__(self) -> Measured:
        self._thread.start()
        self._wall, self._cpu, self._others = time.perf_counter(), _cpu_seconds(), _other_processes_ticks()
        self._children = _cpu_seconds(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *_exc: object) -> None:
        wall, cpu, others = time.perf_counter(), _cpu_seconds(), _other_processes_ticks()
        self._stop.set()
        self._thread.join()
        self._peak_kib = max(self._peak_kib, _rss_kib())
        self.result = {
            "seconds": wall - self._wall,
            "cpu_seconds": cpu - self._cpu,
            "worker_cpu_seconds": _cpu_seconds(resource.RUSAGE_CHILDREN) - self._children,
            "other_cpu_seconds": sum(t - self._others.get(pid, 0) for pid, t in others.items())
            / os.sysconf("SC_CLK_TCK"),
            # VmHWM is the peak RSS of this process's own address space (not ru_maxrss: Linux carries
            # that across exec, so a subprocess's starts at its parent's size at fork).
            "peak_rss_mb": _status_kib("VmHWM") / 1024,
            # The largest child's peak (Linux: kibibytes), pages it shares with its parent since the fork included.
            "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "phase_increase_mb": (self._peak_kib - self._start_kib) / 1024,
        }

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak_kib = max(self._peak_kib, _rss_kib())


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _cpu_seconds(*whose: int) -> float:
    """User+system time of this process and of its children that have ended (the import's worker
    process), or of those `whose` names (`resource.RUSAGE_SELF`, `resource.RUSAGE_CHILDREN`)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, whose or (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _other_processes_ticks() -> dict[int, int]:
    """{pid: user+system clock ticks} of every user-space process but this one (kernel threads left out)."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if not (entry / "cmdline").read_bytes():
                continue  # a kernel thread: its work (writeback, I/O) is partly done for us
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    return ticks


def _progress(label: str, done: int, total: int, state: dict[str, int]) -> None:
    tenth = done * 10 // max(total, 1)
    if tenth > state.get("tenth", 0):
        state["tenth"] = tenth
        print(f"  {label}: {tenth * 10}%", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ the phases


def phase_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """The timed import through Bastion, then checks that it stored what it should have."""
    from sqlalchemy import func, select

    from bastion import audit_log
    from bastion.auth.principal import SYSTEM
    from bastion.clock import system_clock
    from bastion.domain.events import EventKind
    from bastion.domain.subjects import IngestKind
    from bastion.ingest.batch import IMPORT_CHUNK, import_file
    from bastion.ingest.readers import ProgressSink
    from bastion.store.database import Database
    from bastion.store.schema import AuditRecord, ContentItem, Event

    class Progress(ProgressSink):
        state: dict[str, int] = {}  # noqa: RUF012

        def advance(self, done: int) -> None:
            _progress("ours", done, self.total, self.state)

    database = Database(spec["url"])
    content = Path(spec["content"])
    with Measured() as measured:
        summary = import_file(
            database, content, IngestKind.CONTENT, principal=SYSTEM.name, clock=system_clock, progress=Progress()
        )
    result: dict[str, Any] = dict(measured.result)

    with database.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(ContentItem))
        events = session.scalar(select(func.count()).where(Event.kind == EventKind.CONTENT_CREATED.value))
        detected = session.scalar(select(func.count()).where(ContentItem.language_detected.is_(True)))
        undetected = session.scalar(select(func.count()).where(ContentItem.language.is_(None)))
        audit_rows = session.scalar(select(func.count()).where(AuditRecord.action == "import.content"))
        chain = audit_log.verify(session)
    again = import_file(database, Path(spec["slice"]), IngestKind.CONTENT, principal=SYSTEM.name, clock=system_clock)
    database.dispose()
    rows = spec["rows"]
    chunks = -(-rows // IMPORT_CHUNK)
    checks = {
        f"import reported {rows:,} created, 0 errors": summary.created == rows and summary.error_count == 0,
        f"content_items holds {rows:,} rows": stored == rows,
        f"{rows:,} content.created events": events == rows,
        f"{chunks:,} import.content audit rows, chain intact ({chain.rows:,} rows)": audit_rows == chunks,
        f"re-import of {again.rows:,} rows: all duplicates": again.created == 0
        and again.error_count == 0
        and again.duplicates == again.rows,
    }
    result.update(
        rows=summary.created,
        checks=checks,
        language_detected=detected,
        language_unknown=undetected,
        errors=[f"line {e.line}: {e.path} {e.message}" for e in summary.errors[:5]],
    )
    return result


def phase_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """The timed floor: json.loads and a bare executemany per chunk of rows, into the same schema."""
    if spec["driver"] == "sqlite3":
        import sqlite3

        connection: Any = sqlite3.connect(spec["target"], isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=30000"):
            connection.execute(f"PRAGMA {pragma}")  # the same settings Bastion's engine uses
        placeholder = "?"
        integrity_error: type[Exception] = sqlite3.IntegrityError
        received_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        import psycopg

        connection = psycopg.connect(spec["target"], autocommit=True)
        placeholder, integrity_error = "%s", psycopg.errors.UniqueViolation
        received_at = datetime.now(UTC).isoformat()

    columns = (
        "external_id, actor_pk, type, text, language, language_detected, country, surface, created_at, views,"
        " received_at"
    )
    insert = f"INSERT INTO content_items ({columns}) VALUES ({', '.join([placeholder] * 11)})"
    sqlite = spec["driver"] == "sqlite3"

    def begin() -> None:
        connection.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")

    def load(path: Path, progress: bool) -> int:
        actors = dict(connection.execute("SELECT external_id, pk FROM actors").fetchall())
        total, stored, position = path.stat().st_size, 0, 0
        state: dict[str, int] = {}
        chunk: list[tuple[Any, ...]] = []
        with path.open("rb") as handle:
            for raw in handle:
                position += len(raw)
                item = json.loads(raw)
                chunk.append(
                    (
                        item["id"],
                        actors[item["actor_id"]],
                        item["type"],
                        item.get("text"),
                        item.get("language"),
                        False,
                        item.get("country"),
                        item.get("surface"),
                        item["created_at"],
                        item.get("views", 0),
                        received_at,
                    )
                )
                if len(chunk) == spec["chunk"]:
                    begin()
                    connection.cursor().executemany(insert, chunk)
                    connection.execute("COMMIT")
                    stored += len(chunk)
                    chunk = []
                    if progress:
                        _progress("baseline", position, total, state)
        if chunk:
            begin()
            connection.cursor().executemany(insert, chunk)
            connection.execute("COMMIT")
            stored += len(chunk)
        return stored

    with Measured() as measured:
        inserted = load(Path(spec["content"]), progress=True)
    result: dict[str, Any] = dict(measured.result)

    stored = connection.execute("SELECT count(*) FROM content_items").fetchone()[0]
    first = json.loads(Path(spec["slice"]).read_text(encoding="utf-8").splitlines()[0])
    try:
        connection.execute(
            insert,
            (first["id"], 1, "post", None, None, False, None, None, first["created_at"], 0, received_at),
        )
        refused = False
    except integrity_error:
        refused = True
    connection.close()
    rows = spec["rows"]
    result.update(
        rows=inserted,
        checks={
            f"content_items holds {rows:,} rows": stored == rows == inserted,
            "re-import refused by the unique key (a bare INSERT is not idempotent)": refused,
        },
    )
    return result


PHASES = {"ours": phase_ours, "baseline": phase_baseline}


def run_phase(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one timed phase in a fresh interpreter; its last stdout line is the JSON result."""
    print(f"{name}: importing {spec['rows']:,} rows …", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--phase", name],
        input=json.dumps(spec),  # on stdin, not argv: a connection string may hold a password
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {name} phase failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------------------------ the stores


@dataclass(frozen=True)
class Store:
    url: str  # SQLAlchemy URL, for Bastion
    driver: str  # "sqlite3" or "psycopg", for the baseline
    target: str  # a file path (sqlite3) or a libpq connection string (psycopg)


def prepare(store: Store, actors: Path) -> None:
    """A fresh store with Bastion's schema, default policies and the actors; not timed."""
    from bastion.auth.principal import SYSTEM
    from bastion.clock import system_clock
    from bastion.domain.subjects import IngestKind
    from bastion.ingest.batch import import_file
    from bastion.setup import initialise
    from bastion.store.database import Database

    database = Database(store.url)
    try:
        initialise(database, system_clock)
        summary = import_file(database, actors, IngestKind.ACTORS, principal=SYSTEM.name, clock=system_clock)
        if summary.error_count:
            raise SystemExit(f"actors did not import: {summary.errors[:3]}")
    finally:
        database.dispose()


@contextlib.contextmanager
def stores(url: str | None, postgres: bool, folder: Path, keep: bool) -> Iterator[tuple[Store, Store]]:
    if postgres:
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import PostgresServer

        with PostgresServer(settings=PG_SETTINGS) as server:
            with _postgres_stores(server.url("postgres"), keep) as pair:
                yield pair
            if keep:
                print("--keep has no effect with --postgres: the server is temporary", file=sys.stderr)
        return
    if url is None or url.startswith("sqlite"):
        pair = _sqlite_stores(url, folder)
        try:
            yield pair
        finally:
            if url is not None and not keep:  # stores beside a file the user named; the folder goes anyway
                for store in pair:
                    for suffix in ("", "-wal", "-shm"):
                        Path(store.target + suffix).unlink(missing_ok=True)
        return
    if url.startswith("postgresql"):
        with _postgres_stores(url, keep) as pair:
            yield pair
        return
    raise SystemExit(f"unsupported database URL {url!r}: use sqlite:///… or postgresql+psycopg://…")


def _sqlite_stores(url: str | None, folder: Path) -> tuple[Store, Store]:
    base = folder / "bench.db"
    if url is not None:
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if not database or database == ":memory:":
            raise SystemExit("give a SQLite file: sqlite:///path/bench.db (two stores are made beside it)")
        base = Path(database).resolve()
    pair = []
    for name in ("ours", "baseline"):
        path = base.with_name(f"{base.stem}-{name}{base.suffix}")
        if path.exists():
            raise SystemExit(f"{path} exists; the benchmark needs fresh stores")
        pair.append(Store(f"sqlite:///{path}", "sqlite3", str(path)))
    return pair[0], pair[1]


@contextlib.contextmanager
def _postgres_stores(url: str, keep: bool) -> Iterator[tuple[Store, Store]]:
    """Two fresh databases on the server `url` names, dropped afterwards unless kept."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql")

    def execute(statement: sql.Composed) -> None:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
            connection.execute(statement)

    for name in PG_DATABASES:
        execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    ours, baseline = (admin.set(database=name) for name in PG_DATABASES)
    try:
        yield (
            Store(
                ours.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
                "psycopg",
                ours.render_as_string(hide_password=False),
            ),
            Store(
                baseline.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
                "psycopg",
                baseline.render_as_string(hide_password=False),
            ),
        )
    finally:
        if not keep:
            for name in PG_DATABASES:
                execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# ------------------------------------------------------------------------------------ the report


def _server_version(store: Store) -> str:
    if store.driver == "sqlite3":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    with psycopg.connect(store.target) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def _revision() -> str:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"commit {commit}" + (" + uncommitted changes in src/" if dirty else "")


def report(data: Dataset, backend: str, ours: dict[str, Any], baseline: dict[str, Any]) -> bool:
    from bastion.ingest.batch import IMPORT_CHUNK

    rows = data.rows
    print()
    print(f"Bastion ingest benchmark · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {os.cpu_count()} CPUs · {platform.machine()} · Python {platform.python_version()} · {backend}")
    print(f"code: {_revision()}")
    print(
        f"data: {rows:,} content rows ({data.size_bytes / 1e6:,.0f} MB of JSONL, texts of 50–300 chars in"
        f" {len(LANGUAGE_WEIGHTS)} languages); {data.without_language:,} rows"
        f" ({data.without_language / max(rows, 1):.1%}) have no language, so language identification runs on them"
    )
    print()
    header = (
        f"{'':<10}{'rows':>11}{'seconds':>9}{'rows/s':>9}{'CPU s':>8}{'rows/CPU s':>12}{'other CPU s':>13}"
        f"{'peak RSS MB':>13}{'RSS rise MB':>13}"
    )
    print(header)
    print("-" * len(header))
    for name, result in (("ours", ours), ("baseline", baseline)):
        rate = result["rows"] / result["seconds"]
        print(
            f"{name:<10}{result['rows']:>11,}{result['seconds']:>9.1f}{rate:>9,.0f}{result['cpu_seconds']:>8.1f}"
            f"{result['rows'] / result['cpu_seconds']:>12,.0f}{result['other_cpu_seconds']:>13.1f}"
            f"{result['peak_rss_mb']:>13.1f}{result['phase_increase_mb']:>13.1f}"
        )
    ratio = (ours["rows"] / ours["seconds"]) / (baseline["rows"] / baseline["seconds"])
    print()
    print(f"throughput, ours / baseline: {ratio:.2f}  (baseline is {1 / ratio:.1f}x faster)")
    print(
        "peak RSS: the phase subprocess's high-water mark (VmHWM, imports included); RSS rise: sampled peak"
        " during the timed import minus the RSS just before it; CPU s: the importing process's user+system"
        " time, its worker process included (rows/CPU s is the least sensitive to a busy machine); other CPU s:"
        " the rest of the machine"
        " meanwhile (user-space processes, a database server included)"
    )
    if backend.startswith("SQLite"):
        for name, result in (("ours", ours), ("baseline", baseline)):
            share = result["other_cpu_seconds"] / result["seconds"]
            if share > NOISY_SHARE:
                print(f"warning: other processes kept {share:.0%} of a CPU busy during {name}; its figures are noisy")
    print(
        "ours does, and the baseline does not: pydantic validation of every field, actor resolution with an"
        " error per unknown actor, deduplication (ON CONFLICT DO NOTHING), language identification"
        f" on {ours['language_detected']:,} rows without a language ({ours['language_unknown']:,} left unknown),"
        f" {rows:,} content.created events, one hash-chained audit row per {IMPORT_CHUNK:,}-row chunk, per-line error"
        " reports"
    )
    if ours.get("worker_cpu_seconds"):
        worker = ours["worker_cpu_seconds"]
        print(
            f"ours' CPU s by process: importing {ours['cpu_seconds'] - worker:.1f}"
            f" ({(ours['cpu_seconds'] - worker) / rows * 1e6:.0f} µs per row), worker {worker:.1f}"
            f" ({worker / rows * 1e6:.0f} µs per row); the baseline's"
            f" {baseline['cpu_seconds'] / rows * 1e6:.0f} µs per row"
        )
    if ours.get("worker_peak_rss_mb"):
        print(
            f"ours' worker process (reading and validation): peak RSS {ours['worker_peak_rss_mb']:.1f} MB, pages"
            " shared with the importing process since the fork included; not in the table's peak"
        )
    passed = ours["peak_rss_mb"] < PEAK_LIMIT_MB
    print()
    print(
        f"{'PASS' if passed else 'FAIL'}: peak memory of ours {ours['peak_rss_mb']:.1f} MB"
        f" {'<' if passed else '>='} {PEAK_LIMIT_MB:.0f} MB"
    )
    all_checks = True
    for name, result in (("ours", ours), ("baseline", baseline)):
        for check, ok in result["checks"].items():
            all_checks &= ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {check}")
        for error in result.get("errors", []):
            print(f"     {name}: {error}")
    return passed and all_checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="content rows to import (default 1,000,000)")
    parser.add_argument("--actors", type=int, default=10_000, help="actors the content refers to (default 10,000)")
    parser.add_argument("--database-url", help="sqlite:///path/bench.db or postgresql+psycopg://user@host/db")
    parser.add_argument("--postgres", action="store_true", help="start a temporary PostgreSQL server and use it")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and stores, print where")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        print(json.dumps(PHASES[args.phase](json.loads(sys.stdin.read()))))
        return 0
    if args.rows < 1 or args.actors < 1:
        parser.error("--rows and --actors must be positive")

    from sqlalchemy.engine import make_url

    from bastion.ingest.batch import IMPORT_CHUNK  # after the phases: the baseline's memory must not include it

    folder = Path(tempfile.mkdtemp(prefix="bastion-bench-ingest-"))
    try:
        print(f"generating {args.rows:,} content rows and {args.actors:,} actors in {folder} …", file=sys.stderr)
        data = generate(folder, args.rows, args.actors)
        with stores(args.database_url, args.postgres, folder, args.keep) as (ours_store, baseline_store):
            print("preparing two fresh stores (schema, policies, actors) …", file=sys.stderr)
            prepare(ours_store, data.actors)
            prepare(baseline_store, data.actors)
            # The baseline commits as often as the import does: every IMPORT_CHUNK rows.
            common = {"content": str(data.content), "slice": str(data.slice), "rows": data.rows, "chunk": IMPORT_CHUNK}
            ours = run_phase("ours", {**common, "url": ours_store.url})
            baseline = run_phase(
                "baseline", {**common, "driver": baseline_store.driver, "target": baseline_store.target}
            )
            backend = _server_version(ours_store)
            if args.keep:
                shown = [make_url(s.url).render_as_string(hide_password=True) for s in (ours_store, baseline_store)]
                print(f"kept stores: {shown[0]} and {shown[1]}", file=sys.stderr)
        ok = report(data, backend, ours, baseline)
    finally:
        if args.keep:
            print(f"kept data: {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
