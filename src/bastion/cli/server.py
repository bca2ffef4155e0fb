"""`bastion init`, `serve` and `demo`."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from bastion.cli.console import console, open_database, open_store
from bastion.clock import system_clock
from bastion.config import Settings, settings
from bastion.demo import DEMO_FOLDER, check_port_free, populate_demo, prepare_demo_users
from bastion.detect.worker import DetectionThread
from bastion.review.webhooks import DeliveryWorker, webhook_target
from bastion.setup import initialise
from bastion.store.database import Database


def init() -> None:
    """Create or upgrade the database and load the default policies.

    Safe to run again: an up-to-date store is left as it is, and policies an admin loaded are kept.
    """
    database = open_store()
    report = initialise(database, system_clock)
    state = (
        "created"
        if report.revision_before is None
        else ("upgraded" if report.revision_before != report.revision_after else "already up to date")
    )
    console.print(f"database {state} (schema {report.revision_after}) on {database.dialect}")
    if report.policies_loaded:
        console.print(f"loaded the default taxonomy: {report.policies_loaded} policies")


def serve(
    host: str = typer.Option("127.0.0.1", metavar="ADDRESS", help="Address to listen on."),
    port: int = typer.Option(8000, metavar="PORT", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1, metavar="N", min=1, max=64, help="API worker processes; one per CPU lets Python use every core."
    ),
) -> None:
    """Serve the API and the web UI."""
    _serve(open_database(), settings(), host, port, workers)


def _serve(database: Database, config: Settings, host: str, port: int, workers: int = 1) -> None:
    # The web stack is imported here, not with the command line: other commands never need it.
    import uvicorn

    from bastion.assembly import create_app
    from bastion.http.context import AppContext
    from bastion.quality.golden_serving import GoldenServingThread

    worker = None
    if config.webhook_url:
        # One delivery thread, in this process, however many API workers there are.
        worker = DeliveryWorker(database, webhook_target(config), clock=system_clock)
        worker.start()
        console.print(f"delivering enforcement webhooks to [bold]{escape(worker.target.origin)}[/]")
    check_port_free(host, port)
    detection = None
    if config.detection_worker:
        # One detection thread, in this process, however many API workers there are.
        detection = DetectionThread(database, system_clock)
        detection.start()
    # Golden jobs are served with the inflow, in this process (quality/golden_serving.py).
    golden = GoldenServingThread(database, system_clock)
    golden.start()
    processes = f" with {workers} worker processes" if workers > 1 else ""
    console.print(f"Bastion is serving at [bold]http://{host}:{port}[/]{processes} (Ctrl+C to stop)")
    try:
        if workers > 1:
            # Each worker process builds its own app, engine and pool from the same settings.
            uvicorn.run(
                "bastion.assembly:app_from_settings",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
            )
        else:
            app = create_app(AppContext(database=database, settings=config, clock=system_clock))
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if worker is not None:
            worker.stop()
        if detection is not None:
            detection.stop()
        golden.stop()


def demo(
    folder: Path = typer.Option(Path(DEMO_FOLDER), metavar="FOLDER", help="Where the demo keeps its database."),
    host: str = typer.Option("127.0.0.1", metavar="ADDRESS", help="Address to listen on."),
    port: int = typer.Option(8000, metavar="PORT", min=1, max=65535, help="Port to listen on."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Prepare the demo, print the logins, and stop."),
) -> None:
    """Run a demo: sample data, a login for every role, and the web UI.

    The first run simulates two weeks of a small platform into FOLDER; later runs reuse it. Every run
    prints fresh passwords.
    """
    if not no_serve:
        check_port_free(host, port)  # before a minute of simulation, not after
    folder.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BASTION_DATABASE_URL") or f"sqlite:///{(folder / 'bastion.db').resolve()}"
    config = Settings(database_url=url)
    database = Database(url)
    report = initialise(database, system_clock)
    fresh = report.revision_before is None
    console.print(f"{'created' if fresh else 'reusing'} the demo database in {folder}/")
    with console.status("simulating a platform: two weeks of posts, views, reports, reviews and appeals…"):
        simulated = populate_demo(database, system_clock)
    if simulated is not None:
        written = ", ".join(f"{count:,} {kind}" for kind, count in simulated.written.items())
        console.print(f"simulated two weeks of activity: {written}")
        console.print(simulated.review.describe())
        console.print(simulated.detection.describe())
        for said in (simulated.model, simulated.prevalence, simulated.trends, simulated.cases):
            if said:
                console.print(said, markup=False)
    logins = prepare_demo_users(database, system_clock)
    table = Table("user", "role", "password", title="Demo logins (new passwords on every start)")
    for login in logins:
        table.add_row(login.name, login.role.value, login.password)
    console.print(table)
    if not no_serve:
        _serve(database, config, host, port)
