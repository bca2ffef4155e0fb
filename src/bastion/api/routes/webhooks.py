"""Webhook deliveries over REST: the dead-letter list and replay (admins)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
