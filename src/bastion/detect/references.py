"""A rule's condition rewritten to read the context as flat variables, and the fields it then needs.

Why rewrite: the CEL binding converts every value handed to it into CEL's own types, and that costs
about 2.5 µs for each string or list, so a nested context of a hundred fields costs more than a
hundred rules take to run. Detection therefore hands each rule set only the fields its rules read,
each as one top-level variable (`signals.velocity.actor_posts_1h` becomes
`signals__velocity__actor_posts_1h`), and rewrites the expressions to match. What an expression reads
is found by the rule checker's own walk (`conditions.reading`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.detect.conditions import reading
from bastion.detect.fields import Field, Group

ROOTS = ("content", "actor", "event", "signals")
SEPARATOR = "__"


def leaf_of(path: tuple[str, ...], fields: Group) -> tuple[str, ...] | None:
    """The longest prefix of `path` that names a leaf of the context (a Field), or None when the path
    stops at a group or leaves the context."""
    node: Field | Group = fields
    for depth, name in enumerate(path):
        if not isinstance(node, Group) or name not in node.fields:
            return None
        node = node.fields[name]
        if isinstance(node, Field):
            return path[: depth + 1]
    return None


def flat_name(leaf: tuple[str, ...]) -> str:
    return SEPARATOR.join(leaf)


@dataclass(frozen=True)
class Flattened:
    """An expression rewritten to read flat variables, and the fields it needs: `leaves` are read as flat
    variables, `groups` (roots read whole, as a map) are handed over nested."""

    source: str
    leaves: frozenset[tuple[str, ...]]
    groups: frozenset[str]


class ShadowedRoot(ValueError):
    """A macro variable named after a context root: inside the macro, the root cannot be read."""


def flatten(source: str, fields: Group) -> Flattened:
    """Rewrite `source` so that each reference to a leaf of `fields` reads its flat variable. A reference
    that stops at a group, or sits inside has(…), keeps its root's nested map instead; so does every
    root of an expression the walk cannot read (CEL's parser is then the judge)."""
    found = reading(source)
    if found is None:
        return Flattened(source, frozenset(), frozenset(ROOTS))
    shadowed = sorted({name for name, _ in found.macro_variables} & set(ROOTS))
    if shadowed:
        raise ShadowedRoot(f"a macro variable may not be named {shadowed[0]}")
    pieces: list[str] = []
    leaves: set[tuple[str, ...]] = set()
    groups: set[str] = set()
    last = 0
    for path in found.paths:
        if path.names[0] not in ROOTS:
            continue
        leaf = None if path.in_has else leaf_of(path.names, fields)
        if leaf is None:
            groups.add(path.names[0])
            continue
        leaves.add(leaf)
        # Replace the leaf's own segments; whatever follows it (a field of an open map) stays.
        pieces.append(source[last : path.start])
        pieces.append(flat_name(leaf))
        last = path.segments[len(leaf) - 1].end
    pieces.append(source[last:])
    return Flattened("".join(pieces), frozenset(leaves), frozenset(groups))
