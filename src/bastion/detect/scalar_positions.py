"""Where the characters of a YAML scalar are in its file: what lets a problem found inside a rule's
condition (an offset in the parsed text) be reported at a line and column of the file, however the
condition was written (plain, quoted, or as a `|` or `>` block)."""

from __future__ import annotations

import bisect
import re

from yaml.nodes import ScalarNode

_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


class LinePositions:
    """Character offsets of the file as 1-based (line, column), counting line breaks as YAML does."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [found.end() for found in _LINE_BREAK.finditer(text)]

    def at(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1


def value_indexes(text: str, node: ScalarNode) -> list[int]:
    """Where each character of a scalar's value is in the file.

    The value is walked along the source: a character of the value is found in the source after
    skipping what YAML drops (the quotes, indentation, folded line breaks, a backslash of an escape).
    An escape whose value differs from its text (`\\t`) is placed at its backslash.
    """
    start, end = node.start_mark.index, node.end_mark.index
    if node.style in ("|", ">"):
        header_end = text.find("\n", start, end)
        start = header_end + 1 if header_end >= 0 else end
    elif node.style in ('"', "'"):
        start += 1
    skippable = " \t\r\n\\\"'"
    indexes: list[int] = []
    at = start
    for character in str(node.value):
        look = at
        while look < end and text[look] != character and text[look] in skippable:
            look += 2 if text[look] == "\\" and node.style == '"' else 1
        if look < end and text[look] == character:
            indexes.append(look)
            at = look + 1
        else:
            indexes.append(min(at, max(end - 1, start)))
            at += 2 if at < end and text[at] == "\\" and node.style == '"' else 1
    return indexes
