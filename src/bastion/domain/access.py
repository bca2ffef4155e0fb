"""Roles and the permissions they grant. Anything not granted here is denied."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    INVESTIGATOR = "investigator"
    QA = "qa"
    REVIEWER = "reviewer"
    VENDOR_REVIEWER = "vendor_reviewer"
    # A machine client of the platform being protected: sends events, files appeals.
    PLATFORM = "platform"


class Permission(StrEnum):
    INGEST_WRITE = "ingest.write"
    SUBJECT_READ = "subject.read"
    POLICY_READ = "policy.read"
    POLICY_WRITE = "policy.write"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"
    REVIEW_WORK = "review.work"
    REVIEW_SUPERVISE = "review.supervise"
    QUEUE_MANAGE = "queue.manage"
    DECISION_READ = "decision.read"
    APPEAL_FILE = "appeal.file"
    APPEAL_DECIDE = "appeal.decide"
    ENFORCEMENT_MANAGE = "enforcement.manage"
    DETECTION_READ = "detection.read"
    DETECTION_WRITE = "detection.write"
    QUALITY_READ = "quality.read"  # scores, scorecards and calibration of everyone (one's own needs only review.work)
    QUALITY_MANAGE = "quality.manage"  # QA plans, golden sets, calibration exercises
    INSIGHT_READ = "insight.read"  # metrics, dashboards, trends, recommendations, reports, exports
    INSIGHT_SQL = "insight.sql"  # the read-only SQL console and its saved queries
    INSIGHT_MANAGE = "insight.manage"  # act on a recommendation, run a prevalence round
    INVESTIGATE_READ = "investigate.read"  # coordinated networks and cases: accounts and what ties them
    INVESTIGATE_MANAGE = "investigate.manage"  # open, change, link, export and refer cases


_HUMAN_READERS = {Permission.POLICY_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(
        _HUMAN_READERS
        | {
            Permission.SUBJECT_READ,
            Permission.DECISION_READ,
            Permission.REVIEW_SUPERVISE,
            Permission.DETECTION_READ,
            Permission.DETECTION_WRITE,
            Permission.QUALITY_READ,
            Permission.INSIGHT_READ,
            Permission.INSIGHT_SQL,
            Permission.INSIGHT_MANAGE,
        }
    ),
    Role.INVESTIGATOR: frozenset(
        _HUMAN_READERS
        | {
            Permission.SUBJECT_READ,
            Permission.DECISION_READ,
            Permission.REVIEW_WORK,
            Permission.INSIGHT_READ,
            Permission.INVESTIGATE_READ,
            Permission.INVESTIGATE_MANAGE,
        }
    ),
    Role.QA: frozenset(
        _HUMAN_READERS
        | {
            Permission.SUBJECT_READ,
            Permission.DECISION_READ,
            Permission.REVIEW_WORK,
            Permission.REVIEW_SUPERVISE,
            Permission.APPEAL_DECIDE,
            Permission.QUALITY_READ,
            Permission.QUALITY_MANAGE,
        }
    ),
    Role.REVIEWER: frozenset(_HUMAN_READERS | {Permission.REVIEW_WORK, Permission.APPEAL_DECIDE}),
    Role.VENDOR_REVIEWER: frozenset(_HUMAN_READERS | {Permission.REVIEW_WORK}),
    Role.PLATFORM: frozenset(
        {Permission.INGEST_WRITE, Permission.SUBJECT_READ, Permission.APPEAL_FILE, Permission.DECISION_READ}
    ),
}


def permissions_of(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
