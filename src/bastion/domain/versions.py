"""What loading a versioned document (policies, rules) did to the versions in the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

Loaded = TypeVar("Loaded")  # what each entry names: a policy id, a rule and its version


@dataclass(frozen=True)
class LoadSummary(Generic[Loaded]):
    """What a load did, in the order of the load; retired entries sorted."""

    created: tuple[Loaded, ...] = ()
    changed: tuple[Loaded, ...] = ()
    unchanged: tuple[Loaded, ...] = ()
    retired: tuple[Loaded, ...] = ()
    # Retired before and present again in this load: a new version in force.
    reinstated: tuple[Loaded, ...] = ()

    @property
    def versions_added(self) -> int:
        return len(self.created) + len(self.changed) + len(self.retired) + len(self.reinstated)
