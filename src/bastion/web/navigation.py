"""The navigation bar: entries that areas contribute through the `navigation` hook, filtered by permission."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bastion.auth.principal import Principal
from bastion.domain.access import Permission


@dataclass(frozen=True)
class NavItem:
    """One entry: shown to those holding `permission` (everyone logged in when None), ordered by `order`."""

    label: str
    href: str
    permission: Permission | None
    order: int = 100


def navigation_for(items: Iterable[NavItem], principal: Principal | None, path: str) -> list[dict[str, Any]]:
    if principal is None:
        return []
    visible = sorted(
        (i for i in items if i.permission is None or principal.can(i.permission)), key=lambda i: (i.order, i.label)
    )
    # The current item is the one whose address is the longest prefix of the path.
    matches = [i.href for i in visible if path == i.href or (i.href != "/" and path.startswith(i.href))]
    current = max(matches, key=len, default=None)
    return [{"label": i.label, "href": i.href, "current": i.href == current} for i in visible]
