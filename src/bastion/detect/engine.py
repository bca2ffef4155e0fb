"""The rule engine: a rule set compiled once, then run on one item's context after another.

Pure: no store, no clock but a stopwatch. Each rule's `when` is rewritten to read flat variables (see
`references.py`) and compiled into a CEL program once; for each item the caller hands the variables
the rule set reads (`Engine.leaves`, `Engine.groups`), built into one CEL context that every rule
shares. A rule that fails on an item (a type error, a field missing from an open map) or runs past its
time budget is recorded against that item and skipped; the others still run, and the item's verdict
says which rules failed and why.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import cel

from bastion.detect.fields import Group
from bastion.detect.references import Flattened, ShadowedRoot, flatten
from bastion.domain.detect import RuleMode

DEFAULT_BUDGET_MS = 5.0  # one rule on one item, in CPU time; CEL cannot be interrupted, a slower answer is discarded


class RuleLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def mode(self) -> RuleMode: ...
    @property
    def when(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """What the rule set said of one item: the positions (in `Engine.rules`) of the rules that matched,
    and the rules that failed, by name, with the reason."""

    hits: tuple[int, ...]
    failures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Program:
    name: str
    program: Any  # cel.Program


R = TypeVar("R", bound=RuleLike)


class Engine(Generic[R]):
    """A rule set compiled against the context's fields. Rules in mode `off` are left out; a rule that
    does not compile is left out too and named in `broken` (a checked rule file has none)."""

    def __init__(self, rules: Sequence[R], fields: Group, *, budget_ms: float = DEFAULT_BUDGET_MS) -> None:
        self.rules: list[R] = []
        self.broken: dict[str, str] = {}
        self.budget_seconds = budget_ms / 1000
        programs: list[_Program] = []
        leaves: set[tuple[str, ...]] = set()
        groups: set[str] = set()
        for rule in rules:
            if rule.mode == RuleMode.OFF:
                continue
            try:
                flat: Flattened = flatten(rule.when, fields)
            except ShadowedRoot as shadowed:
                self.broken[rule.name] = str(shadowed)
                continue
            try:
                program = cel.compile(flat.source)
            except (ValueError, RuntimeError) as error:
                self.broken[rule.name] = str(error).splitlines()[0]
                continue
            self.rules.append(rule)
            programs.append(_Program(rule.name, program))
            leaves |= flat.leaves
            groups |= flat.groups
        self._programs = programs
        self.leaves = frozenset(leaves)
        self.groups = frozenset(groups)

    def run(self, variables: Mapping[str, Any]) -> Outcome:
        """Run every rule on one item's variables (flat leaves and whole groups, as `leaves` and
        `groups` name them)."""
        context = cel.Context(dict(variables))
        hits: list[int] = []
        failures: dict[str, str] = {}
        clock = time.perf_counter
        budget = self.budget_seconds
        for position, entry in enumerate(self._programs):
            started = clock()
            try:
                result = entry.program.execute(context)
            except Exception as error:  # the binding raises several types; none may stop the others
                failures[entry.name] = f"error: {_reason(error)}"
                continue
            if clock() - started > budget:
                # The wall clock also counts time this thread was not running (another process had the
                # CPU): run the rule again on its own CPU time before calling it slow.
                cpu = time.thread_time()
                result = entry.program.execute(context)
                spent = time.thread_time() - cpu
                if spent > budget:
                    failures[entry.name] = f"timeout: {spent * 1000:.1f} ms, over the budget of {budget * 1000:g} ms"
                    continue
            if result is True:
                hits.append(position)
            elif result is not False:
                failures[entry.name] = f"error: the condition gave {type(result).__name__}, not true or false"
        return Outcome(tuple(hits), failures)


def _reason(error: Exception) -> str:
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    return message[:300]
