"""What to simulate: a seed, a scale and a number of days, checked once at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from bastion.errors import FieldError, InvalidInput

MAX_DAYS = 366
MAX_THREATS = 50
# A fixed default start keeps two runs of the same spec identical; the simulation never reads the clock.
DEFAULT_START = datetime(2026, 11, 1, tzinfo=UTC)


class Scale(StrEnum):
    """How big the simulated platform is."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass(frozen=True)
class ScaleProfile:
    """The sizes behind a scale. Volumes are totals over the whole run, whatever its length."""

    regular_actors: int
    content_items: int
    networks: int
    network_members: tuple[int, int]
    network_bursts: int
    campus_members: int
    newsroom_members: int
    abusive_reporters: int
    reviewers: int
    spikes: int
    # One sampled view stands for up to this many impressions (more samples for very viral items).
    view_unit: int
    max_view_samples: int


PROFILES: dict[Scale, ScaleProfile] = {
    Scale.SMALL: ScaleProfile(
        regular_actors=1_500,
        content_items=10_000,
        networks=3,
        network_members=(8, 14),
        network_bursts=5,
        campus_members=30,
        newsroom_members=8,
        abusive_reporters=4,
        reviewers=24,
        spikes=3,
        view_unit=150,
        max_view_samples=40,
    ),
    Scale.MEDIUM: ScaleProfile(
        regular_actors=60_000,
        content_items=1_000_000,
        networks=4,
        network_members=(25, 60),
        network_bursts=8,
        campus_members=150,
        newsroom_members=15,
        abusive_reporters=6,
        reviewers=80,
        spikes=4,
        view_unit=150,
        max_view_samples=60,
    ),
    Scale.LARGE: ScaleProfile(
        regular_actors=200_000,
        content_items=3_500_000,
        networks=5,
        network_members=(60, 120),
        network_bursts=10,
        campus_members=400,
        newsroom_members=25,
        abusive_reporters=8,
        reviewers=200,
        spikes=4,
        view_unit=40,
        max_view_samples=100,
    ),
}


@dataclass(frozen=True)
class SimulationSpec:
    """A simulation request. The same spec always yields the same platform, record for record."""

    seed: int
    scale: Scale = Scale.SMALL
    days: int = 14
    start: datetime = field(default=DEFAULT_START)
    # Real-world-threat posts to plant (`simulate.threats`); none unless asked, so every other figure stays.
    threats: int = 0

    def __post_init__(self) -> None:
        scale: object = self.scale
        if isinstance(scale, str) and not isinstance(scale, Scale) and scale in _SCALE_NAMES:
            object.__setattr__(self, "scale", Scale(scale))
        if isinstance(self.start, datetime) and self.start.tzinfo is not None:
            object.__setattr__(self, "start", self.start.astimezone(UTC))
        errors = [*_seed_errors(self.seed), *_scale_errors(self.scale), *_days_errors(self.days)]
        errors += _start_errors(self.start)
        if not isinstance(self.threats, int) or isinstance(self.threats, bool) or not 0 <= self.threats <= MAX_THREATS:
            errors.append(FieldError("threats", f"must be an integer from 0 to {MAX_THREATS}, got {self.threats!r}"))
        if errors:
            raise InvalidInput("invalid simulation spec", errors)

    @property
    def profile(self) -> ScaleProfile:
        """The sizes of this spec's scale."""
        return PROFILES[self.scale]

    @property
    def seconds(self) -> int:
        """Length of the simulated period in seconds."""
        return self.days * 86_400

    @classmethod
    def parse(cls, *, seed: object, scale: object = "small", days: object = 14, start: object = None) -> SimulationSpec:
        """A spec from loosely typed input (CLI options, JSON); every bad field is named in one error."""
        errors: list[FieldError] = []
        seed_value = _as_int(seed, "seed", errors)
        days_value = _as_int(days, "days", errors)
        scale_value = str(scale).strip().lower()
        start_value: object = DEFAULT_START if start is None else start
        if isinstance(start_value, str):
            try:
                start_value = datetime.fromisoformat(start_value)
            except ValueError:
                errors.append(FieldError("start", f"not an ISO-8601 time: {start!r}"))
                start_value = DEFAULT_START
        if isinstance(start_value, datetime) and start_value.tzinfo is None:
            start_value = start_value.replace(tzinfo=UTC)
        if seed_value is not None:
            errors += _seed_errors(seed_value)
        if days_value is not None:
            errors += _days_errors(days_value)
        errors += _scale_errors(scale_value) + _start_errors(start_value)
        if errors:
            raise InvalidInput("invalid simulation spec", errors)
        assert seed_value is not None and days_value is not None and isinstance(start_value, datetime)
        return cls(seed=seed_value, scale=Scale(scale_value), days=days_value, start=start_value)


_SCALE_NAMES = frozenset(s.value for s in Scale)


def _as_int(value: object, name: str, errors: list[FieldError]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    errors.append(FieldError(name, f"must be an integer, got {value!r}"))
    return None


def _seed_errors(seed: object) -> list[FieldError]:
    if not isinstance(seed, int) or isinstance(seed, bool):
        return [FieldError("seed", f"must be an integer, got {seed!r}")]
    if seed < 0:
        return [FieldError("seed", f"must be zero or more, got {seed}")]
    return []


def _scale_errors(scale: object) -> list[FieldError]:
    if isinstance(scale, str) and scale in _SCALE_NAMES:
        return []
    expected = ", ".join(sorted(_SCALE_NAMES))
    return [FieldError("scale", f"unknown scale {scale!r}; expected one of {expected}")]


def _days_errors(days: object) -> list[FieldError]:
    if not isinstance(days, int) or isinstance(days, bool):
        return [FieldError("days", f"must be an integer, got {days!r}")]
    if not 1 <= days <= MAX_DAYS:
        return [FieldError("days", f"must be between 1 and {MAX_DAYS}, got {days}")]
    return []


def _start_errors(start: object) -> list[FieldError]:
    if not isinstance(start, datetime) or start.tzinfo is None:
        return [FieldError("start", "must be a timezone-aware datetime")]
    if (start.minute, start.second, start.microsecond) != (0, 0, 0):
        return [FieldError("start", "must fall on a whole hour")]
    return []
