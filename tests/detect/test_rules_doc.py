"""docs/rules.md tells the truth: its field table is fields.py's, its examples check, its output is real."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bastion.detect.checking import check_rules, known_names
from bastion.detect.fields import Field, Group, context_fields
from bastion.store.database import Database
from bastion.store.schema import Bank
from tests.cli.test_rules import PLANTED
from tests.conftest import START

DOC = Path(__file__).parents[2] / "docs" / "rules.md"


def _rows(group: Group, prefix: str = "") -> Iterator[str]:
    for name, node in group.fields.items():
        if isinstance(node, Field):
            yield f"| `{prefix}{name}` | {node.type} | {node.doc} |"
        else:
            yield from _rows(node, f"{prefix}{name}.")


def field_table() -> str:
    rows = _rows(context_fields(keyword_banks=["<bank>"], regex_banks=["<bank>"]))
    return "\n".join(["| Field | Type | Meaning |", "|---|---|---|", *rows])


def _section(start: str, end: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(start) : text.index(end, text.index(start))]


def test_the_field_table_is_generated_from_fields_py() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- fields:start[^>]*-->\n(.*?)\n<!-- fields:end -->", text, re.DOTALL)
    assert found is not None, "docs/rules.md has lost its fields markers"
    assert found.group(1) == field_table(), "regenerate the table in docs/rules.md:\n" + field_table()


def test_the_examples_check_against_the_default_store(database: Database) -> None:
    example = _section("## Examples", "\n```\n")
    yaml_text = example[example.index("```yaml\n") + len("```yaml\n") :] + "\n"
    with database.transaction() as session:
        session.add(Bank(name="slurs", kind="keyword", created_at=START, created_by="t"))
        session.add(Bank(name="threat-terms", kind="keyword", created_at=START, created_by="t"))
    with database.transaction() as session:
        known = known_names(session)
    assert check_rules(yaml_text, "examples.yaml", known) == []


def test_the_check_output_shown_is_what_the_checker_prints(database: Database) -> None:
    console = _section("$ bastion rules check spam.yaml", "$ echo")
    shown = [line for line in console.splitlines()[1:] if line.startswith("spam.yaml:") and "errors" not in line]
    with database.transaction() as session:
        printed = [str(d) for d in check_rules(PLANTED, "spam.yaml", known_names(session))]
    assert shown == printed
