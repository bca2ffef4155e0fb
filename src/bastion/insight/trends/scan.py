"""`bastion trends scan`: the detector on an external series read from a CSV file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bastion.errors import InvalidInput
from bastion.insight.trends.detector import detect
from bastion.insight.trends.series_file import read_series


@dataclass(frozen=True)
class ScannedDetection:
    timestamp: str  # as the file wrote it
    score: float
    kind: str
    observed: float
    expected: float

    def as_json(self) -> dict[str, str | float]:
        return {"timestamp": self.timestamp, "score": self.score, "kind": self.kind}


@dataclass(frozen=True)
class ScanResult:
    rows: int
    detections: list[ScannedDetection]
    earlier_rows: int = 0  # rows stamped earlier than the row before them, scanned in file order

    def as_json(self) -> dict[str, object]:
        return {"detections": [d.as_json() for d in self.detections]}


def scan_file(path: Path, timestamp_column: str = "timestamp", value_column: str = "value") -> ScanResult:
    """Read the series in `path` and return its detections, each at the row where it was made."""
    series = read_series(path, timestamp_column, value_column)
    try:
        found = detect(series.timestamps, series.values)
    except InvalidInput as refused:  # the file read, but its series cannot be scanned: say which file
        raise InvalidInput(f"{path}: cannot be scanned", refused.errors) from None
    return ScanResult(
        rows=len(series.values),
        earlier_rows=series.earlier_rows,
        detections=[
            ScannedDetection(
                timestamp=series.labels[d.index],
                score=d.score,
                kind=d.kind.value,
                observed=round(d.observed, 6),
                expected=round(d.expected, 6),
            )
            for d in found
        ],
    )
