"""Metric definitions over the store, each named once, shared by every page that shows them.

Each metric is a function over a session and a `JobSelection` (what the number counts), so a page can
link any number to the jobs behind it: the jobs listing applies the same selection with the same
conditions. The supervisor view uses them today; insight and quality pages will reuse them.

- `backlog`: jobs waiting, in review or held, by queue, status, age and SLA state.
- `sla`: SLA attainment of the jobs decided in a window.
- `throughput`: inflow against decisions over time, decisions and handle time per reviewer, who is active.
- `exposure`: the team's decisions per harm type today against the daily caps (wellness).
- `selection`: the selection itself; `listing`: the jobs a selection holds, page by page.
"""
