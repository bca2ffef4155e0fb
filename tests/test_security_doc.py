"""docs/security.md's permission table names every permission with exactly the roles that hold it."""

from __future__ import annotations

import re
from pathlib import Path

from bastion.domain.access import ROLE_PERMISSIONS, Permission, Role

DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"


def _table() -> dict[str, set[str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Permission |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    roles = [cell.strip() for cell in lines[start].strip("|").split("|")][1:-1]
    rows: dict[str, set[str]] = {}
    for line in lines[start + 2 : end]:
        found = re.match(r"\| `([a-z_.]+)` \|", line)
        if found:
            cells = [cell.strip() for cell in line.strip("|").split("|")][1 : 1 + len(roles)]
            rows[found.group(1)] = {role for role, cell in zip(roles, cells, strict=True) if cell == "✓"}
    return rows


def test_every_permission_is_in_the_table_with_the_roles_that_hold_it() -> None:
    table = _table()
    granted = {p.value: {r.value for r in Role if p in ROLE_PERMISSIONS[r]} for p in Permission}
    assert table == granted


SOURCE = Path(__file__).resolve().parents[1] / "src" / "bastion"


def test_every_audit_action_the_code_records_is_documented() -> None:
    """Each `action="..."` an audit row is written with (and the SQL console's two) has a row in the doc's
    tables of what is recorded."""
    recorded = {"sql.run", "sql.refused"}
    for module in SOURCE.rglob("*.py"):
        recorded.update(re.findall(r'action="([a-z_]+\.[a-z_]+)"', module.read_text(encoding="utf-8")))
    documented = set(re.findall(r"`([a-z_]+\.[a-z_<>]+)`", DOC.read_text(encoding="utf-8")))
    assert recorded - documented == set()
