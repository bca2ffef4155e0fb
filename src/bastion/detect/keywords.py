"""A keyword bank compiled for matching: one Aho-Corasick automaton over the folded terms.

The automaton finds every occurrence of every term in one pass over the folded text, whatever the
number of terms, so a bank of 10,000 terms costs about what a bank of ten does. Each hit is then kept
only if it stands at word boundaries (`normalise.continues_word`) at the ends where the term itself
starts or ends with a letter of a script that separates words with spaces.

Matches report terms as written in the bank, never positions: folding changes lengths (see
`normalise`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from bastion.detect.normalise import continues_word, fold
from bastion.errors import FieldError, InvalidInput


@dataclass(frozen=True)
class KeywordMatch:
    """What one bank found in one text: every occurrence counted, each distinct term once."""

    count: int
    terms: tuple[str, ...]  # as written in the bank, in the order first found

    @property
    def hit(self) -> bool:
        return self.count > 0


NO_KEYWORD_MATCH = KeywordMatch(0, ())


@dataclass(frozen=True)
class _Term:
    written: str
    length: int  # of the folded term
    bounded_start: bool  # its first character is a word character of a spaced script
    bounded_end: bool


class KeywordBank:
    """One version of a keyword bank, compiled. Build it once per version and share it: it is read-only."""

    def __init__(self, name: str, version: int, terms: Sequence[str]) -> None:
        self.name = name
        self.version = version
        self.terms = tuple(terms)
        self._automaton: ahocorasick.Automaton | None = None
        automaton = ahocorasick.Automaton()
        errors: list[FieldError] = []
        for index, term in enumerate(self.terms):
            folded = fold(term)
            if not folded:
                errors.append(FieldError(f"terms[{index}]", "folds to nothing: write at least one letter or digit"))
                continue
            if folded in automaton:
                continue  # the first term written wins; the bank's import reports the duplicate
            automaton.add_word(folded, _Term(term, len(folded), continues_word(folded[0]), continues_word(folded[-1])))
        if errors:
            raise InvalidInput(f"keyword bank {name!r} has terms that cannot be matched", errors)
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return len(self.terms)

    def matches(self, folded_text: str) -> KeywordMatch:
        """The bank's terms in `folded_text` (text already passed through `fold`), at word boundaries."""
        if self._automaton is None or not folded_text:
            return NO_KEYWORD_MATCH
        count = 0
        found: dict[str, None] = {}
        last = len(folded_text) - 1
        for end, term in self._automaton.iter(folded_text):
            start = end - term.length + 1
            if term.bounded_start and start > 0 and continues_word(folded_text[start - 1]):
                continue
            if term.bounded_end and end < last and continues_word(folded_text[end + 1]):
                continue
            count += 1
            found[term.written] = None
        return KeywordMatch(count, tuple(found)) if count else NO_KEYWORD_MATCH
