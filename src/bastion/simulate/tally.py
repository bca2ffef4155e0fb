"""Small running counters kept during a pass: what prevalence and the truth file are computed from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bastion.simulate.policies import Harm

# Label slots of the view-weight table: 0 is benign, then one per harm (sub-harms included).
HARM_SLOTS: tuple[Harm, ...] = tuple(Harm)
SLOT_OF: dict[Harm, int] = {harm: slot for slot, harm in enumerate(HARM_SLOTS, start=1)}


@dataclass
class Tally:
    """Counters of one pass; sizes depend on days and policies, never on the number of items."""

    days: int
    view_weight: list[list[int]] = field(default_factory=list)
    actors: int = 0
    content: int = 0
    views: int = 0
    reports: int = 0
    content_by_policy: Counter[str] = field(default_factory=Counter)
    content_by_language: Counter[str] = field(default_factory=Counter)
    reported_items: int = 0
    reported_violating: int = 0
    abusive_reports: int = 0
    network_content: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.view_weight = [[0] * (len(HARM_SLOTS) + 1) for _ in range(self.days)]

    def add_view(self, day: int, slot: int, weight: int) -> None:
        """Count `weight` impressions of an item with label slot `slot` on day `day`."""
        self.view_weight[day][slot] += weight
