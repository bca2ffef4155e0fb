"""Emerging terms: words far more frequent in recent reported or violating content than in its baseline.

`emerging_terms_scan` makes the test below at every other day of a period (Bonferroni over the days tried),
so a word that caught on early in it is not hidden in a fixed baseline half.

For each language, the documents (the texts of content that was reported or found violating) are split
into a recent period and the baseline before it. A term's recent document count k1 is tested against
its baseline count k0: under "nothing changed", k1 given k0 + k1 is binomial with p the share of the
language's *other* documents (those without the term) that are recent — the conditional test of two
Poisson rates, the language's flow of documents as the exposure, less the term's own: a coded word's
posts are documents of its language, and a baseline that rises with the event hides it. The one-sided
p-values of the terms of a language seen in at least `MIN_DOCUMENTS` documents are corrected together
with Benjamini-Hochberg;
a term emerges when its adjusted p-value is below 0.05, it is in at least `MIN_DOCUMENTS` recent
documents, and its recent rate is at least three times the baseline's (with one document added to the
baseline, so a term never seen before still needs real evidence). Ordinary words keep their rate and
are not flagged, however common; a word that rose only as the context of a stronger emerging term (most
of its recent documents hold that term) is not a term of its own, and neither is a word that rose only
because the documents of its policy surged (a spike): a term must also be three times as frequent in the
recent documents of its main policy (the one most of its recent documents have) as in that policy's
baseline documents, when that baseline has at least `MIN_DOCUMENTS`.

Documents are counted as distinct texts: a campaign posting one template many times (the same words,
other emoji and links) counts once, so its words do not pass for an emerging term (networks are
found by the network detector, not here).

Tokens: per language, links are dropped, text is case-folded (Turkish dotted and dotless i kept
apart), split on anything that is not a letter, a combining mark (Devanagari and Arabic vowel signs)
or a digit, and tokens of fewer than three characters or made of digits only are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from scipy.stats import binom
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05  # the false discovery rate over a language's terms
MIN_DOCUMENTS = 5
MIN_RATIO = 3.0
MIN_TOKEN_CHARS = 3
# The scan's splits: every other day, with at least this much baseline before and recent period after
# (a word first used between two splits has at most two days of its rise in the baseline).
MIN_BASELINE = timedelta(days=3)
MIN_RECENT = timedelta(days=2)
SPLIT_STEP = timedelta(days=2)
_LINK = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|net|org|ly|example)(?:/\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    at: datetime
    language: str
    text: str
    policy: str  # the policy it was reported for or found violating ("unspecified" when none)


@dataclass(frozen=True)
class EmergingTerm:
    term: str
    language: str
    recent_documents: int  # recent documents holding the term
    recent_total: int
    baseline_documents: int
    baseline_total: int
    ratio: float  # recent rate over baseline rate (baseline + 1 document)
    p_value: float  # adjusted (Benjamini-Hochberg)
    first_seen: datetime  # its first recent document
    policies: dict[str, int]  # the policies of the recent documents holding it

    @property
    def score(self) -> float:
        return round(max(0.0, min(1.0, 1.0 - self.p_value)), 6)


def tokens(text: str, language: str) -> set[str]:
    """The distinct terms of a text in `language`."""
    text = _LINK.sub(" ", text)
    if language == "tr":
        text = text.replace("I", "ı").replace("İ", "i")
    folded = text.casefold()
    found: set[str] = set()
    word: list[str] = []
    for char in folded + " ":
        if unicodedata.category(char)[0] in "LMN":
            word.append(char)
            continue
        if word:
            token = "".join(word)
            if len(token) >= MIN_TOKEN_CHARS and not token.isdigit():
                found.add(token)
            word = []
    return found


def emerging_terms(documents: Iterable[Document], *, recent_from: datetime, alpha: float = ALPHA) -> list[EmergingTerm]:
    """The terms whose rate in documents from `recent_from` on is significantly above their rate before it."""
    by_language: dict[str, list[Document]] = {}
    for document in documents:
        by_language.setdefault(document.language, []).append(document)
    split: dict[str, tuple[list[tuple[Document, frozenset[str]]], list[tuple[Document, frozenset[str]]]]] = {
        language: (
            _distinct([d for d in docs if d.at >= recent_from], language),
            _distinct([d for d in docs if d.at < recent_from], language),
        )
        for language, docs in by_language.items()
    }
    found: list[EmergingTerm] = []
    for language, (recent, baseline) in sorted(split.items()):
        share = len(recent) / max(len(recent) + len(baseline), 1)
        found.extend(_emerging_in(language, recent, baseline, share, alpha))
    return sorted(found, key=lambda t: (t.p_value, -t.recent_documents, t.term))


def emerging_terms_scan(
    documents: Iterable[Document], *, since: datetime, until: datetime
) -> list[tuple[EmergingTerm, datetime]]:
    """The emerging terms of [since, until), each with the split it stands out most at.

    A word that caught on early in the period is part of the baseline of a fixed "recent" half: so the
    test is made every `SPLIT_STEP` from `MIN_BASELINE` after the start to `MIN_RECENT` before the end, and a
    term's p-value is multiplied by the number of splits tried (Bonferroni) before it is held against
    `ALPHA`. Each term is reported once, at the split where its p-value is smallest."""
    docs = list(documents)
    splits = []
    split = since + MIN_BASELINE
    while split <= until - MIN_RECENT:
        splits.append(split)
        split += SPLIT_STEP
    if not splits:
        splits = [since + (until - since) / 2]
    best: dict[tuple[str, str], tuple[EmergingTerm, datetime]] = {}
    for split in splits:
        for term in emerging_terms(docs, recent_from=split, alpha=ALPHA / len(splits)):
            corrected = replace(term, p_value=min(1.0, term.p_value * len(splits)))
            held = best.get((term.language, term.term))
            if held is None or corrected.p_value < held[0].p_value:
                best[(term.language, term.term)] = (corrected, split)
    ordered = sorted(best.values(), key=lambda found: (found[0].p_value, -found[0].recent_documents, found[0].term))
    # A word that rose as the context of a stronger term at another split is that term's too.
    texts = {
        language: _distinct([d for d in docs if d.language == language], language)
        for language in {term.language for term, _ in ordered}
    }
    kept: list[tuple[EmergingTerm, datetime]] = []
    for term, split in ordered:
        holding = [terms for d, terms in texts[term.language] if d.at >= split and term.term in terms]
        stronger = [k for k, _ in kept if k.language == term.language]
        if any(sum(1 for terms in holding if k.term in terms) * 2 > len(holding) for k in stronger):
            continue
        kept.append((term, split))
    return kept


def _distinct(docs: list[Document], language: str) -> list[tuple[Document, frozenset[str]]]:
    """The documents in time order with their terms, each set of terms once (its first document)."""
    seen: set[frozenset[str]] = set()
    kept = []
    for d in sorted(docs, key=lambda d: d.at):
        terms = frozenset(tokens(d.text, language))
        if terms and terms not in seen:
            seen.add(terms)
            kept.append((d, terms))
    return kept


def _emerging_in(
    language: str,
    recent: list[tuple[Document, frozenset[str]]],
    baseline: list[tuple[Document, frozenset[str]]],
    share: float,
    alpha: float,
) -> list[EmergingTerm]:
    n1, n0 = len(recent), len(baseline)
    if n1 < MIN_DOCUMENTS or n0 == 0:
        return []
    k1: Counter[str] = Counter()
    first: dict[str, datetime] = {}
    policies: dict[str, Counter[str]] = {}
    for d, terms_of_d in recent:
        for term in terms_of_d:
            k1[term] += 1
            first.setdefault(term, d.at)
            policies.setdefault(term, Counter())[d.policy] += 1
    k0: Counter[str] = Counter()
    k0_policy: Counter[tuple[str, str]] = Counter()
    for d, terms_of_d in baseline:
        k0.update(terms_of_d)
        k0_policy.update((t, d.policy) for t in terms_of_d)
    n1_policy = Counter(d.policy for d, _ in recent)
    n0_policy = Counter(d.policy for d, _ in baseline)
    # Tested: every term seen in at least MIN_DOCUMENTS documents over both periods. Under "nothing
    # changed" that total says nothing about how it splits, so filtering on it keeps the test exact
    # while the correction counts only terms that could pass (independent filtering).
    terms = sorted(t for t in k1 if k1[t] + k0[t] >= MIN_DOCUMENTS)
    if not terms:
        return []
    recent_counts = np.array([k1[t] for t in terms])
    baseline_counts = np.array([k0[t] for t in terms])
    # P(K1 >= k1 | k0 + k1) under the rate of the language's other documents in both periods: the
    # documents holding the term are left out of its exposure (its own rise must not set its baseline).
    others_recent = np.maximum(n1 - recent_counts, 0)
    others = np.maximum(n0 + n1 - recent_counts - baseline_counts, 1)
    exposure = np.clip(np.where(others_recent > 0, others_recent / others, share), 1e-9, 1 - 1e-9)
    p_values = binom.sf(recent_counts - 1, recent_counts + baseline_counts, exposure)
    adjusted = multipletests(p_values, method="fdr_bh")[1]
    found = []
    for term, recent_count, baseline_count, p in zip(terms, recent_counts, baseline_counts, adjusted, strict=True):
        ratio = (recent_count / n1) / ((baseline_count + 1) / n0)
        # A word of one policy's posts rises with them when that policy's documents surge (a spike of
        # harassment raises every word its posts hold): it must rise within its main policy's documents too.
        # (Only when that policy's baseline has documents enough to tell: with one, the added document alone
        # would cap the ratio below three.)
        main = policies[term].most_common(1)[0][0]
        n0_main = n0_policy[main]
        within = (
            (policies[term][main] / n1_policy[main]) / ((k0_policy[(term, main)] + 1) / n0_main)
            if n0_main >= MIN_DOCUMENTS
            else ratio
        )
        if p < alpha and recent_count >= MIN_DOCUMENTS and ratio >= MIN_RATIO and within >= MIN_RATIO:
            found.append(
                EmergingTerm(
                    term=term,
                    language=language,
                    recent_documents=int(recent_count),
                    recent_total=n1,
                    baseline_documents=int(baseline_count),
                    baseline_total=n0,
                    ratio=round(float(ratio), 3),
                    p_value=float(p),
                    first_seen=first[term],
                    policies=dict(policies[term].most_common()),
                )
            )
    return _without_context(found, recent)


def _without_context(found: list[EmergingTerm], recent: list[tuple[Document, frozenset[str]]]) -> list[EmergingTerm]:
    """The emerging terms less those that are another's context: a term most of whose recent documents
    hold a stronger emerging term (a smaller p-value, then more documents) rose with that term's posts,
    not on its own — the words of the posts a coded word travels in. One problem, one term."""
    kept: list[EmergingTerm] = []
    for term in sorted(found, key=lambda t: (t.p_value, -t.recent_documents, t.term)):
        holding = [terms for _, terms in recent if term.term in terms]
        if any(sum(1 for terms in holding if k.term in terms) * 2 > len(holding) for k in kept):
            continue
        kept.append(term)
    return kept
