"""Dashboards: the overview (the enforcement-report set and operations health) and one per policy,
market and queue, each a view model (`model.py`) built from the metrics layer (`service.dashboard`),
drawn on the server (`charts.py`) with its data as CSV. Import `service` where a dashboard is built:
it loads the metrics layer (Ibis, pandas), which a page's route loads on first use, not at start-up."""
