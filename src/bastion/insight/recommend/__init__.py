"""Recommendations: evidence-backed proposals from every area's figures, ranked by their expected effect."""
