"""Policies: the harm taxonomy, read from YAML and versioned in the store."""
