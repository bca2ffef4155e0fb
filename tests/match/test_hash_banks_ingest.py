"""Ingest hashes the images it is given (base64 data, or a local path where the setting allows) and
keeps their hash and quality, never the image; a platform's own PDQ hash still works; a featureless
image is not matched on."""

from __future__ import annotations

import base64
import io
import random
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.config import settings
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_now
from bastion.domain.subjects import IngestKind, ItemStatus
from bastion.ingest.service import ingest
from bastion.match.hash_banks import create_hash_bank, import_hashes
from bastion.match.pdq import hash_image
from bastion.store.database import Database
from bastion.store.schema import ContentItem
from tests.conftest import START


def picture(seed: int, *, blank: bool = False) -> bytes:
    rnd = random.Random(seed)
    image = Image.new("RGB", (320, 240), (200, 200, 200))
    if not blank:
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y, w, h = rnd.randrange(320), rnd.randrange(240), rnd.randrange(20, 140), rnd.randrange(20, 140)
            colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
            (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], fill=colour)
        image = image.filter(ImageFilter.GaussianBlur(3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _post(database: Database, clock: FrozenClock, media: list[dict[str, object]]) -> list[ItemStatus]:
    with database.transaction() as session:
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": "a1", "created_at": (START - timedelta(days=1)).isoformat()}],
            principal=SYSTEM.name,
            now=clock(),
        )
        result = ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": f"c{n}", "actor_id": "a1", "type": "image", "created_at": clock().isoformat(), "media": m}
                for n, m in enumerate(media)
            ],
            principal=SYSTEM.name,
            now=clock(),
        )
    return [o.status for o in result.outcomes]


def test_image_data_is_hashed_on_arrival_and_matched(database: Database, clock: FrozenClock) -> None:
    image, blank = picture(1), picture(2, blank=True)
    with database.transaction() as session:
        create_hash_bank(session, "known", principal=SYSTEM.name, now=clock())
        # The blank image's hash is banked too: it matches, but says too little to act on.
        import_hashes(
            session, "known", f"{hash_image(image).hex}\n{hash_image(blank).hex}", principal=SYSTEM.name, now=clock()
        )
        load_rule_text(
            session,
            "rules:\n  - name: known-image\n    mode: live\n    when: 'signals.hash.known.hit'\n"
            "    then:\n      - enqueue: {queue: general}\n",
            source="rules.yaml",
            principal=SYSTEM.name,
            now=clock(),
        )
    sent = [
        {"data": base64.b64encode(image).decode()},
        {"data": base64.b64encode(blank).decode()},
        {"pdq": hash_image(image).hex.upper()},
    ]
    assert _post(database, clock, sent) == [ItemStatus.CREATED] * 3
    verdicts = detect_now(database, ["c0", "c1", "c2"], clock())
    assert [v.signals["hash"]["known"]["hit"] for v in verdicts] == [True, False, True]
    with database.transaction() as session:
        stored = {c.external_id: (c.media_pdq, c.media_quality) for c in session.scalars(select(ContentItem))}
        assert stored["c0"] == (hash_image(image).hex, hash_image(image).quality)
        assert stored["c1"][1] is not None and stored["c1"][1] < 50
        assert stored["c2"] == (hash_image(image).hex, None)


def test_a_local_path_is_read_only_where_the_setting_allows(
    database: Database, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "upload.png"
    file.write_bytes(picture(3))
    with database.transaction() as session:
        refused = ingest(
            session,
            IngestKind.CONTENT,
            [
                {
                    "id": "c0",
                    "actor_id": "a1",
                    "type": "image",
                    "created_at": clock().isoformat(),
                    "media": {"path": str(file)},
                }
            ],
            principal=SYSTEM.name,
            now=clock(),
        )
    (outcome,) = refused.outcomes
    assert outcome.status is ItemStatus.ERROR
    assert "path: this server does not read images from local paths" in str(outcome.errors[0])
    monkeypatch.setenv("BASTION_MEDIA_PATHS", "true")
    settings.cache_clear()
    try:
        assert _post(database, clock, [{"path": str(file)}]) == [ItemStatus.CREATED]
        with database.transaction() as session:
            assert session.scalars(select(ContentItem.media_pdq)).one() == hash_image(file).hex
    finally:
        settings.cache_clear()


@pytest.mark.parametrize(
    ("media", "says"),
    [
        ({"data": "***"}, "data: must be base64"),
        ({"data": base64.b64encode(b"not an image").decode()}, "data: not an image Bastion can read"),
        ({"data": "AAAA", "pdq": "f" * 64}, "pdq: give a pdq hash or the image, not both"),
        ({"data": "AAAA", "path": "/x.png"}, "data: give the image's data or its path, not both"),
        ({"pdq": "f" * 64, "quality": 101}, "less than or equal to 100"),
    ],
)
def test_bad_images_are_refused_in_bastions_words(
    database: Database, clock: FrozenClock, media: dict[str, object], says: str
) -> None:
    with database.transaction() as session:
        result = ingest(
            session,
            IngestKind.CONTENT,
            [{"id": "c0", "actor_id": "a1", "type": "image", "created_at": clock().isoformat(), "media": media}],
            principal=SYSTEM.name,
            now=clock(),
        )
    (outcome,) = result.outcomes
    assert outcome.status is ItemStatus.ERROR and says in str(outcome.errors[0]), outcome.errors
