"""Matching: PDQ hash banks and their index, and near-duplicate clusters of text."""

from __future__ import annotations
