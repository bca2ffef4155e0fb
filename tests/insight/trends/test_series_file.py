"""Reading an external series: any valid file reads back exactly, in every timestamp form accepted."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.insight.trends.series_file import parse_timestamp, read_series

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_timestamp_forms() -> None:
    assert parse_timestamp("2015-02-26 21:42:53") == datetime(2015, 2, 26, 21, 42, 53, tzinfo=UTC)
    assert parse_timestamp("2015-02-26T21:42:53+02:00") == datetime(2015, 2, 26, 19, 42, 53, tzinfo=UTC)
    assert parse_timestamp("2015-02-26") == datetime(2015, 2, 26, tzinfo=UTC)
    assert parse_timestamp("1424987000") == datetime.fromtimestamp(1424987000, UTC)


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=60),
    values=st.data(),
    compressed=st.booleans(),
)
def test_a_valid_file_reads_back_exactly(gaps: list[int], values: st.DataObject, compressed: bool) -> None:
    stamps = [T0]
    for gap in gaps:
        stamps.append(stamps[-1] + timedelta(seconds=gap))
    numbers = values.draw(
        st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=len(stamps), max_size=len(stamps))
    )
    text = "value,when\n" + "".join(f"{v!r},{t.isoformat()}\n" for t, v in zip(stamps, numbers, strict=True))
    with TemporaryDirectory() as folder:
        path = Path(folder) / ("s.csv.gz" if compressed else "s.csv")
        path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
        found = read_series(path, timestamp_column="when", value_column="value")
    assert found.timestamps == stamps and found.values == numbers
    assert found.labels == [t.isoformat() for t in stamps]
