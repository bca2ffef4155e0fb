"""Streaming readers: records with their line numbers, bad lines reported, reading goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bastion.errors import InvalidInput
from bastion.ingest.readers import FileFormat, format_of, read_records


def test_jsonl_lines_keep_their_numbers_and_bad_lines_become_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a1"}\n\n{nope\n[1, 2]\n{"id": "a2"}\n', encoding="utf-8")
    records = list(read_records(path, FileFormat.JSONL))
    assert [(r.line, r.value) for r in records if r.value] == [(1, {"id": "a1"}), (5, {"id": "a2"})]
    errors = {r.line: r.error.message for r in records if r.error}
    assert set(errors) == {3, 4}
    assert "not valid JSON" in errors[3]
    assert "one JSON object" in errors[4]


def test_csv_nests_dotted_columns_parses_json_cells_and_drops_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "id,actor_id,type,text,media.url,attributes,views\n"
        'c1,a1,post,"hello, ""world""",,,3\n'
        'c2,a1,image,"two\nlines",https://x.test/i.png,"{""k"": 1}",\n'
        "c3,a1,post,x,,{broken,\n"
        "c4,a1,post,x,,,1,extra\n",
        encoding="utf-8",
    )
    records = list(read_records(path, FileFormat.CSV))
    values = {r.line: r.value for r in records if r.value}
    assert values[2] == {"id": "c1", "actor_id": "a1", "type": "post", "text": 'hello, "world"', "views": "3"}
    assert values[3]["media"] == {"url": "https://x.test/i.png"}
    assert values[3]["attributes"] == {"k": 1}
    assert values[3]["text"] == "two\nlines"
    errors = {r.line: (r.error.path, r.error.message) for r in records if r.error}
    assert errors[5][0] == "attributes"
    assert "more cells" in errors[6][1]


def test_parquet_rows_are_numbered_and_nulls_dropped(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    table = pa.table({"id": ["a1", "a2", "a3"], "country": ["BR", None, "DE"]})
    pq.write_table(table, path, row_group_size=2)
    records = list(read_records(path, FileFormat.PARQUET))
    assert [(r.line, r.value) for r in records] == [
        (1, {"id": "a1", "country": "BR"}),
        (2, {"id": "a2"}),
        (3, {"id": "a3", "country": "DE"}),
    ]


def test_unknown_suffix_and_damaged_parquet_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        format_of(tmp_path / "x.xlsx")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match="cannot read"):
        list(read_records(bad, FileFormat.PARQUET))


def test_a_large_jsonl_file_is_read_lazily(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(20_000):
            handle.write(json.dumps({"id": f"a{i}"}) + "\n")
    records = read_records(path, FileFormat.JSONL)
    first = next(iter(records))
    assert first.line == 1  # a generator: nothing past the first line had to be read
