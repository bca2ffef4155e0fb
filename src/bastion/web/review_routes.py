"""Pages of review operations: the reviewer console and the supervisor view."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
