"""Path parameters shared by the API and the pages.

Row ids are 64-bit integers in the store. A larger number, zero or a negative one can name no row: it is
refused as invalid input (422) before any query runs, instead of overflowing the database driver (500).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from bastion.ingest.payloads import MAX_INTEGER

MAX_ROW_ID = MAX_INTEGER

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id: a whole number from 1 to 2^63 - 1")]
