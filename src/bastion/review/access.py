"""Who may work which queue: reviewers by role, vendor reviewers only in their vendor's queues."""

from __future__ import annotations

from bastion.auth.principal import Principal
from bastion.domain.access import Permission, Role
from bastion.errors import Forbidden
from bastion.review.config import QueueSpec

IN_HOUSE_REVIEW_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.QA, Role.INVESTIGATOR})


def is_vendor_only(principal: Principal) -> bool:
    return Role.VENDOR_REVIEWER in principal.roles and not (principal.roles & IN_HOUSE_REVIEW_ROLES)


def may_work(queue: QueueSpec, principal: Principal) -> bool:
    if not principal.can(Permission.REVIEW_WORK) or principal.user_pk is None:
        return False
    if queue.kind == "appeal" and not principal.can(Permission.APPEAL_DECIDE):
        return False
    if queue.kind == "qa" and not principal.can(Permission.QUALITY_MANAGE):
        return False  # QA re-review is the QA team's
    if is_vendor_only(principal):
        return principal.vendor is not None and principal.vendor in queue.vendors
    return True


def require_queue_access(queue: QueueSpec, principal: Principal) -> None:
    if principal.user_pk is None:
        raise Forbidden("jobs are claimed by people: use a user's API key or log in")
    if not may_work(queue, principal):
        raise Forbidden(f"{principal.display_name} may not work the {queue.name} queue")
