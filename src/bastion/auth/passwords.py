"""Password hashing with Argon2id, a memory-hard KDF."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bastion.errors import FieldError, InvalidInput

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id, 64 MiB, 3 passes: the library's RFC 9106 low-memory profile


@cache
def _dummy_hash() -> str:
    """A real hash to verify against when the user does not exist, so timing does not reveal names.

    Made on first need, not at import: every command and worker would otherwise pay for it.
    """
    return _hasher.hash("bastion-timing-equaliser")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password too short",
            [FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")],
        )
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
