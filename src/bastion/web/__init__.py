"""The web UI: server-rendered pages, each the twin of a JSON endpoint over the same service call."""
