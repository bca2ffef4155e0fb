"""The HTTP edge: the REST API under /api/v1 and the app that also serves the web UI."""
