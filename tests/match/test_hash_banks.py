"""Hash banks on a real store: matching as a signal, allow banks, flood quarantine, and retroactive
matches that open their jobs exactly once."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.match import HashBankKind, MatchStatus
from bastion.domain.subjects import IngestKind
from bastion.errors import Conflict, InvalidInput, NotFound
from bastion.ingest.service import ingest
from bastion.match.hash_banks import (
    FloodLimit,
    create_hash_bank,
    import_hashes,
    list_hash_banks,
    remove_hashes,
    set_enabled,
    set_threshold,
)
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, DetectionVerdict, EnforcementAction, HashMatch, Job, RuleHit
from tests.conftest import START

RULES = """
rules:
  - name: known-abuse-image
    mode: live
    policy: spam.commercial_spam
    when: 'signals.hash.known_spam.hit'
    then:
      - act: {action: remove}
  - name: flooded-hash
    mode: live
    when: 'signals.hash.flooded'
    then:
      - enqueue: {queue: general}
"""


def _hash(seed: int) -> str:
    return random.Random(seed).randbytes(32).hex()


def _near(hex_hash: str, bits: int) -> str:
    value = int(hex_hash, 16)
    for bit in range(bits):
        value ^= 1 << (bit * 7)
    return f"{value:064x}"


def _prepare(database: Database, clock: FrozenClock, *, flood: FloodLimit | None = None) -> None:
    with database.transaction() as session:
        create_hash_bank(
            session, "known_spam", policy_id="spam.commercial_spam", flood=flood, principal=SYSTEM.name, now=clock()
        )
        create_hash_bank(session, "fine_memes", kind=HashBankKind.ALLOW, principal=SYSTEM.name, now=clock())
        load_rule_text(session, RULES, source="rules.yaml", principal=SYSTEM.name, now=clock())
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": "a1", "created_at": (START - timedelta(days=1)).isoformat()}],
            principal=SYSTEM.name,
            now=clock(),
        )


def _post(database: Database, clock: FrozenClock, items: list[tuple[str, str]]) -> None:
    with database.transaction() as session:
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": cid, "actor_id": "a1", "type": "image", "created_at": clock().isoformat(), "media": {"pdq": pdq}}
                for cid, pdq in items
            ],
            principal=SYSTEM.name,
            now=clock(),
        )


def _detect_all(database: Database, clock: FrozenClock) -> None:
    worker = DetectionWorker(database, detect_for_worker, clock, batch=50)
    while worker.run_once():
        pass


def _actions(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(EnforcementAction)) or 0)


def test_a_match_within_the_threshold_is_a_hit_that_rules_act_on(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    banked = _hash(1)
    with database.transaction() as session:
        done = import_hashes(session, "known_spam", f"{banked}\n", principal=SYSTEM.name, now=clock())
        assert (done.added, done.retroactive_matches) == (1, 0)
    _post(database, clock, [("near", _near(banked, 30)), ("far", _near(banked, 32)), ("none", _hash(2))])
    _detect_all(database, clock)
    with database.transaction() as session:
        signals = {v.content_pk: v.signals["hash"]["known_spam"] for v in session.scalars(select(DetectionVerdict))}
        hits = sorted(signal["distance"] for signal in signals.values() if signal["hit"])
        assert hits == [30]
        assert sorted(s["distance"] for s in signals.values()) == [30, 256, 256]
        match = session.scalars(select(HashMatch)).one()
        assert (match.distance, match.status, match.retroactive) == (30, MatchStatus.HIT, False)
    assert _actions(database) == 1
    # A tighter threshold: the same image no longer matches.
    with database.transaction() as session:
        set_threshold(session, "known_spam", 20, principal=SYSTEM.name, now=clock())
    _post(database, clock, [("near-again", _near(banked, 30))])
    _detect_all(database, clock)
    assert _actions(database) == 1


def test_an_allow_bank_suppresses_the_hits_of_match_banks(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    meme = _hash(3)
    with database.transaction() as session:
        import_hashes(session, "known_spam", meme, principal=SYSTEM.name, now=clock())
        import_hashes(session, "fine_memes", _near(meme, 4), principal=SYSTEM.name, now=clock())
    _post(database, clock, [("meme", _near(meme, 2))])
    _detect_all(database, clock)
    with database.transaction() as session:
        verdict = session.scalars(select(DetectionVerdict)).one()
        assert verdict.signals["hash"]["known_spam"]["hit"] is False
        assert verdict.signals["hash"]["allowed"] is True
        statuses = {(m.bank_pk, m.status) for m in session.scalars(select(HashMatch))}
        assert {status for _, status in statuses} == {MatchStatus.SUPPRESSED, MatchStatus.HIT}
    assert _actions(database) == 0
    # The allow bank disabled: the same image is a hit again.
    with database.transaction() as session:
        set_enabled(session, "fine_memes", False, principal=SYSTEM.name, now=clock())
    _post(database, clock, [("meme-2", _near(meme, 2))])
    _detect_all(database, clock)
    assert _actions(database) == 1


def test_a_flooding_hash_is_held_for_review_instead_of_acted_on(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock, flood=FloodLimit(2, 3600))
    logo = _hash(4)
    with database.transaction() as session:
        import_hashes(session, "known_spam", logo, principal=SYSTEM.name, now=clock())
    _post(database, clock, [(f"c{n}", _near(logo, n)) for n in range(5)])
    _detect_all(database, clock)
    with database.transaction() as session:
        statuses = [m.status for m in session.scalars(select(HashMatch).order_by(HashMatch.content_pk))]
        assert statuses == [MatchStatus.HIT] * 2 + [MatchStatus.QUARANTINED] * 3
        held = list(session.scalars(select(Job).where(Job.rule_id == "hash_flood:known_spam")))
        assert len(held) == 3 and {job.policy_hint for job in held} == {"spam.commercial_spam"}
    assert _actions(database) == 2  # the two before the flood; the rest wait for a reviewer
    # An hour on, the window is clear: the hash acts again.
    clock.advance(timedelta(hours=1, seconds=1))
    _post(database, clock, [("later", logo)])
    _detect_all(database, clock)
    assert _actions(database) == 3


def test_a_newly_banked_hash_matches_stored_content_and_opens_its_jobs_exactly_once(
    database: Database, clock: FrozenClock
) -> None:
    _prepare(database, clock)
    old = _hash(5)
    _post(database, clock, [("before", _near(old, 10)), ("unrelated", _hash(6))])
    _detect_all(database, clock)
    assert _actions(database) == 0
    clock.advance(timedelta(minutes=5))
    with database.transaction() as session:
        done = import_hashes(session, "known_spam", old, principal=SYSTEM.name, now=clock())
        assert (done.retroactive_matches, done.items_rechecked) == (1, 1)
    with database.transaction() as session:
        again = import_hashes(session, "known_spam", f"{old}\n{old}\n", principal=SYSTEM.name, now=clock())
        assert (again.added, again.already_present, again.retroactive_matches) == (0, 2, 0)
    assert _actions(database) == 1
    with database.transaction() as session:
        match = session.scalars(select(HashMatch)).one()
        assert match.retroactive is True
        hit = session.scalars(select(RuleHit)).one()
        assert hit.rule_name == "known-abuse-image"
        verdict = session.get_one(DetectionVerdict, match.content_pk)
        assert verdict.signals["hash"]["known_spam"]["hit"] is True and verdict.hits == 1
    # Removed and banked again: a new entry, but the rule has hit the item already.
    with database.transaction() as session:
        assert remove_hashes(session, "known_spam", [old], principal=SYSTEM.name, now=clock()) == 1
        import_hashes(session, "known_spam", old, principal=SYSTEM.name, now=clock())
    assert _actions(database) == 1
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RuleHit)) == 1
        actions = {a.action for a in session.scalars(select(AuditRecord)) if a.action.startswith("hash_bank.")}
        assert actions == {"hash_bank.create", "hash_bank.import", "hash_bank.remove"}


def test_bad_settings_and_unknown_banks_are_refused(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    with database.transaction() as session:
        with pytest.raises(InvalidInput) as bad:
            create_hash_bank(
                session, "Bad-Name", kind="deny", threshold=300, policy_id="nope", principal=SYSTEM.name, now=clock()
            )
        assert [e.path for e in bad.value.errors] == ["name", "kind", "threshold", "policy"]
        with pytest.raises(Conflict):
            create_hash_bank(session, "known_spam", principal=SYSTEM.name, now=clock())
        with pytest.raises(NotFound):
            import_hashes(session, "missing", _hash(1), principal=SYSTEM.name, now=clock())
        with pytest.raises(InvalidInput):
            create_hash_bank(session, "flooded", principal=SYSTEM.name, now=clock())
        names = [bank.name for bank in list_hash_banks(session)]
        assert names == ["fine_memes", "known_spam"]


def test_two_imports_racing_over_one_item_act_on_it_once(database: Database, clock: FrozenClock) -> None:
    """The same image banked in two banks at once, each import in its own transaction and thread: the
    rule reading either bank hits the item once, whichever import commits first."""
    _prepare(database, clock)
    with database.transaction() as session:
        create_hash_bank(session, "more_spam", policy_id="spam.commercial_spam", principal=SYSTEM.name, now=clock())
        load_rule_text(
            session,
            RULES.replace("signals.hash.known_spam.hit", "signals.hash.known_spam.hit || signals.hash.more_spam.hit"),
            source="rules.yaml",
            principal=SYSTEM.name,
            now=clock(),
        )
    image = _hash(9)
    _post(database, clock, [("posted", _near(image, 3))])
    _detect_all(database, clock)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def bank(name: str) -> None:
        try:
            start.wait()
            with database.transaction() as session:
                import_hashes(session, name, image, principal=SYSTEM.name, now=clock())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=bank, args=(name,)) for name in ("known_spam", "more_spam")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(HashMatch)) == 2
        assert [h.rule_name for h in session.scalars(select(RuleHit))] == ["known-abuse-image"]
    assert _actions(database) == 1


def test_a_disabled_bank_reads_as_no_match_and_its_rules_keep_running(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    banked = _hash(10)
    with database.transaction() as session:
        import_hashes(session, "known_spam", banked, principal=SYSTEM.name, now=clock())
        set_enabled(session, "known_spam", False, principal=SYSTEM.name, now=clock())
    _post(database, clock, [("while-disabled", banked)])
    _detect_all(database, clock)
    with database.transaction() as session:
        verdict = session.scalars(select(DetectionVerdict)).one()
        assert verdict.signals["hash"]["known_spam"] == {"hit": False, "distance": 256, "count": 0, "labels": []}
        assert verdict.rule_errors == {}
    assert _actions(database) == 0


def test_an_import_larger_than_a_statements_parameter_limit_still_matches_stored_content(
    database: Database, clock: FrozenClock
) -> None:
    # A statement takes at most 65,535 parameters on PostgreSQL (250,000 on SQLite); the retroactive
    # match reads the new entries in slices, so an import of more new hashes matches like a small one.
    _prepare(database, clock)
    old = _hash(5)
    _post(database, clock, [("before", _near(old, 3))])
    _detect_all(database, clock)
    noise = random.Random(11)
    lines = [noise.randbytes(32).hex() for _ in range(260_000)]
    with database.transaction() as session:
        done = import_hashes(session, "known_spam", "\n".join([*lines, old]), principal=SYSTEM.name, now=clock())
    assert done.added == 260_001
    assert (done.retroactive_matches, done.items_rechecked) == (1, 1)
    assert _actions(database) == 1
