"""`bastion trends scan`: the detector on an external CSV series, as JSON and as a table, and bad files
refused with the line of every bad row."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

import pytest

from bastion.store.database import Database
from tests.cli.conftest import Bastion

UNUSED = "sqlite:///unused.db"  # the command reads no store


@pytest.fixture
def aapl(tmp_path: Path) -> Path:
    shipped = resources.files("bastion").joinpath("data", "nab", "realTweets", "Twitter_volume_AAPL.csv.gz")
    path = tmp_path / "aapl.csv"
    path.write_bytes(gzip.decompress(shipped.read_bytes()))
    return path


def test_json_lists_each_detection_with_the_files_timestamp_and_a_score(run_bastion: Bastion, aapl: Path) -> None:
    ran = run_bastion("trends", "scan", str(aapl), "--format", "json", url=UNUSED)
    assert ran.code == 0, ran.err
    detections = json.loads(ran.out)["detections"]
    stamps = {line.split(",")[0] for line in aapl.read_text().splitlines()[1:]}
    assert 5 <= len(detections) <= 60
    assert all(d["timestamp"] in stamps and 0 <= d["score"] <= 1 for d in detections)
    assert {d["kind"] for d in detections} <= {"spike", "level_shift"}
    # NAB's first labelled window on this file starts 2015-03-03 04:37:53: found within it.
    assert any("2015-03-03 04:37:53" <= d["timestamp"] <= "2015-03-04 13:37:53" for d in detections)


@pytest.mark.parametrize(
    ("shipped", "earlier"),
    [
        # Repeats 03:00 twelve times where its clock jumped an hour.
        ("realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv.gz", 0),
        # Its clock is set back an hour on 2014-01-07: eleven rows are stamped earlier than the one before.
        ("realKnownCause/machine_temperature_system_failure.csv.gz", 1),
    ],
)
def test_a_real_series_whose_clock_jumps_is_scanned_in_file_order(
    run_bastion: Bastion, tmp_path: Path, shipped: str, earlier: int
) -> None:
    data = resources.files("bastion").joinpath("data", "nab", *shipped.split("/"))
    path = tmp_path / "series.csv"
    path.write_bytes(gzip.decompress(data.read_bytes()))
    stamps = [line.split(",")[0] for line in path.read_text().splitlines()[1:]]
    assert len(stamps) - len(set(stamps)) >= 10
    ran = run_bastion("trends", "scan", str(path), "--format", "json", url=UNUSED)
    assert ran.code == 0, ran.err
    detections = json.loads(ran.out)["detections"]
    assert detections and all(d["timestamp"] in set(stamps) for d in detections)
    assert ("stamped earlier than the row before" in ran.err) == bool(earlier)


def test_named_columns_and_a_table(run_bastion: Bastion, tmp_path: Path) -> None:
    rows = ["day,clicks"] + [f"2024-01-{d:02d},{100 + d % 7}" for d in range(1, 31)] + ["2024-01-31,900"]
    path = tmp_path / "clicks.csv"
    path.write_text("\n".join(rows) + "\n")
    ran = run_bastion("trends", "scan", str(path), "--timestamp-col", "day", "--value-col", "clicks", url=UNUSED)
    assert ran.code == 0, ran.err
    assert "2024-01-31" in ran.out and "spike" in ran.out
    as_json = run_bastion(
        "trends", "scan", str(path), "--timestamp-col", "day", "--value-col", "clicks", "--format", "json", url=UNUSED
    )
    assert json.loads(as_json.out)["detections"][-1]["timestamp"] == "2024-01-31"


@pytest.mark.parametrize(
    ("content", "args", "said"),
    [
        (None, (), "no such file"),
        ("", (), "the file is empty"),
        (
            "when,value\n2024-01-01,1\n",
            (),
            "line 1: --timestamp-col: no column 'timestamp' in the header (columns: when, value)",
        ),
        ("timestamp,count\n2024-01-01,1\n", ("--value-col", "clicks"), "line 1: --value-col: no column 'clicks'"),
        (
            "timestamp,value\n2024-01-01,1\nyesterday,2\n2024-01-03,x\n2024-01-02,4\n",
            (),
            "line 3: timestamp: 'yesterday' is not a timestamp",
        ),
        ("timestamp,value\n2024-01-01,1\n2024-01-03,x\n", (), "line 3: value: 'x' is not a number"),
        ("timestamp,value\n2024-01-03,1\n2024-01-02,2\n2024-01-01,2\n", (), "the rows do not run forward in time"),
        ("timestamp,value\n2024-01-02,1\n", (), "a series needs at least two rows"),
    ],
)
def test_bad_files_are_refused_naming_the_line_and_the_reason(
    run_bastion: Bastion, tmp_path: Path, content: str | None, args: tuple[str, ...], said: str
) -> None:
    path = tmp_path / "series.csv"
    if content is not None:
        path.write_text(content)
    ran = run_bastion("trends", "scan", str(path), *args, "--format", "json", url=UNUSED)
    assert ran.code != 0 and ran.out == ""
    assert said in " ".join(ran.err.split())


def test_every_bad_row_is_reported_not_only_the_first(run_bastion: Bastion, tmp_path: Path) -> None:
    path = tmp_path / "series.csv"
    path.write_text("timestamp,value\n2024-01-01,1\n2024-01-02,?\n2024-01-03,3\n2024-01-04,nan\n")
    ran = run_bastion("trends", "scan", str(path), url=UNUSED)
    assert "2 bad rows" in ran.err and "line 3" in ran.err and "line 5" in ran.err


def test_run_scans_the_store_and_adds_no_duplicates(run_bastion: Bastion, sqlite_database: Database) -> None:
    from bastion.clock import system_clock
    from tests.insight.trends.planted import plant

    plant(sqlite_database, system_clock())
    first = run_bastion("trends", "run", "--format", "json", url=sqlite_database.url)
    assert first.code == 0, first.err
    done = json.loads(first.out)
    assert done["segments_scanned"] == 2 and done["added"] >= 2 and done["found"] == done["added"]
    again = run_bastion("trends", "run", "--format", "json", url=sqlite_database.url)
    assert json.loads(again.out)["added"] == 0
    table = run_bastion("trends", "run", url=sqlite_database.url)
    said = " ".join(table.out.split())
    assert "scanned 2 segments" in said and "0 new alerts" in said
    bad = run_bastion("trends", "run", "--since", "yesterday", url=sqlite_database.url)
    assert bad.code != 0 and "--since" in bad.err
