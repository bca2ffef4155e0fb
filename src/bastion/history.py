"""What happened, in words: one line of a subject's history per event, for people rather than machines.

The event log keeps facts as kinds and data (`decision.made`, `{"policy": …, "action": …}`); a history
page shows "Decided: Remove under hate_speech" and the reviewer's rationale instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bastion.domain.events import EventKind


@dataclass(frozen=True)
class HistoryLine:
    what: str  # one sentence: what happened
    detail: str = ""  # the why, when the event carries one (a rationale, an error, a note)


def action_label(action: object) -> str:
    """`age_restrict` → "Age restrict"; `no_action` → "No action"."""
    words = str(action or "").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Unknown action"


def _under(data: Mapping[str, Any]) -> str:
    return f" under {data['policy']}" if data.get("policy") else ""


def _decision(data: Mapping[str, Any]) -> HistoryLine:
    if not data.get("policy") and data.get("action") in (None, "no_action"):
        what = "Decided: no violation"
    else:
        what = f"Decided: {action_label(data.get('action'))}{_under(data)}"
    if int(data.get("round") or 1) > 1:
        what += f" (review {data['round']})"
    return HistoryLine(what, str(data.get("rationale") or ""))


def _withdrawn(data: Mapping[str, Any]) -> HistoryLine:
    cancelled = data.get("cancelled_actions") or []
    detail = "Its enforcement was cancelled before it was sent." if cancelled else ""
    return HistoryLine(f"Decision taken back (it was: {action_label(data.get('action'))}{_under(data)})", detail)


def _delivered(data: Mapping[str, Any]) -> HistoryLine:
    attempts = int(data.get("attempts") or 1)
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return HistoryLine(f"Action {data.get('action')} delivered to the platform{tries}")


def _dead(data: Mapping[str, Any]) -> HistoryLine:
    return HistoryLine(
        f"Action {data.get('action')} could not be delivered after {data.get('attempts')} attempts",
        str(data.get("error") or ""),
    )


def _strike(data: Mapping[str, Any]) -> HistoryLine:
    weight, total = float(data.get("weight") or 0), float(data.get("total") or 0)
    return HistoryLine(f"Strike added: {weight:g} point{'s' if weight != 1 else ''}, {total:g} in the window")


_LINES: dict[str, Callable[[Mapping[str, Any]], HistoryLine]] = {
    EventKind.ACTOR_CREATED: lambda d: HistoryLine("Account created on the platform"),
    EventKind.CONTENT_CREATED: lambda d: HistoryLine(
        f"{action_label(d.get('type') or 'content')} created" + (f" on {d['surface']}" if d.get("surface") else "")
    ),
    EventKind.REPORT_FILED: lambda d: HistoryLine(
        f"Reported for {d.get('reason') or 'an unstated reason'}",
        f"Reporter {d['reporter_id']}" if d.get("reporter_id") else "Anonymous reporter",
    ),
    EventKind.DECISION_MADE: _decision,
    EventKind.DECISION_WITHDRAWN: _withdrawn,
    EventKind.DECISION_IMPORTED: lambda d: HistoryLine(
        f"Decision made elsewhere imported: {d.get('label')}", f"In queue {d['queue']}" if d.get("queue") else ""
    ),
    EventKind.ACTION_TAKEN: lambda d: HistoryLine(f"{action_label(d.get('action'))}: action {d.get('id')} recorded"),
    EventKind.ACTION_DELIVERED: _delivered,
    EventKind.ACTION_DEAD_LETTERED: _dead,
    EventKind.ACTION_DELIVERY_REPLAYED: lambda d: HistoryLine(f"Delivery of action {d.get('action')} replayed"),
    EventKind.ACTION_REVERSED: lambda d: HistoryLine(
        f"Action {d.get('action')} reversed", str(d.get("reason") or "").replace("_", " ")
    ),
    EventKind.ACTION_CANCELLED: lambda d: HistoryLine(
        f"{action_label(d.get('kind'))}: action {d.get('action')} cancelled before it was sent",
        "Its decision was taken back.",
    ),
    EventKind.STRIKE_ADDED: _strike,
    EventKind.CONTENT_SNAPSHOTTED: lambda d: HistoryLine(
        f"Kept as evidence (snapshot {d.get('snapshot')}) when job {d.get('job')} was escalated"
    ),
    # A case's own events (investigations): its timeline reads them beside its subjects'.
    EventKind.CASE_OPENED: lambda d: HistoryLine(
        f"Case opened: SEV{d.get('severity')}, from {d.get('source')}", str(d.get("title") or "")
    ),
    EventKind.CASE_STATUS_CHANGED: lambda d: HistoryLine(
        f"Case moved from {d.get('from')} to {d.get('to')}", str(d.get("reason") or "")
    ),
    EventKind.CASE_THREAT_FLAGGED: lambda d: HistoryLine("Flagged as a real-world threat"),
    EventKind.CASE_OWNER_SET: lambda d: HistoryLine(f"Owner set: {d.get('owner')}"),
    EventKind.CASE_WATCHED: lambda d: HistoryLine(f"Watched by {d.get('watcher')}"),
    EventKind.CASE_LINKED: lambda d: HistoryLine(f"Linked {d.get('kind')} {d.get('ref')}"),
    EventKind.CASE_NOTED: lambda d: HistoryLine(f"Note {d.get('note')} written"),
    EventKind.CASE_TASK_ADDED: lambda d: HistoryLine(f"Task {d.get('task')} added", str(d.get("title") or "")),
    EventKind.CASE_TASK_DONE: lambda d: HistoryLine(f"Task {d.get('task')} done"),
    EventKind.CASE_EXPORTED: lambda d: HistoryLine(
        f"Evidence package exported ({d.get('files')} files)", f"manifest sha256 {d.get('manifest_sha256')}"
    ),
    EventKind.CASE_REFERRED: lambda d: HistoryLine(f"Referred to {d.get('agency')}", f"reference {d.get('reference')}"),
    EventKind.BULK_ACTION_TAKEN: lambda d: HistoryLine(
        f"Bulk action {d.get('bulk_action')}: {d.get('action')} on {d.get('changed')} items of {d.get('network')}",
        f"{d.get('skipped')} already done, skipped",
    ),
    EventKind.BULK_ACTION_REVERSED: lambda d: HistoryLine(
        f"Bulk action {d.get('bulk_action')} reversed: {d.get('restored')} items restored"
    ),
}


def history_line(kind: str, data: Mapping[str, Any] | None) -> HistoryLine:
    """One event in words; an event kind without its own wording is spelled out from its name."""
    describe = _LINES.get(kind)
    if describe is not None:
        return describe(data or {})
    return HistoryLine(action_label(kind.replace(".", " ")))
