"""The relations the metrics count over: flat Ibis tables with their segments' columns already named.

Each relation has a time column `at` (what a window and a time grain apply to) and, of the segments,
those it can answer: `policy`, `country`, `language`, `surface`, `queue`, `vendor`. A metric groups
one relation (or two, for a rate of two things) by the segments asked for.

- `content_actioned`: one row per enforcement action taken on a content item, by a decision of human
  review or automatically by a rule (not restores, not account actions from strikes, not actions
  cancelled before they were sent). `at`: when it was taken; `policy`: the policy it was taken under;
  country, language and surface: the item's; queue and vendor: of the decision's job and reviewer
  (none for an automated action). `proactive`: no user report on the item was filed before the
  action; `standing`: never reversed (an overturned appeal or a restore reverses it).
- `appeals_filed`, `content_restored`: appeals and restores of those actions, segmented as the action.
- `views_sampled`: sampled views with their weight and the item's segments; `violated_policy`: the
  policy of the item's standing action (the first in alphabetical order when there are several).
- `jobs_opened`, `jobs_waiting`, `jobs_decided`: review jobs (golden jobs are tests of reviewers, not
  work the platform asked for: left out), segmented as the job; `jobs_waiting` carries the job's
  `status`, `sla_due_at` and `decided_at` (a backlog at a past moment needs them); `jobs_decided`
  carries `in_sla` and the vendor of the final decision's reviewer.
- `decisions_made`: decisions not taken back on real jobs (not golden ones), with handle time, the
  decision's policy, the job's segments and policy (`job_policy`), and the reviewer's name and vendor.
- `reports_filed`: reports on content items, with the report's policy and the item's segments, and
  whether the item was resolved (decided by review or actioned) and found violating (a standing action).
"""

from __future__ import annotations

import ibis
from ibis.expr.types import Table

from bastion.domain.review import JobKind, JobStatus
from bastion.insight.metrics.tables import StoreTables

CONTENT = "content"
TAKEN_BY = ("decision", "automated")  # the reasons of actions taken on a finding (see review/decisions, detect/effects)
RESTORED_WITH_APPEAL = "appeal_overturned"
RESTORED_WITHOUT_APPEAL = "restored_without_appeal"
WAITING = (JobStatus.OPEN.value, JobStatus.CLAIMED.value, JobStatus.HELD.value)
REVIEWING = (JobKind.REVIEW.value, JobKind.ESCALATION.value)


def _content_segments(t: StoreTables) -> Table:
    c = t.content_items
    return c.select(content_pk=c.pk, country=c.country, language=c.language, surface=c.surface, posted_at=c.created_at)


def _deciders(t: StoreTables) -> Table:
    """decision_pk -> the queue of its job and the vendor of its reviewer."""
    d, j, u = t.decisions, t.jobs, t.users
    return (
        d.join(j, d.job_pk == j.pk)
        .left_join(u, d.reviewer_pk == u.pk)
        .select(decision_pk=d.pk, queue=j.queue, vendor=u.vendor)
    )


def _taken(t: StoreTables) -> Table:
    a = t.enforcement_actions
    return a.filter(a.subject_type == CONTENT, a.reason.isin(TAKEN_BY), a.cancelled_at.isnull())


def content_actioned(t: StoreTables) -> Table:
    taken = _taken(t)
    actions = taken.select(
        action_pk=taken.pk,
        content_pk_=taken.subject_pk,
        at=taken.created_at,
        policy=taken.policy_id,
        decision_pk_=taken.decision_pk,
        automated=taken.reason == "automated",
        standing=taken.reversed_at.isnull(),
    )
    r = t.reports
    first = (
        r.filter(r.content_pk.notnull())
        .group_by(reported_pk=r.content_pk)
        .aggregate(first_reported_at=r.created_at.min())
    )
    content = _content_segments(t)
    deciders = _deciders(t)
    joined = (
        actions.join(content, actions.content_pk_ == content.content_pk)
        .left_join(deciders, actions.decision_pk_ == deciders.decision_pk)
        .left_join(first, actions.content_pk_ == first.reported_pk)
    )
    return joined.select(
        "action_pk",
        "at",
        "policy",
        "automated",
        "standing",
        "country",
        "language",
        "surface",
        "queue",
        "vendor",
        "posted_at",
        content_pk=joined.content_pk_,
        proactive=joined.first_reported_at.isnull() | (joined.first_reported_at > joined.at),
    )


_ACTION_SEGMENTS = ("content_pk", "policy", "country", "language", "surface", "queue", "vendor")


def appeals_filed(t: StoreTables) -> Table:
    p = t.appeals
    appeals = p.select(appeal_pk=p.pk, appealed_pk=p.action_pk, at=p.filed_at)
    actioned = content_actioned(t).select("action_pk", *_ACTION_SEGMENTS)
    joined = appeals.join(actioned, appeals.appealed_pk == actioned.action_pk)
    return joined.select("appeal_pk", "at", *_ACTION_SEGMENTS)


def content_restored(t: StoreTables) -> Table:
    a = t.enforcement_actions
    restores = a.filter(
        a.subject_type == CONTENT,
        a.reason.isin((RESTORED_WITH_APPEAL, RESTORED_WITHOUT_APPEAL)),
        a.cancelled_at.isnull(),
    )
    restores = restores.select(
        restore_pk=restores.pk,
        restored_pk=restores.reverses_pk,
        at=restores.created_at,
        with_appeal=restores.reason == RESTORED_WITH_APPEAL,
    )
    actioned = content_actioned(t).select("action_pk", *_ACTION_SEGMENTS)
    joined = restores.join(actioned, restores.restored_pk == actioned.action_pk)
    return joined.select("restore_pk", "at", "with_appeal", *_ACTION_SEGMENTS)


def views_sampled(t: StoreTables, *, segments: bool = True) -> Table:
    """`segments=False` leaves out the item's country, language and surface (and the join that reads
    them: every view is of a stored item, so no row is lost)."""
    v = t.views
    views = v.select(viewed_pk=v.content_pk, at=v.viewed_at, weight=v.weight.cast("float64"))
    taken = _taken(t)
    standing = taken.filter(taken.reversed_at.isnull())
    violations = standing.group_by(violating_pk=standing.subject_pk).aggregate(violated_policy=standing.policy_id.min())
    if not segments:
        joined = views.left_join(violations, views.viewed_pk == violations.violating_pk)
        return joined.select("at", "weight", "violated_policy")
    content = _content_segments(t)
    joined = views.join(content, views.viewed_pk == content.content_pk).left_join(
        violations, views.viewed_pk == violations.violating_pk
    )
    return joined.select("at", "weight", "country", "language", "surface", "violated_policy")


def _job_segments(jobs: Table) -> dict[str, ibis.Value]:
    return {
        "job_pk": jobs.pk,
        "policy": jobs.policy_hint,
        "queue": jobs.queue,
        "country": jobs.country,
        "language": jobs.language,
        "surface": jobs.surface,
    }


def _real_jobs(t: StoreTables) -> Table:
    return t.jobs.filter(t.jobs.golden_pk.isnull())


def jobs_opened(t: StoreTables) -> Table:
    jobs = _real_jobs(t)
    return jobs.select(at=jobs.created_at, **_job_segments(jobs))


def jobs_waiting(t: StoreTables, *, since_decided: bool = False) -> Table:
    """Jobs waiting now; with `since_decided`, also the jobs decided since (a backlog at a past moment:
    those opened by then and not yet decided then)."""
    jobs = _real_jobs(t)
    waiting = jobs.status.isin(WAITING)
    if since_decided:
        waiting = waiting | ((jobs.status == JobStatus.DECIDED.value) & jobs.decided_at.notnull())
    rows = jobs.filter(waiting)
    return rows.select(
        at=rows.created_at,
        status=rows.status,
        sla_due_at=rows.sla_due_at,
        decided_at=rows.decided_at,
        **_job_segments(rows),
    )


def jobs_decided(t: StoreTables) -> Table:
    jobs = _real_jobs(t)
    decided = jobs.filter(jobs.status == JobStatus.DECIDED.value, jobs.decided_at.notnull())
    d, u = t.decisions, t.users
    final = d.filter(d.final, d.withdrawn_at.isnull())
    vendors = (
        final.left_join(u, final.reviewer_pk == u.pk)
        .group_by(decided_pk=final.job_pk)
        .aggregate(vendor=u.vendor.max())  # one final decision per job: its reviewer's vendor
    )
    rows = decided.select(
        at=decided.decided_at, in_sla=decided.decided_at <= decided.sla_due_at, **_job_segments(decided)
    )
    joined = rows.left_join(vendors, rows.job_pk == vendors.decided_pk)
    return joined.select("at", "in_sla", "job_pk", "policy", "queue", "country", "language", "surface", "vendor")


def decisions_made(t: StoreTables) -> Table:
    d, u = t.decisions, t.users
    j = _real_jobs(t)
    made = d.filter(d.withdrawn_at.isnull())
    joined = made.join(j, made.job_pk == j.pk).left_join(u, made.reviewer_pk == u.pk)
    return joined.select(
        decision_pk=made.pk,
        job_pk=made.job_pk,
        at=made.decided_at,
        seconds=made.seconds_spent,
        policy=made.policy_id,
        job_policy=j.policy_hint,
        queue=j.queue,
        country=j.country,
        language=j.language,
        surface=j.surface,
        vendor=u.vendor,
        reviewer=u.name,
    )


def reports_filed(t: StoreTables) -> Table:
    r = t.reports
    reports = r.filter(r.content_pk.notnull())
    reports = reports.select(
        report_pk=reports.pk, reported_pk=reports.content_pk, at=reports.created_at, policy=reports.policy_id
    )
    d, j = t.decisions, t.jobs
    final = d.filter(d.final, d.withdrawn_at.isnull())
    reviewed = final.join(j, final.job_pk == j.pk)
    reviewed = reviewed.filter(reviewed.subject_type == CONTENT, reviewed.kind.isin(REVIEWING))
    decided = reviewed.select(decided_pk=reviewed.subject_pk).distinct()
    actioned = content_actioned(t)
    outcome = actioned.group_by(outcome_pk=actioned.content_pk).aggregate(
        violating=ibis.ifelse(actioned.standing, 1, 0).max()
    )
    content = _content_segments(t)
    joined = (
        reports.join(content, reports.reported_pk == content.content_pk)
        .left_join(decided, reports.reported_pk == decided.decided_pk)
        .left_join(outcome, reports.reported_pk == outcome.outcome_pk)
    )
    return joined.select(
        "report_pk",
        "at",
        "policy",
        "country",
        "language",
        "surface",
        resolved=joined.decided_pk.notnull() | joined.outcome_pk.notnull(),
        violating=joined.violating.fill_null(0) == 1,
    )
