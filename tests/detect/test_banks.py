"""Banks in the store, on SQLite and PostgreSQL: create, import (checked whole), versions, banks in force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.detect.banks import (
    BankImport,
    bank_detail,
    banks_in_force,
    create_bank,
    entries_digest,
    import_entries,
    import_entry_list,
    list_banks,
)
from bastion.detect.keywords import KeywordMatch
from bastion.detect.normalise import fold
from bastion.detect.regexes import RegexMatch
from bastion.domain.detect import BankKind
from bastion.errors import Conflict, InvalidInput, NotFound
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, BankVersion

WHO = "analyst:ana"


def test_create_import_append_replace_and_read_back(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        created = create_bank(session, "spam_terms", BankKind.KEYWORD, "Follower sellers", principal=WHO, now=clock())
        assert (created.version, created.entry_count, created.updated_at) == (0, 0, None)
    text = "# follower sellers\n\nfree followers\n  buy likes  \nFR3E F0LLOWERS\n\\#ad\n"
    with database.transaction() as session:
        first = import_entries(
            session,
            "spam_terms",
            text,
            replace=False,
            principal=WHO,
            now=clock() + timedelta(minutes=1),
            source="a.txt",
        )
    assert first == BankImport("spam_terms", 1, 3, 3, ("FR3E F0LLOWERS",), replaced=False)
    with database.transaction() as session:
        second = import_entry_list(
            session, "spam_terms", ["cheap likes", "Buy Likes"], replace=False, principal=WHO, now=clock(), source="api"
        )
        assert (second.version, second.entry_count, second.added, second.duplicates) == (2, 4, 1, ("Buy Likes",))
        third = import_entries(session, "spam_terms", "dm me\n", replace=True, principal=WHO, now=clock(), source="b")
        assert (third.version, third.entry_count, third.replaced) == (3, 1, True)
    with database.transaction() as session:
        detail = bank_detail(session, "spam_terms")
        (summary,) = list_banks(session)
    assert detail.entries == ("dm me",) and detail.version == 3 and detail.kind is BankKind.KEYWORD
    assert [(v.version, v.entry_count, v.source, v.loaded_by) for v in detail.versions] == [
        (3, 1, "b", WHO),
        (2, 4, "api", WHO),
        (1, 3, "a.txt", WHO),
    ]
    assert detail.versions[0].digest == entries_digest(["dm me"])
    assert detail.versions[2].loaded_at == clock() + timedelta(minutes=1)
    assert (summary.name, summary.version, summary.entry_count, summary.description) == (
        "spam_terms",
        3,
        1,
        "Follower sellers",
    )
    with database.transaction() as session:
        version_two = session.scalars(select(BankVersion.entries).where(BankVersion.version == 2)).one()
    assert version_two == ["free followers", "buy likes", "#ad", "cheap likes"]  # the whole list, as written


def test_a_bad_line_names_its_line_and_nothing_is_written(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        create_bank(session, "contact", BankKind.REGEX, principal=WHO, now=clock())
        import_entries(session, "contact", "telegram\n", replace=False, principal=WHO, now=clock(), source="a")
    text = "ok\n(unclosed\n# fine\n" + "x" * 257 + "\n(?<=a)b\n"
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        import_entries(session, "contact", text, replace=True, principal=WHO, now=clock(), source="bad.txt")
    assert refused.value.message == "3 entries cannot go into bank 'contact'; nothing was imported"
    assert [str(error) for error in refused.value.errors] == [
        "line 2: RE2 refuses this pattern: missing ): (unclosed",
        "line 4: is 257 characters long; an entry holds at most 256",
        "line 5: RE2 refuses this pattern: invalid perl operator: (?<=",
    ]
    with database.transaction() as session:
        assert bank_detail(session, "contact").entries == ("telegram",)
        assert session.scalar(select(func.count()).select_from(BankVersion)) == 1


def test_keywords_that_fold_to_nothing_and_empty_list_entries_name_their_index(
    database: Database, clock: FrozenClock
) -> None:
    with database.transaction() as session:
        create_bank(session, "words", "keyword", principal=WHO, now=clock())
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        import_entry_list(
            session, "words", ["fine", "  ", "\u200b"], replace=False, principal=WHO, now=clock(), source=""
        )
    assert [(e.path, e.message) for e in refused.value.errors] == [
        ("entries[1]", "is empty"),
        ("entries[2]", "folds to nothing: a keyword needs at least one letter or digit"),
    ]


@pytest.mark.parametrize(
    ("name", "kind", "field"),
    [
        ("spam-terms", "keyword", "name"),  # CEL names cannot hold -
        ("spam.terms", "keyword", "name"),
        ("1spam", "keyword", "name"),
        ("Spam", "keyword", "name"),
        ("", "keyword", "name"),
        ("x" * 65, "keyword", "name"),
        ("spam", "hash", "kind"),
    ],
)
def test_bad_names_and_kinds_are_refused(
    database: Database, clock: FrozenClock, name: str, kind: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        create_bank(session, name, kind, principal=WHO, now=clock())
    (error,) = refused.value.errors
    assert error.path == field
    if field == "name":
        assert "signals.keyword.NAME" in error.message


def test_names_are_unique_across_kinds_and_unknown_banks_are_not_found(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        create_bank(session, "spam", BankKind.KEYWORD, principal=WHO, now=clock())
    with pytest.raises(Conflict, match="a bank named 'spam' already exists"), database.transaction() as session:
        create_bank(session, "spam", BankKind.REGEX, principal=WHO, now=clock())
    with pytest.raises(NotFound, match="there is no bank named 'nope'"), database.transaction() as session:
        import_entries(session, "nope", "x", replace=False, principal=WHO, now=clock(), source="")
    with pytest.raises(NotFound), database.transaction() as session:
        bank_detail(session, "nope")


def test_create_and_import_are_audited_without_the_entries(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        since = session.scalar(select(func.coalesce(func.max(AuditRecord.seq), 0)))
        create_bank(session, "spam", BankKind.KEYWORD, principal=WHO, now=clock())
        import_entries(session, "spam", "secret term\n", replace=False, principal=WHO, now=clock(), source="f")
    with database.transaction() as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.seq > since).order_by(AuditRecord.seq)).all()
    assert [(r.action, r.target, r.principal) for r in rows] == [
        ("bank.create", "bank:spam", WHO),
        ("bank.import", "bank:spam", WHO),
    ]
    assert rows[1].details == {"version": 1, "entries": 1, "added": 1, "replace": False}
    assert "secret term" not in str([r.details for r in rows])


def test_banks_in_force_are_compiled_once_per_version(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        create_bank(session, "spam", BankKind.KEYWORD, principal=WHO, now=clock())
        create_bank(session, "phones", BankKind.REGEX, principal=WHO, now=clock())
        empty = banks_in_force(session)
    assert empty.keyword["spam"].version == 0 and not empty.keyword_matches(fold("free"))["spam"].hit
    with database.transaction() as session:
        import_entries(session, "spam", "free followers\n", replace=False, principal=WHO, now=clock(), source="")
        import_entries(session, "phones", r"\+\d{6,}", replace=False, principal=WHO, now=clock(), source="")
        first = banks_in_force(session)
        again = banks_in_force(session)
    assert first.keyword["spam"] is again.keyword["spam"] and first.regex["phones"] is again.regex["phones"]
    assert first.keyword_matches(fold("fr3e f0ll0wers")) == {"spam": KeywordMatch(1, ("free followers",))}
    assert first.regex_matches("call +4412345678") == {"phones": RegexMatch(1, (r"\+\d{6,}",))}
    with database.transaction() as session:
        import_entries(session, "spam", "buy likes\n", replace=False, principal=WHO, now=clock(), source="")
        newer = banks_in_force(session)
    assert newer.keyword["spam"].version == 2 and newer.keyword["spam"] is not first.keyword["spam"]
    assert newer.regex["phones"] is first.regex["phones"]
    assert newer.keyword_matches(fold("buy likes"))["spam"].terms == ("buy likes",)


def test_a_stored_entry_this_version_refuses_is_left_out_not_fatal(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        create_bank(session, "legacy", BankKind.REGEX, principal=WHO, now=clock())
        import_entries(session, "legacy", "good\n", replace=False, principal=WHO, now=clock(), source="")
        # As if an older Bastion had accepted a pattern this one refuses.
        row = session.scalars(select(BankVersion)).one()
        row.entries = ["good", "(?<=a)b"]
        row.digest = entries_digest(row.entries)
    with database.transaction() as session:
        compiled = banks_in_force(session).regex["legacy"]
    assert compiled.patterns == ("good",) and compiled.matches("good").hit


def test_a_bank_holds_at_most_max_entries(
    database: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bastion.detect.banks.MAX_ENTRIES", 3)
    with database.transaction() as session:
        create_bank(session, "small", BankKind.KEYWORD, principal=WHO, now=clock())
        import_entries(session, "small", "a\nb\n", replace=False, principal=WHO, now=clock(), source="")
    too_many = "bank 'small' would hold 4 entries; a bank holds at most 3"
    with pytest.raises(InvalidInput, match=too_many), database.transaction() as session:
        import_entries(session, "small", "c\nd\n", replace=False, principal=WHO, now=clock(), source="")
    huge = "the import holds 4 entries; a bank holds at most 3"
    with pytest.raises(InvalidInput, match=huge), database.transaction() as session:
        import_entries(session, "small", "c\nd\ne\nf\n", replace=True, principal=WHO, now=clock(), source="")
