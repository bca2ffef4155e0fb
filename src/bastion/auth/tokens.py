"""Random secrets and their stored form. Only hashes are stored; a secret is shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "bst_"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 is enough here: the secrets are 256-bit random, so there is nothing to brute-force."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
