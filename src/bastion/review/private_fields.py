"""Private fields: the actor attributes a vendor reviewer must never see, wherever they sit.

Platforms send attributes as they keep them: `IP` or `ip`, `Email` at the top or `contact.email`
inside a nested object, lists of devices each with its own `ip`. A configured name therefore
matches a key whatever its case and at any depth, inside objects and lists alike. A name with dots
(`contact.email`) matches only that path of keys, also regardless of case. A matching key is
dropped with everything under it, so a private object cannot leak through its children.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def without_private_fields(attributes: dict[str, Any], private: Iterable[str]) -> dict[str, Any]:
    """A copy of `attributes` without any key `private` names (case-insensitive, at any depth)."""
    names: set[str] = set()
    paths: set[tuple[str, ...]] = set()
    for name in private:
        folded = tuple(part.casefold() for part in name.split("."))
        if len(folded) == 1:
            names.add(folded[0])
        else:
            paths.add(folded)
    return _object_without(attributes, names, paths, ())


def _object_without(
    value: dict[str, Any], names: set[str], paths: set[tuple[str, ...]], at: tuple[str, ...]
) -> dict[str, Any]:
    kept = {}
    for key, item in value.items():
        folded = str(key).casefold()
        path = (*at, folded)
        if folded not in names and path not in paths:
            kept[key] = _without(item, names, paths, path)
    return kept


def _without(value: Any, names: set[str], paths: set[tuple[str, ...]], at: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return _object_without(value, names, paths, at)
    if isinstance(value, list):
        # A list's items sit at the list's own path: `devices.ip` names the `ip` of every device.
        return [_without(item, names, paths, at) for item in value]
    return value
