"""The work behind the supervisor's numbers: which jobs a number counts, and what is not a metric.

The figures themselves (backlog, SLA attainment, inflow and decided, decisions and handle time per
reviewer, oldest waiting) are metrics of the insight layer (`bastion.insight.metrics`), defined once
for every page. What lives here is about jobs and people, not measures:

- `selection`: a `JobSelection`, the filter that says which jobs a number counts, with the same
  conditions as the layer's definitions, so that every number links to the jobs behind it.
- `listing`: the jobs a selection holds, page by page, most urgent first.
- `people`: who is active now, and the open jobs no eligible reviewer can take (by role, vendor, language).
- `exposure`: the team's decisions per harm type today against the daily caps (wellness).
"""
