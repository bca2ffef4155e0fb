"""A reviewer's wellness preferences: how the console shows images, over the queue's defaults.

Each queue sets its wellness defaults in the review configuration (`QueueSpec.wellness`: blurred and
greyscale images unless an admin says otherwise). A reviewer may override each one for themselves:
`None` keeps the queue's default, True or False overrides it in every queue. Whatever they choose,
one keystroke (or a click) reveals a single image.

Stored in `ReviewerPreference.settings` under the keys below; other keys there are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.errors import Forbidden
from bastion.review.config import Wellness
from bastion.store.schema import ReviewerPreference

KEYS = ("blur_images", "greyscale_images")


@dataclass(frozen=True)
class Preferences:
    blur_images: bool | None = None  # None: as the queue says
    greyscale_images: bool | None = None


def preferences_of(session: Session, principal: Principal) -> Preferences:
    """The principal's own wellness preferences; the defaults for one without a user (an API key)."""
    if principal.user_pk is None:
        return Preferences()
    row = session.get(ReviewerPreference, principal.user_pk)
    stored = row.settings if row is not None else {}
    return Preferences(**{key: _flag(stored.get(key)) for key in KEYS})


def save_preferences(session: Session, principal: Principal, chosen: Preferences, *, now: datetime) -> Preferences:
    """Store the principal's own preferences; recorded in the audit log."""
    if principal.user_pk is None:
        raise Forbidden("preferences belong to people: log in, or use a user's API key")
    row = session.get(ReviewerPreference, principal.user_pk)
    values = {"blur_images": chosen.blur_images, "greyscale_images": chosen.greyscale_images}
    if row is None:
        row = ReviewerPreference(user_pk=principal.user_pk, settings={}, updated_at=now)
        session.add(row)
    # A new dict, so the JSON column sees the change.
    row.settings = {**{k: v for k, v in (row.settings or {}).items() if k not in KEYS}, **values}
    row.updated_at = now
    audit_log.record(
        session,
        principal=principal.name,
        action="preferences.update",
        target=f"user:{principal.display_name}",
        at=now,
        details=values,
    )
    return chosen


def effective_wellness(queue_default: Wellness, chosen: Preferences) -> Wellness:
    """What the console applies: the reviewer's choice where they made one, the queue's elsewhere."""
    return Wellness(
        blur_images=queue_default.blur_images if chosen.blur_images is None else chosen.blur_images,
        greyscale_images=queue_default.greyscale_images if chosen.greyscale_images is None else chosen.greyscale_images,
    )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None
