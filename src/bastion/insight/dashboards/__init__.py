"""Dashboards: the overview (the enforcement-report set and operations health) and one per policy,
market and queue, each a view model built from the metrics layer (`service.dashboard`), drawn on the
server (`charts.py`) with its data as CSV."""

from bastion.insight.dashboards.model import KINDS, WINDOWS, Dashboard
from bastion.insight.dashboards.service import dashboard

__all__ = ["KINDS", "WINDOWS", "Dashboard", "dashboard"]
