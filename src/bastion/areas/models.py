"""Models: classifiers trained from Bastion's own decisions, external model endpoints, and their scores
as signals."""

from __future__ import annotations
