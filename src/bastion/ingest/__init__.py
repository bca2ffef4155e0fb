"""Ingest: validating and storing what the platform sends, once each, by its own id."""
