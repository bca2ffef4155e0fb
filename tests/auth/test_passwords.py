from __future__ import annotations

import pytest

from bastion.auth.passwords import hash_password, verify_password
from bastion.errors import InvalidInput


def test_a_password_verifies_only_against_its_own_hash() -> None:
    stored = hash_password("a long enough secret")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long enough secret")
    assert not verify_password(stored, "a long enough secreT")
    assert not verify_password(None, "a long enough secret")
    assert not verify_password("not-a-hash", "a long enough secret")


def test_short_passwords_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        hash_password("short")
    assert caught.value.errors[0].path == "password"
