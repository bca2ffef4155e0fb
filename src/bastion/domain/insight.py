"""Insight's states: what a trend alert is, where a prevalence round stands."""

from __future__ import annotations

from enum import StrEnum


class TrendKind(StrEnum):
    """What a trend alert found."""

    SPIKE = "spike"  # a short burst above the series' expected rhythm
    LEVEL_SHIFT = "level_shift"  # a lasting change of level
    EMERGING_TERM = "emerging_term"  # a term far more frequent now than in its baseline


class PrevalenceRoundStatus(StrEnum):
    """A prevalence round is labelling until every sampled view is decided, then it can be estimated."""

    LABELLING = "labelling"
    DONE = "done"
