"""Ratings: every judgement the quality report reads, as one relation.

One row is one label given to one item by one rater:

| column        | type             | what it is |
|---------------|------------------|------------|
| `item`        | int64            | the subject rated: a content item's pk (an account: minus its actor pk) |
| `rater`       | string           | a Bastion user's name, or an external rater's (imported) |
| `vendor`      | string, null     | the rater's vendor; null in-house |
| `queue`       | string, null     | the queue of the job decided (null: an import without one) |
| `label`       | string           | a policy id, "none", or a category name used consistently |
| `decided_at`  | timestamp (UTC)  | when |
| `source`      | string           | a `RatingSource`: review, qa, golden, import, calibration |
| `reference`   | string, null     | the known right answer (see below), or null |
| `decision_pk` | int64, null      | Bastion's decision (null for imports and calibration answers) |
| `overturned`  | bool, null       | overturned on appeal; false: appealed and upheld; null: never appealed |

`reference`: for a golden job, the golden item's answer ("none" for no violation); for a decision
sampled for QA, the label its blind QA re-review gave.

Withdrawn decisions (taken back within the undo window) and appeal verdicts are not ratings.
"""

from __future__ import annotations

import pyarrow as pa

RATINGS_SCHEMA = pa.schema(
    [
        ("item", pa.int64()),
        ("rater", pa.string()),
        ("vendor", pa.string()),
        ("queue", pa.string()),
        ("label", pa.string()),
        ("decided_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("reference", pa.string()),
        ("decision_pk", pa.int64()),
        ("overturned", pa.bool_()),
    ]
)
