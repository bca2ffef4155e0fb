"""The weekly report: one self-contained HTML file an operations review starts from."""

from bastion.insight.weekly.report import RecommendationLine, WeeklyReport, render, weekly_report, write_report

__all__ = ["RecommendationLine", "WeeklyReport", "render", "weekly_report", "write_report"]
