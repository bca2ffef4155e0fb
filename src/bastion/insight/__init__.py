"""Insight: the metrics layer (one Ibis definition per metric, run on DuckDB, PostgreSQL, Parquet or
Spark), prevalence measurement, trends and emerging terms, ranked recommendations, the read-only SQL
console, dashboards, exports and the weekly report."""
