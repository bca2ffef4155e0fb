"""Review configuration in the store: each load is a new version; jobs pin the version that routed them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.errors import ConfigurationError
from bastion.review.config import ReviewConfig
from bastion.store.database import store_of
from bastion.store.newest import NewestVersion
from bastion.store.schema import ReviewConfig as ReviewConfigRow


@dataclass(frozen=True)
class LoadedConfig:
    version: int
    config: ReviewConfig


_parsed: dict[tuple[str, int], ReviewConfig] = {}  # (store url, version) -> parsed; versions never change
_newest: NewestVersion[int] = NewestVersion()


def load_review_config(
    session: Session, config: ReviewConfig, *, source: str, principal: str, now: datetime
) -> LoadedConfig | None:
    """Store `config` as a new version, unless it equals the newest; returns the new version or None.

    A new version is recorded in the audit log."""
    document = json.loads(config.model_dump_json())
    newest = session.scalars(select(ReviewConfigRow).order_by(ReviewConfigRow.version.desc()).limit(1)).first()
    if newest is not None and newest.document == document:
        return None
    version = (newest.version if newest else 0) + 1
    session.add(
        ReviewConfigRow(version=version, document=document, source=source[-512:], loaded_at=now, loaded_by=principal)
    )
    session.flush()
    _newest.forget(session)
    audit_log.record(
        session, principal=principal, action="review_config.load", target=source, at=now, details={"version": version}
    )
    return LoadedConfig(version, config)


def current_review_config(session: Session) -> LoadedConfig:
    """The newest version (looked up at most every couple of seconds, see `bastion.store.newest`)."""
    version = _newest.get(session, _newest_version)
    return LoadedConfig(version, review_config_version(session, version))


def _newest_version(session: Session) -> int:
    found = session.scalar(select(func.max(ReviewConfigRow.version)))
    if found is None:
        raise ConfigurationError("no review configuration loaded: run `bastion init` or `bastion queues load FILE`")
    return int(found)


def review_config_version(session: Session, version: int) -> ReviewConfig:
    key = (store_of(session), version)
    cached = _parsed.get(key)
    if cached is None:
        document = session.scalar(select(ReviewConfigRow.document).where(ReviewConfigRow.version == version))
        if document is None:
            raise ConfigurationError(f"review configuration version {version} does not exist")
        cached = ReviewConfig.model_validate(document)
        _parsed[key] = cached
    return cached
