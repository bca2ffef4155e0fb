"""`bastion case`: investigations' cases: open, list, show, note, status, flag, task, done, owner, watch, link,
export, verify, refer.

The commands act as `system:bastion` (an admin), as every command does; the services record each change and
each view in the audit log. Bad input exits 2 with the field named; a refused move or a package that does
not verify exits 1.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import EXIT_FAILED, choices, console, errors, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.domain.investigate import CaseStatus, LinkKind
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.history import history_line

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

case_app = typer.Typer(
    help="Cases: investigations of escalations, networks and real-world threats, and their evidence.",
    no_args_is_help=True,
)

STATUSES = choices(CaseStatus)
CASE = typer.Argument(..., metavar="ID", min=1, help="The case's number.", show_default=False)
LIST_COLUMNS = (
    Column("id", numeric=True),
    Column("threat"),
    Column("severity"),
    Column("status"),
    Column("title"),
    Column("owner"),
    Column("source"),
    Column("opened_at"),
    Column("respond_by"),
)


class ShowFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@case_app.command("open")
def open_command(
    title: str = typer.Option(..., "--title", metavar="TEXT", help="What the case is about, in a line."),
    severity: int = typer.Option(..., "--severity", metavar="1-4", help="SEV1 (imminent harm) to SEV4 (a lead)."),
    threat: bool = typer.Option(False, "--threat", help="A real-world threat: to the top, and the on-call is paged."),
    owner: str | None = typer.Option(None, "--owner", metavar="USER", help="Who leads the case."),
    from_job: int | None = typer.Option(None, "--from-job", metavar="JOB", help="An escalated job: links its subject."),
    from_network: str | None = typer.Option(
        None, "--from-network", metavar="NETWORK", help="A network's id from 'bastion investigate networks'."
    ),
    from_trend: int | None = typer.Option(None, "--from-trend", metavar="ALERT", help="A trend alert's number."),
) -> None:
    """Open a case, by hand or from an escalated job, a network or a trend alert."""
    from bastion.investigate import cases

    sources = [
        name
        for name, value in (("--from-job", from_job), ("--from-network", from_network), ("--from-trend", from_trend))
        if value is not None
    ]
    if len(sources) > 1:
        raise InvalidInput("one source at most", [FieldError(sources[1], f"cannot be given with {sources[0]}")])
    draft = cases.CaseDraft(title, severity, threat, owner).validated()
    now = system_clock()
    with open_database().transaction() as session:
        if from_job is not None:
            case = cases.open_case_from_job(session, SYSTEM, from_job, draft, now=now)
        elif from_network is not None:
            members = _network_members(session, from_network)
            case = cases.open_case_from_network(session, SYSTEM, from_network, members, draft, now=now)
        elif from_trend is not None:
            case = cases.open_case_from_trend(session, SYSTEM, from_trend, draft, now=now)
        else:
            case = cases.open_case(session, SYSTEM, draft, now=now)
        case_pk, label = case.pk, f"SEV{case.severity}"
    flag = " (real-world threat)" if threat else ""
    console.print(f"case {case_pk} opened: {escape(draft.title)}, {label}{flag}", soft_wrap=True)


@case_app.command("list")
def list_command(
    status: CaseStatus | None = typer.Option(None, "--status", metavar=STATUSES, help="Only cases in this status."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Cases, real-world threats first, then by severity, the oldest first. Recorded in the audit log."""
    from bastion.investigate.case_views import list_cases

    with open_database().transaction() as session:
        found = list_cases(session, SYSTEM, now=system_clock(), status=status)
    rows = [
        (c.id, c.threat, c.severity, c.status, c.title, c.owner, c.source, c.opened_at, c.respond_by) for c in found
    ]
    print_listing(LIST_COLUMNS, rows, output, title=f"{len(rows)} cases", empty="no cases")


@case_app.command("show")
def show_command(
    case_pk: int = CASE,
    output: ShowFormat = typer.Option(ShowFormat.TEXT, "--format", metavar="[text|json]", help="text or json."),
) -> None:
    """Everything about a case: links, notes, tasks, referrals and its timeline. Recorded in the audit log."""
    from bastion.investigate.case_views import case_view

    with open_database().transaction() as session:
        view = case_view(session, SYSTEM, case_pk, now=system_clock())
    if output is ShowFormat.JSON:
        sys.stdout.write(json.dumps(view, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    threat = "  REAL-WORLD THREAT" if view["threat"] else ""
    lines = [
        f"case {view['id']}: {view['title']}",
        f"{view['severity']}{threat}  status {view['status']}  owner {view['owner'] or 'nobody'}",
        f"opened {view['opened_at']} by {view['opened_by']} ({view['source']}); respond by {view['respond_by']}",
    ]
    lines += [f"linked {link['kind']} {link['ref']}" for link in view["links"]]
    lines += [f"note by {n['author']} at {n['at']}: {n['body']}" for n in view["notes"]]
    lines += [f"task {t['id']} [{'x' if t['done'] else ' '}] {t['title']}" for t in view["tasks"]]
    lines += [f"referred to {r['agency']} on {r['date']} ({r['reference']}) by {r['by']}" for r in view["referrals"]]
    for entry in view["timeline"]:
        said = history_line(entry["kind"], entry["data"])
        detail = f" ({said.detail})" if said.detail else ""
        lines.append(f"{entry['at']}  {entry['about']}  {said.what}{detail}  by {entry['principal']}")
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


@case_app.command("note")
def note_command(
    case_pk: int = CASE,
    body: str = typer.Argument(..., metavar="TEXT", help="The note: internal, never sent to the platform."),
) -> None:
    """Add an internal note to a case."""
    from bastion.investigate.cases import add_note

    with open_database().transaction() as session:
        note = add_note(session, SYSTEM, case_pk, body, now=system_clock())
        note_pk = note.pk
    console.print(f"note {note_pk} added to case {case_pk}")


@case_app.command("status")
def status_command(
    case_pk: int = CASE,
    status: CaseStatus = typer.Argument(..., metavar=STATUSES, help="The new status."),
    reason: str = typer.Option("", "--reason", metavar="TEXT", help="Why (kept in the case's timeline)."),
) -> None:
    """Move a case on: open -> investigating -> actioned -> referred -> closed (see docs/investigations.md)."""
    from bastion.investigate.cases import change_status

    with open_database().transaction() as session:
        change_status(session, SYSTEM, case_pk, status, now=system_clock(), reason=reason)
    console.print(f"case {case_pk} is {status.value}")


@case_app.command("flag")
def flag_command(case_pk: int = CASE) -> None:
    """Flag a case as a real-world threat: it goes to the top, and the threat_flagged hook fires."""
    from bastion.investigate.cases import flag_threat

    with open_database().transaction() as session:
        flag_threat(session, SYSTEM, case_pk, now=system_clock())
    console.print(f"case {case_pk} flagged as a real-world threat")


@case_app.command("task")
def task_command(
    case_pk: int = CASE,
    title: str = typer.Argument(..., metavar="TITLE", help="What is to be done."),
    assignee: str | None = typer.Option(None, "--assignee", metavar="USER", help="Who is to do it."),
) -> None:
    """Add a task to a case."""
    from bastion.investigate.cases import add_task

    with open_database().transaction() as session:
        task = add_task(session, SYSTEM, case_pk, title, now=system_clock(), assignee=assignee)
        task_pk = task.pk
    console.print(f"task {task_pk} added to case {case_pk}")


@case_app.command("done")
def done_command(
    case_pk: int = CASE,
    task_pk: int = typer.Argument(..., metavar="TASK", min=1, help="The task's number.", show_default=False),
) -> None:
    """Mark a case's task done."""
    from bastion.investigate.cases import complete_task

    with open_database().transaction() as session:
        complete_task(session, SYSTEM, case_pk, task_pk, now=system_clock())
    console.print(f"task {task_pk} of case {case_pk} is done")


@case_app.command("owner")
def owner_command(
    case_pk: int = CASE, user: str = typer.Argument(..., metavar="USER", help="Who leads the case.")
) -> None:
    """Set who leads a case."""
    from bastion.investigate.cases import set_owner

    with open_database().transaction() as session:
        set_owner(session, SYSTEM, case_pk, user, now=system_clock())
    console.print(f"case {case_pk} is led by {escape(user)}", soft_wrap=True)


@case_app.command("watch")
def watch_command(
    case_pk: int = CASE, user: str = typer.Argument(..., metavar="USER", help="Who follows the case.")
) -> None:
    """Add a watcher to a case."""
    from bastion.investigate.cases import watch

    with open_database().transaction() as session:
        watch(session, SYSTEM, case_pk, user, now=system_clock())
    console.print(f"{escape(user)} watches case {case_pk}", soft_wrap=True)


@case_app.command("link")
def link_command(
    case_pk: int = CASE,
    content: str | None = typer.Option(None, "--content", metavar="ID", help="A content item's id on the platform."),
    actor: str | None = typer.Option(None, "--actor", metavar="ID", help="An actor's id on the platform."),
    network: str | None = typer.Option(
        None, "--network", metavar="NETWORK", help="A network's id from 'bastion investigate networks'."
    ),
) -> None:
    """Link a content item, an actor or a network (with its members) to a case."""
    from bastion.investigate.cases import link_network, link_subject

    given = [
        (kind, value)
        for kind, value in ((LinkKind.CONTENT, content), (LinkKind.ACTOR, actor), (LinkKind.NETWORK, network))
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidInput("say what to link", [FieldError("--content, --actor, --network", "give exactly one")])
    ((kind, ref),) = given
    with open_database().transaction() as session:
        if kind is LinkKind.NETWORK:
            link_network(session, SYSTEM, case_pk, ref, _network_members(session, ref), now=system_clock())
        else:
            link_subject(session, SYSTEM, case_pk, kind, ref, now=system_clock())
    console.print(f"{kind.value} {escape(ref)} linked to case {case_pk}", soft_wrap=True)


@case_app.command("export")
def export_command(
    case_pk: int = CASE,
    out: Path = typer.Option(..., "--out", metavar="DIR", help="A new (or empty) folder for the package."),
) -> None:
    """Write the case's evidence package: case.json, summary.html, the snapshots, the audit trail and a
    manifest of SHA-256 digests. Recorded in the audit log."""
    from bastion.investigate.evidence import export_case

    with open_database().transaction() as session:
        result = export_case(session, SYSTEM, case_pk, out, now=system_clock())
    console.print(f"case {case_pk}: {len(result.files) + 1} files written to {out}", markup=False, soft_wrap=True)
    console.print(f"manifest sha256 {result.manifest_sha256}", markup=False)


@case_app.command("verify")
def verify_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="An evidence package's folder."),
) -> None:
    """Check an evidence package against its manifest: "verified", or every file changed, missing or extra."""
    from bastion.investigate.evidence import verify_package

    report = verify_package(folder)
    if report.verified:
        console.print(f"verified: {report.checked} files match the manifest", markup=False)
        return
    for word, names in (("changed", report.changed), ("missing", report.missing), ("extra", report.extra)):
        for name in names:
            console.print(f"{word}: {name}", markup=False, soft_wrap=True)
    counts = f"{len(report.changed)} changed, {len(report.missing)} missing, {len(report.extra)} extra"
    errors.print(f"error: the package does not verify: {counts}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAILED)


@case_app.command("refer")
def refer_command(
    case_pk: int = CASE,
    agency: str = typer.Option(..., "--agency", metavar="NAME", help="The law-enforcement agency."),
    on: str = typer.Option(..., "--date", metavar="YYYY-MM-DD", help="The day the referral was made."),
    reference: str = typer.Option(..., "--reference", metavar="REF", help="The agency's own reference."),
    sent: str = typer.Option(..., "--sent", metavar="TEXT", help="What was sent (e.g. the manifest's sha256)."),
) -> None:
    """Record a referral to law enforcement; the case moves to referred."""
    from bastion.investigate.cases import ReferralDraft, refer

    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise InvalidInput("bad --date", [FieldError("--date", f"{on!r} is not a date (YYYY-MM-DD)")]) from None
    draft = ReferralDraft(agency, datetime.combine(day, datetime.min.time(), tzinfo=UTC), reference, sent)
    with open_database().transaction() as session:
        referral = refer(session, SYSTEM, case_pk, draft, now=system_clock())
        referral_pk = referral.pk
    console.print(f"referral {referral_pk} recorded; case {case_pk} is referred", markup=False)


def _network_members(session: Session, network_id: str) -> list[str]:
    """The members of the network with this id, as the detector finds it now."""
    from bastion.investigate.network_service import find_networks

    for network in find_networks(session, SYSTEM).networks:
        if network.id == network_id:
            return list(network.members)
    raise NotFound(f"no network {network_id}: run 'bastion investigate networks' for the ids there are now")
