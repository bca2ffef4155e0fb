"""Durations as analysts write them: `30m`, `12h`, `7d`, `2w`.

One whole number and one unit, nothing else: `1h30m`, `1.5h` or `90` (which unit?) are refused rather
than guessed at. Labels' `--expires-in` and rules' `expires_in` read durations here, so both accept the
same words and refuse with the same message. `duration_problem` gives the reason alone, for a checker
that reports errors with its own locations (a rule file's line and column).
"""

from __future__ import annotations

import re
from datetime import timedelta

from bastion.errors import FieldError, InvalidInput

UNITS: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
LONGEST = timedelta(days=3650)  # ten years: anything longer is a typo, or should not expire at all
_DURATION = re.compile(r"([0-9]{1,9})([smhdw])")
EXAMPLES = "30m, 12h, 7d or 2w"


def duration_problem(text: str) -> str | None:
    """Why `text` is not a duration, in words that follow the field's name; None when it is one."""
    parsed = _parse(text)
    return parsed if isinstance(parsed, str) else None


def parse_duration(text: str, *, field: str = "duration") -> timedelta:
    """`30m` → 30 minutes: a positive whole number followed by s, m, h, d or w, at most ten years.

    Anything else is an `InvalidInput` naming `field` (`expires_in`, `--expires-in`) and the reason.
    """
    parsed = _parse(text)
    if isinstance(parsed, str):
        raise InvalidInput(f"{field} is not a duration", [FieldError(field, parsed)])
    return parsed


def _parse(text: str) -> timedelta | str:
    """The duration, or why there is none."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return f"must be a whole number and a unit (s, m, h, d or w), such as {EXAMPLES}"
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        return "must be longer than 0"
    if amount > LONGEST // UNITS[unit]:  # compared before multiplying: 999999999w overflows a timedelta
        return "must be at most 3650d (ten years)"
    return amount * UNITS[unit]


def format_duration(duration: timedelta) -> str:
    """The shortest text `parse_duration` reads back as `duration` (`timedelta(hours=36)` → `36h`)."""
    seconds = int(duration.total_seconds())
    if seconds <= 0 or duration != timedelta(seconds=seconds):
        raise ValueError("only a positive whole number of seconds can be written as a duration")
    for unit in ("w", "d", "h", "m"):
        size = int(UNITS[unit].total_seconds())
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
