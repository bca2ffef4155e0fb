"""The principal: whoever a request acts for, with the roles and limits that apply to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bastion.domain.access import Permission, Role, permissions_of
from bastion.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    name: str  # "user:alice" or "apikey:ingest-service": what the audit log records
    roles: frozenset[Role]
    user_pk: int | None = None
    vendor: str | None = None
    languages: tuple[str, ...] = ()
    via: str = "session"  # "session", "apikey" or "system"
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", permissions_of(self.roles))

    @property
    def display_name(self) -> str:
        return self.name.split(":", 1)[1]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"{self.display_name} may not do this ({permission.value} needed)")


SYSTEM = Principal(name="system:bastion", roles=frozenset({Role.ADMIN}), via="system")
