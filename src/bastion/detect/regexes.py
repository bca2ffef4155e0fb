"""A regex bank compiled for matching: RE2 only, each pattern's memory bounded, all patterns in one set.

Analysts' patterns are untrusted. RE2 runs in time linear in the text whatever the pattern (no
backtracking, so no pattern can hang a worker) and refuses what it cannot bound: backreferences and
look-around are errors, not slow paths. Each pattern is compiled alone first, with `MAX_PATTERN_MEMORY`,
so a bad one is refused with RE2's own reason; matching then runs one `re2.Set` over the text, a single
pass for every pattern, instead of one search per pattern.

Patterns run over the text as posted, not folded: write `(?i)` for a pattern that ignores case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import re2

from bastion.errors import FieldError, InvalidInput

# RE2's budget for one compiled pattern; past it RE2 refuses the pattern ("pattern too large").
MAX_PATTERN_MEMORY = 1 << 20
# The set of all of a bank's patterns gets this much per pattern.
SET_MEMORY_PER_PATTERN = 1 << 20


@dataclass(frozen=True)
class RegexMatch:
    """What one bank found in one text: the patterns that matched, each once."""

    count: int  # how many of the bank's patterns matched
    patterns: tuple[str, ...]  # as written in the bank, in the bank's order

    @property
    def hit(self) -> bool:
        return self.count > 0


NO_REGEX_MATCH = RegexMatch(0, ())


def _options(max_mem: int) -> re2.Options:
    options = re2.Options()
    options.max_mem = max_mem
    options.log_errors = False  # RE2 would print the pattern to standard error
    return options


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 refuses `pattern` (its own words), or None when it compiles within the memory bound."""
    try:
        re2.compile(pattern, _options(MAX_PATTERN_MEMORY))
    except re2.error as error:
        reason = error.args[0] if error.args else "not a valid pattern"
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


class RegexBank:
    """One version of a regex bank, compiled. Build it once per version and share it: it is read-only."""

    def __init__(self, name: str, version: int, patterns: Sequence[str]) -> None:
        self.name = name
        self.version = version
        self.patterns = tuple(patterns)
        errors = [
            FieldError(f"patterns[{index}]", f"RE2 refuses it: {problem}")
            for index, pattern in enumerate(self.patterns)
            if (problem := pattern_problem(pattern)) is not None
        ]
        if errors:
            raise InvalidInput(f"regex bank {name!r} has patterns RE2 refuses", errors)
        self._set: re2.Set | None = None
        if self.patterns:
            regex_set = re2.Set.SearchSet(_options(SET_MEMORY_PER_PATTERN * len(self.patterns)))
            for pattern in self.patterns:
                regex_set.Add(pattern)
            regex_set.Compile()
            self._set = regex_set

    def __len__(self) -> int:
        return len(self.patterns)

    def matches(self, text: str) -> RegexMatch:
        """The bank's patterns found anywhere in `text`."""
        if self._set is None:
            return NO_REGEX_MATCH
        found = self._set.Match(text)
        if not found:
            return NO_REGEX_MATCH
        patterns = tuple(self.patterns[index] for index in sorted(found))
        return RegexMatch(len(patterns), patterns)
