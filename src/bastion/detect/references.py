"""The context fields a CEL expression reads, found in its source, and the expression rewritten to read
them as flat variables.

Why rewrite: the CEL binding converts every value handed to it into CEL's own types, and that costs
about 2.5 µs for each string or list, so a nested context of a hundred fields costs more than a
hundred rules take to run. Detection therefore hands each rule set only the fields its rules read,
each as one top-level variable (`signals.velocity.actor_posts_1h` becomes
`signals__velocity__actor_posts_1h`), and rewrites the expressions to match. The walk looks at
identifiers outside string literals and comments: a dotted path from one of the context's roots, with
`["name"]` segments allowed; a root bound by a macro (`x` in `list.exists(x, …)`) is not one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bastion.detect.fields import Field, Group

ROOTS = ("content", "actor", "event", "signals")
SEPARATOR = "__"

# String and bytes literals (with r/b prefixes, triple or single quoted), comments, or an identifier.
_TOKEN = re.compile(
    r"""(?P<string>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"""|(?P<comment>//[^\n]*)"""
    r"""|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)""",
    re.DOTALL,
)
_MEMBER = re.compile(r"""\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\s*\[\s*(?:"([^"\\\n]*)"|'([^'\\\n]*)')\s*\]""")
_MACRO = re.compile(r"""\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,""")


@dataclass(frozen=True)
class Reference:
    """A path from a context root, and where it is written: `start` and `end` are offsets in the source,
    `segments` hold each segment's (name, offset of its name), `ends` where each segment's text ends."""

    segments: tuple[tuple[str, int], ...]
    ends: tuple[int, ...]
    start: int
    in_has: bool  # written as the argument of has(…), which needs a field selection

    @property
    def end(self) -> int:
        return self.ends[-1]

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.segments)


def macro_variables(source: str) -> set[str]:
    """The names that the macros of an expression bind (`x` in `list.exists(x, …)`)."""
    return {match.group(1) for match in _MACRO.finditer(_blank_literals(source))}


def references(source: str) -> Iterator[Reference]:
    """Every reference to the context in a CEL expression, in source order. (A macro variable named
    after a root hides that root inside the expression: the rule checker refuses such a name.)"""
    bound = macro_variables(source)
    for token in _TOKEN.finditer(source):
        name = token.group("ident")
        if name is None or name not in ROOTS or name in bound or _member_access(source, token.start()):
            continue
        segments, ends = [(name, token.start())], [token.end()]
        while (member := _MEMBER.match(source, ends[-1])) is not None:
            segment = member.group(1) or member.group(2) or member.group(3) or ""
            if member.group(1) is not None and source[member.end() :].lstrip().startswith("("):
                break  # a method call (`text.contains(…)`), not a field
            offset = member.start(1) if member.group(1) is not None else member.start()
            segments.append((segment, offset))
            ends.append(member.end())
        yield Reference(tuple(segments), tuple(ends), token.start(), _inside_has(source, token.start()))


def _blank_literals(source: str) -> str:
    """The source with string literals and comments blanked, so that macro look-ups see code only."""
    return _TOKEN.sub(lambda m: m.group(0) if m.group("ident") else " " * len(m.group(0)), source)


def _member_access(source: str, start: int) -> bool:
    """Whether the identifier at `start` follows a dot (`x.content` is a field of x, not the root)."""
    before = source[:start].rstrip()
    return before.endswith(".")


def _inside_has(source: str, start: int) -> bool:
    return re.search(r"\bhas\s*\(\s*$", source[:start]) is not None


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


def flatten(source: str, fields: Group) -> Flattened:
    """Rewrite `source` so that each reference to a leaf of `fields` reads its flat variable. A reference
    that stops at a group, or sits inside has(…), keeps its root's nested map instead."""
    pieces: list[str] = []
    leaves: set[tuple[str, ...]] = set()
    groups: set[str] = set()
    last = 0
    for reference in references(source):
        leaf = None if reference.in_has else leaf_of(reference.path, fields)
        if leaf is None:
            groups.add(reference.path[0])
            continue
        leaves.add(leaf)
        # Replace the leaf's own segments; whatever follows it (a field of an open map) stays.
        pieces.append(source[last : reference.start])
        pieces.append(flat_name(leaf))
        last = reference.ends[len(leaf) - 1]
    pieces.append(source[last:])
    return Flattened("".join(pieces), frozenset(leaves), frozenset(groups))


def nested_value(context: Mapping[str, object], path: tuple[str, ...]) -> object:
    """The value at `path` in a nested context map."""
    node: object = context
    for name in path:
        node = node[name]  # type: ignore[index]
    return node
