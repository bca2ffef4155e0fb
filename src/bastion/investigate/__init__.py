"""Investigations: coordinated networks of actors (more to come: cases, the entity graph, evidence)."""
