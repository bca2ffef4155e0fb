"""Test-only helpers: a throwaway PostgreSQL server and the Chromium used by browser tests."""
