"""Model versions in the store: adding one (a trained classifier or a registered endpoint), the versions
in force, changing a model's mode. Each change records its audit row in the caller's transaction.

A name has one version in force: the newest not retired. Adding a version retires the one before, so
scores always name the version that gave them. Changing the mode keeps the version (the model is the
same), and is audited.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.domain.models import ModelKind, ModelMode
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.policy.service import current_policies
from bastion.store.schema import ModelVersion

MODEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*")


def check_name(name: str) -> None:
    if not MODEL_NAME.fullmatch(name):
        raise InvalidInput(
            "bad model name",
            [
                FieldError(
                    "name",
                    "must be 1 to 64 lower-case letters, digits and _, starting with a letter "
                    f"(rules read it as signals.model.<name>), got {name[:80]!r}",
                )
            ],
        )


def check_policy(session: Session, policy_id: str) -> None:
    if policy_id not in current_policies(session):
        raise InvalidInput("unknown policy", [FieldError("policy", f"no live policy {policy_id[:128]!r}")])


def default_name(policy_id: str) -> str:
    """The model name a policy's classifier gets unless one is given: `hate_speech.slurs` → `hate_speech_slurs`."""
    return policy_id.replace(".", "_")


def add_version(
    session: Session,
    *,
    name: str,
    kind: ModelKind,
    policy_id: str,
    mode: ModelMode,
    config: Mapping[str, Any],
    card: Mapping[str, Any],
    principal: str,
    now: datetime,
    artefact: bytes | None = None,
) -> ModelVersion:
    """Store a new version of `name` (the first is 1), retiring the one in force."""
    check_name(name)
    check_policy(session, policy_id)
    newest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name)) or 0
    for previous in session.scalars(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.retired_at.is_(None))
    ):
        previous.retired_at = now
    row = ModelVersion(
        name=name,
        version=int(newest) + 1,
        kind=kind.value,
        policy_id=policy_id,
        mode=mode.value,
        artefact=artefact,
        artefact_sha256=hashlib.sha256(artefact).hexdigest() if artefact is not None else None,
        config=dict(config),
        card=dict(card),
        created_at=now,
        created_by=principal,
    )
    session.add(row)
    session.flush()
    audit_log.record(
        session,
        principal=principal,
        action="model.add",
        target=f"model:{name}@{row.version}",
        at=now,
        details={"kind": kind.value, "policy": policy_id, "mode": mode.value},
    )
    return row


def in_force(session: Session) -> list[ModelVersion]:
    """The version in force of every model (any mode), by name."""
    return list(
        session.scalars(select(ModelVersion).where(ModelVersion.retired_at.is_(None)).order_by(ModelVersion.name))
    )


def find_version(session: Session, name: str, version: int | None = None) -> ModelVersion:
    """A model's version in force (or the numbered version, retired or not)."""
    if not MODEL_NAME.fullmatch(name) or (version is not None and not 1 <= version <= MAX_VERSION):
        raise NotFound(f"no model {name[:64]!r}" + (f" version {version}" if version is not None else " in force"))
    query = select(ModelVersion).where(ModelVersion.name == name)
    if version is None:
        query = query.where(ModelVersion.retired_at.is_(None))
    else:
        query = query.where(ModelVersion.version == version)
    row = session.scalar(query.order_by(ModelVersion.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"no model {name[:64]!r}" + (f" version {version}" if version is not None else " in force"))
    return row


def set_mode(session: Session, name: str, mode: ModelMode, *, principal: str, now: datetime) -> ModelVersion:
    """Put the model in force under `name` live, in shadow or off."""
    row = find_version(session, name)
    before = row.mode
    row.mode = mode.value
    audit_log.record(
        session,
        principal=principal,
        action="model.mode",
        target=f"model:{name}@{row.version}",
        at=now,
        details={"from": before, "to": mode.value},
    )
    return row


def models_generation(session: Session) -> tuple[tuple[int, str], ...]:
    """Changes when a version is added, retired or changes mode: the model signal group is then rebuilt."""
    return tuple(
        (int(pk), str(mode))
        for pk, mode in session.execute(
            select(ModelVersion.pk, ModelVersion.mode)
            .where(ModelVersion.retired_at.is_(None))
            .order_by(ModelVersion.pk)
        )
    )


MAX_TIMEOUT_SECONDS = 60.0
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


def register_endpoint(
    session: Session,
    *,
    name: str,
    kind: ModelKind,
    policy_id: str,
    url: str,
    principal: str,
    now: datetime,
    timeout_seconds: float = 2.0,
    threshold: float = 0.5,
    model: str | None = None,
    api_key_env: str | None = None,
    mode: ModelMode = ModelMode.SHADOW,
) -> ModelVersion:
    """Add a version of `name` that scores through an external endpoint (`http` or `prompt`)."""
    problems = []
    if kind is ModelKind.SKLEARN:
        problems.append(FieldError("kind", "an endpoint is http or prompt; train the built-in classifier instead"))
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url) or len(url) > 2048 or not _PRINTABLE.fullmatch(url):
        problems.append(FieldError("url", "must be an http:// or https:// address of at most 2,048 characters"))
    if not 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS:
        problems.append(FieldError("timeout_seconds", f"must be more than 0 and at most {MAX_TIMEOUT_SECONDS:g}"))
    if not 0 <= threshold <= 1:
        problems.append(FieldError("threshold", "must be from 0 to 1"))
    if model is not None and not _PRINTABLE.fullmatch(model):
        problems.append(FieldError("model", "must not hold control characters"))
    if api_key_env is not None and not _ENV_NAME.fullmatch(api_key_env):
        problems.append(FieldError("api_key_env", "must be the name of an environment variable (A-Z, 0-9, _)"))
    if problems:
        raise InvalidInput("bad model endpoint", problems)
    config: dict[str, Any] = {"url": url, "timeout_seconds": timeout_seconds, "threshold": threshold}
    if model:
        config["model"] = model
    if api_key_env:
        config["api_key_env"] = api_key_env
    card = {
        "policy": policy_id,
        "registered_at": now.isoformat(),
        "data": "an external model: what it was trained on is its provider's to say",
        "known_gaps": ["Not trained by Bastion: measure its agreement with reviewers in shadow before going live."],
    }
    return add_version(
        session,
        name=name,
        kind=kind,
        policy_id=policy_id,
        mode=mode,
        config=config,
        card=card,
        principal=principal,
        now=now,
    )
