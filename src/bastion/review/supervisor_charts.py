"""The supervisor view's charts, drawn from an `Overview`; every bar links to the jobs behind it."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.charts import Bar, Chart, bars, grouped_columns, stacked_bars
from bastion.review.supervisor import Overview
from bastion.review.workload.selection import SLA_STATE_LABELS, SLA_STATES

# On track: calm blue; due soon: amber; overdue: red, whatever the job's age.
SLA_COLOURS = ("#4f8cff", "#f5a524", "#d92d20")
FLOW_SERIES = ("opened", "decided")
FLOW_COLOURS = ("#9ec5fe", "#2455c3")


@dataclass(frozen=True)
class SupervisorCharts:
    backlog: Chart | None
    reviewers: Chart | None
    flow: Chart | None


def supervisor_charts(data: Overview) -> SupervisorCharts:
    return SupervisorCharts(backlog_by_sla(data), decisions_per_reviewer(data), inflow_and_decisions(data))


def backlog_by_sla(data: Overview) -> Chart | None:
    """Each queue's backlog, stacked by where its jobs stand against their SLA deadline."""
    pieces = [
        Bar(q.title, q.sla_states[state], SLA_STATE_LABELS[state], data.link("sla", q.name, sla=state))
        for q in data.queues
        for state in SLA_STATES
    ]
    labels = [SLA_STATE_LABELS[s] for s in SLA_STATES]
    return stacked_bars(pieces, value_title="Jobs waiting", series=labels, colours=SLA_COLOURS, series_title="SLA")


def decisions_per_reviewer(data: Overview, limit: int = 25) -> Chart | None:
    """Decisions per reviewer in the window, busiest first."""
    top = data.reviewers[:limit]
    pieces = [
        Bar(r.reviewer, r.decisions, href=data.link("reviewer", reviewer=r.reviewer), unit="decisions") for r in top
    ]
    return bars(pieces, value_title="Decisions")


def inflow_and_decisions(data: Overview) -> Chart | None:
    """Jobs opened against jobs decided, per hour (a day's window) or per UTC day."""
    hourly = data.flow_step_hours < 24
    pieces = []
    for i, point in enumerate(data.flow):
        when = point.start.strftime("%H:00" if hourly else "%d %b")
        pieces.append(Bar(when, point.inflow, FLOW_SERIES[0], data.link("inflow", period=i)))
        pieces.append(Bar(when, point.decided, FLOW_SERIES[1], data.link("decided_in_period", period=i)))
    return grouped_columns(pieces, value_title="Jobs", series=FLOW_SERIES, colours=FLOW_COLOURS, width=720)
