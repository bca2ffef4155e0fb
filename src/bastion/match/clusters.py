"""Near-duplicate clusters as people see them: the largest and fastest-growing, one with a sample of its
members, their sizes recounted from the memberships, a truth check against a simulation, and a verdict
for a whole cluster at once (`decide_cluster`, through `bastion.review.bulk`).

The caller opens the transaction; these functions read, except `recount_clusters` and `decide_cluster`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bastion.auth.principal import Principal
from bastion.errors import NotFound
from bastion.match.neardup_truth import TruthCheck, check_clusters, network_members
from bastion.review.bulk import BulkOutcome, decide_members
from bastion.review.decisions import Choice
from bastion.review.jobs import OPEN_STATES
from bastion.store.schema import Actor, ContentItem, Decision, Job, NearDuplicateCluster, NearDuplicateMember

SNIPPET_CHARS = 280
SAMPLE_SIZE = 20
MAX_PAGE = 500


class ClusterOrder(StrEnum):
    """How a list of clusters is ordered."""

    SIZE = "size"  # the largest first
    GROWTH = "growth"  # the most items posted in the last hour first (then the last day)
    BURST = "burst"  # the most items posted within one hour, ever, first
    RECENT = "recent"  # the newest posting first


@dataclass(frozen=True)
class ClusterSummary:
    """A cluster as the list shows it. `id` is its first item's content key; growth counts members posted in
    the hour (and day) up to now."""

    id: int
    representative_id: str
    representative_text: str
    size: int
    first_seen: datetime
    last_seen: datetime
    growth_1h: int
    growth_24h: int
    peak_1h: int  # the most members posted within one hour: a burst, however long ago


@dataclass(frozen=True)
class ClusterList:
    total: int
    order: ClusterOrder
    clusters: list[ClusterSummary]


@dataclass(frozen=True)
class ClusterMember:
    """One member of a cluster, with where review stands on it."""

    content_id: str
    actor_id: str
    text: str
    posted_at: datetime
    similarity: float
    open_job: int | None  # the pk of an open review job on it, if any
    decided: bool  # a review decision on it stands


@dataclass(frozen=True)
class ClusterDetail:
    """A cluster with a sample of its members (the newest first) and what review has done with them."""

    cluster: ClusterSummary
    members_with_open_jobs: int
    members_decided: int
    sample: list[ClusterMember]


def _snippet(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"


def _growth(session: Session, now: datetime, keys: list[int] | None = None) -> tuple[Counter[int], Counter[int]]:
    """Members posted in the hour and in the day up to `now`, per cluster."""
    member = NearDuplicateMember
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    query = (
        select(member.cluster_pk, func.count(), func.sum(case((member.joined_at > hour, 1), else_=0)))
        .where(member.joined_at > day, member.joined_at <= now)
        .group_by(member.cluster_pk)
    )
    if keys is not None:
        query = query.where(member.cluster_pk.in_(keys))
    last_day: Counter[int] = Counter()
    last_hour: Counter[int] = Counter()
    for cluster, in_day, in_hour in session.execute(query):
        last_day[int(cluster)] = int(in_day)
        last_hour[int(cluster)] = int(in_hour or 0)
    return last_hour, last_day


def list_clusters(
    session: Session,
    *,
    now: datetime,
    order: ClusterOrder = ClusterOrder.SIZE,
    min_size: int = 2,
    limit: int = 50,
    offset: int = 0,
) -> ClusterList:
    """A page of the clusters of at least `min_size` members, in `order`."""
    cluster = NearDuplicateCluster
    wanted = cluster.size >= max(2, min_size)
    total = int(session.scalar(select(func.count()).select_from(cluster).where(wanted)) or 0)
    limit = max(1, min(limit, MAX_PAGE))
    if order is ClusterOrder.GROWTH:
        last_hour, last_day = _growth(session, now)
        ranked = sorted(last_day, key=lambda k: (-last_hour[k], -last_day[k], k))
        sizes = dict(session.execute(select(cluster.pk, cluster.size).where(cluster.pk.in_(ranked), wanted)).all())
        ranked = [k for k in ranked if k in sizes]
        quiet = session.scalars(
            select(cluster.pk).where(wanted, cluster.pk.not_in(ranked)).order_by(cluster.size.desc(), cluster.pk)
        )
        keys = [*ranked, *quiet][offset : offset + limit]
    else:
        sort = {
            ClusterOrder.SIZE: (cluster.size.desc(), cluster.pk),
            ClusterOrder.BURST: (cluster.peak_1h.desc(), cluster.size.desc(), cluster.pk),
            ClusterOrder.RECENT: (cluster.last_seen.desc(), cluster.pk),
        }[order]
        keys = list(session.scalars(select(cluster.pk).where(wanted).order_by(*sort).offset(offset).limit(limit)))
    return ClusterList(total, order, _summaries(session, keys, now))


def _summaries(session: Session, keys: list[int], now: datetime) -> list[ClusterSummary]:
    if not keys:
        return []
    last_hour, last_day = _growth(session, now, keys)
    rows = session.execute(
        select(
            NearDuplicateCluster.pk,
            ContentItem.external_id,
            ContentItem.text,
            NearDuplicateCluster.size,
            NearDuplicateCluster.first_seen,
            NearDuplicateCluster.last_seen,
            NearDuplicateCluster.peak_1h,
        )
        .join(ContentItem, ContentItem.pk == NearDuplicateCluster.pk)
        .where(NearDuplicateCluster.pk.in_(keys))
    ).all()
    by_key = {
        int(pk): ClusterSummary(
            int(pk),
            str(external),
            _snippet(text),
            int(size),
            first,
            last,
            last_hour[int(pk)],
            last_day[int(pk)],
            int(peak),
        )
        for pk, external, text, size, first, last, peak in rows
    }
    return [by_key[key] for key in keys if key in by_key]


def cluster_detail(session: Session, cluster_id: int, *, now: datetime, sample: int = SAMPLE_SIZE) -> ClusterDetail:
    """A cluster of two or more members, with a sample of the newest members and review's progress on them."""
    found = _summaries(session, [cluster_id], now)
    if not found:
        raise NotFound(f"no near-duplicate cluster {cluster_id}")
    summary = found[0]
    member = NearDuplicateMember
    in_cluster = select(member.content_pk).where(member.cluster_pk == cluster_id)
    open_jobs = dict(
        session.execute(
            select(Job.subject_pk, func.min(Job.pk))
            .where(
                Job.subject_type == "content",
                Job.subject_pk.in_(in_cluster),
                Job.status.in_(OPEN_STATES),
                Job.golden_pk.is_(None),  # golden jobs are never shown
            )
            .group_by(Job.subject_pk)
        ).all()
    )
    decided = set(
        session.scalars(
            select(Job.subject_pk)
            .join(Decision, (Decision.job_pk == Job.pk) & Decision.final.is_(True) & Decision.withdrawn_at.is_(None))
            .where(Job.subject_type == "content", Job.subject_pk.in_(in_cluster))
        )
    )
    rows = session.execute(
        select(
            member.content_pk,
            ContentItem.external_id,
            Actor.external_id,
            ContentItem.text,
            member.joined_at,
            member.similarity,
        )
        .join(ContentItem, ContentItem.pk == member.content_pk)
        .join(Actor, Actor.pk == ContentItem.actor_pk)
        .where(member.cluster_pk == cluster_id)
        .order_by(member.joined_at.desc(), member.content_pk.desc())
        .limit(max(1, min(sample, MAX_PAGE)))
    ).all()
    members = [
        ClusterMember(
            str(content_id),
            str(actor_id),
            _snippet(text),
            posted,
            round(float(similarity), 4),
            open_jobs.get(int(pk)),
            int(pk) in decided,
        )
        for pk, content_id, actor_id, text, posted, similarity in rows
    ]
    return ClusterDetail(summary, len(open_jobs), len(decided), members)


def cluster_members(session: Session, cluster_id: int) -> list[int]:
    """The content keys of a cluster's members, in the order they joined."""
    return list(
        session.scalars(
            select(NearDuplicateMember.content_pk)
            .where(NearDuplicateMember.cluster_pk == cluster_id)
            .order_by(NearDuplicateMember.pk)
        )
    )


def recount_clusters(session: Session) -> int:
    """Recompute every cluster's size, newest posting and busiest hour from the memberships; returns how
    many changed."""
    member = NearDuplicateMember
    stored = {
        int(pk): (int(size), last, int(peak))
        for pk, size, last, peak in session.execute(
            select(
                NearDuplicateCluster.pk,
                NearDuplicateCluster.size,
                NearDuplicateCluster.last_seen,
                NearDuplicateCluster.peak_1h,
            )
        )
    }
    posted: dict[int, list[datetime]] = {}
    for cluster, joined in session.execute(
        select(member.cluster_pk, member.joined_at)
        .where(member.cluster_pk.in_(list(stored)))
        .order_by(member.cluster_pk, member.joined_at, member.content_pk)
    ):
        posted.setdefault(int(cluster), []).append(joined)
    changed = 0
    for cluster, times in posted.items():
        counted = (len(times), times[-1], _busiest_hour(times))
        if stored[cluster] != counted:
            changed += 1
            session.execute(
                update(NearDuplicateCluster)
                .where(NearDuplicateCluster.pk == cluster)
                .values(size=counted[0], last_seen=counted[1], peak_1h=counted[2])
            )
    return changed


def _busiest_hour(times: list[datetime]) -> int:
    """The most of these (sorted) times within an hour (t - 1h, t] ending at one of them."""
    busiest, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - timedelta(hours=1):
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


def evaluate_against_truth(session: Session, truth: Mapping[str, Any]) -> TruthCheck:
    """Purity and recall of the stored clusters against a simulation's truth file (see `neardup_truth`)."""
    members_of = network_members(truth)
    rows = session.execute(
        select(ContentItem.pk, Actor.external_id)
        .join(Actor, Actor.pk == ContentItem.actor_pk)
        .where(Actor.external_id.in_(list(members_of)))
    ).all()
    network_of = {int(pk): members_of[str(actor)] for pk, actor in rows}
    posts = Counter(network_of.values())
    for network in {str(n["id"]) for n in truth["networks"]}:
        posts.setdefault(network, 0)
    groups: dict[int, list[int]] = {}
    for content_pk, cluster in session.execute(
        select(NearDuplicateMember.content_pk, NearDuplicateMember.cluster_pk).where(
            NearDuplicateMember.cluster_pk.in_(select(NearDuplicateCluster.pk))
        )
    ):
        groups.setdefault(int(cluster), []).append(int(content_pk))
    return check_clusters(groups.values(), network_of, posts)


def decide_cluster(
    session: Session, cluster_id: int, decider: Principal, choice: Choice, *, expected_members: int, now: datetime
) -> BulkOutcome:
    """One verdict for every member of a cluster, as previewed (see `bastion.review.bulk`)."""
    if session.get(NearDuplicateCluster, cluster_id) is None:
        raise NotFound(f"no near-duplicate cluster {cluster_id}")
    members = cluster_members(session, cluster_id)
    return decide_members(session, cluster_id, members, decider, choice, expected_members=expected_members, now=now)
