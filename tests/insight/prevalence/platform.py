"""A small platform for prevalence rounds, ingested as any platform's data is: one author, items of
which some violate `hate_speech` (the truth the labellers follow), their views, and a model's scores."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bastion.auth.principal import Principal
from bastion.auth.users import add_user, principal_of
from bastion.domain.access import Role
from bastion.domain.models import ModelKind, ModelMode
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.models.versions import add_version
from bastion.store.database import Database
from bastion.store.schema import ContentItem, ModelScore

ITEMS = 40
VIOLATING = frozenset(range(0, ITEMS, 5))  # every fifth item is hate speech
POLICY = "hate_speech"


def make_platform(database: Database, start: datetime) -> dict[str, bool]:
    """Items c0..c39 made on `start`, two views each on the next day (weights 1..4), and a model's
    score for every item but the last two; returns which items violate."""
    actor = {"id": "author-1", "created_at": (start - timedelta(days=30)).isoformat()}
    content = [
        {
            "id": f"c{i}",
            "actor_id": "author-1",
            "type": "post",
            "text": f"post number {i}",
            "language": "en",
            "country": "DE",
            "surface": "feed",
            "created_at": start.isoformat(),
        }
        for i in range(ITEMS)
    ]
    views = [
        {
            "id": f"v{i}-{k}",
            "content_id": f"c{i}",
            "viewed_at": (start + timedelta(hours=20 + k)).isoformat(),
            "weight": 1 + (i + k) % 4,
        }
        for i in range(ITEMS)
        for k in range(2)
    ]
    with database.transaction() as session:
        ingest(session, IngestKind.ACTORS, [actor], principal="test", now=start)
        ingest(session, IngestKind.CONTENT, content, principal="test", now=start)
        ingest(session, IngestKind.VIEWS, views, principal="test", now=start)
        model = add_version(
            session,
            name="hate_model",
            kind=ModelKind.SKLEARN,
            policy_id=POLICY,
            mode=ModelMode.SHADOW,
            config={"threshold": 0.5},
            card={},
            principal="test",
            now=start,
        )
        pks = {e: pk for e, pk in session.execute(select(ContentItem.external_id, ContentItem.pk))}
        for i in range(ITEMS - 2):
            score = 0.9 if i in VIOLATING else 0.05
            session.add(
                ModelScore(
                    model_version_pk=model.pk,
                    content_pk=pks[f"c{i}"],
                    score=score,
                    verdict="violating" if score >= 0.5 else "not_violating",
                    latency_ms=1.0,
                    scored_at=start,
                )
            )
    return {f"c{i}": i in VIOLATING for i in range(ITEMS)}


def labeller(database: Database, now: datetime, name: str = "labeller") -> Principal:
    with database.transaction() as session:
        user = add_user(session, name, roles=frozenset({Role.REVIEWER}), password=None, now=now)
        return principal_of(user, "test")
