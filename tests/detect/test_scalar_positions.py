"""Where a YAML scalar's characters are in its file, in every style a condition may be written."""

from __future__ import annotations

import json

import yaml
from hypothesis import given
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode

from bastion.detect.scalar_positions import LinePositions, value_indexes

WORDS = st.text(alphabet="abcxyz_.=&|<>()!0123456789 é", min_size=1, max_size=40).filter(lambda t: t.strip() == t)


def _scalar(text: str) -> ScalarNode:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, MappingNode)
    node = root.value[0][1]
    assert isinstance(node, ScalarNode)
    return node


@given(WORDS)
def test_every_character_of_a_quoted_value_is_found_where_it_is_written(value: str) -> None:
    for written in (json.dumps(value, ensure_ascii=False), "'" + value.replace("'", "''") + "'"):
        text = f"when: {written}\n"
        node = _scalar(text)
        indexes = value_indexes(text, node)
        assert [text[i] for i in indexes] == list(str(node.value))


@given(st.lists(WORDS, min_size=1, max_size=4))
def test_a_literal_block_maps_each_line_to_its_own_line(lines: list[str]) -> None:
    text = "when: |\n" + "".join(f"  {line}\n" for line in lines)
    node = _scalar(text)
    indexes = value_indexes(text, node)
    positions = LinePositions(text)
    value = str(node.value)
    for offset, index in enumerate(indexes):
        assert text[index] == value[offset]
        if value[offset] != "\n":
            line, _ = positions.at(index)
            assert line == 2 + value[:offset].count("\n")


def test_line_positions_count_every_kind_of_line_break() -> None:
    positions = LinePositions("a\r\nb\rc\nd\u2028e")
    assert [positions.at(i) for i in (0, 3, 5, 7, 9)] == [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]
