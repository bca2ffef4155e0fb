"""What keyword and regex banks cost per post, side by side in one run.

Keywords, 10,000 terms (the bank the detection benchmark names), over real short posts (the HateXplain
posts Bastion ships, 19,229 of them, about 130 characters on average):
  "baseline": the text lower-cased, then `term in text` for every term (no folding, no boundaries);
  "ours":     `fold(text)`, then one pass of the bank's Aho-Corasick automaton with word boundaries.
Regexes, 5 patterns over the same posts:
  "baseline": one RE2 search per pattern;
  "ours":     `RegexBank.matches`, one RE2 set for all the patterns.
Both sides of each pair must find the same posts for the same terms (checked where they agree by
construction: terms planted in the posts, spelled plainly); the run fails otherwise.

    .venv/bin/python bench/banks.py
    .venv/bin/python bench/banks.py --terms 10000 --rounds 5
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import re2  # noqa: E402

from bastion.detect.keywords import KeywordBank  # noqa: E402
from bastion.detect.normalise import fold  # noqa: E402
from bastion.detect.regexes import RegexBank  # noqa: E402

POSTS = ROOT / "src" / "bastion" / "data" / "hatexplain" / "posts.jsonl.gz"
PATTERNS = [
    r"(?i)\bfree\s+followers\b",
    r"https?://(bit\.ly|tinyurl\.com)/\w+",
    r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b",
    r"(?i)whats?app\s*\+?\d{6,}",
    r"[\w.+-]+@[\w-]+\.[a-z]{2,}",
]
PLANTED = ("free followers", "buy likes now", "cheap pills")


def posts() -> list[str]:
    with gzip.open(POSTS, "rt", encoding="utf-8") as rows:
        texts = [json.loads(row)["text"] for row in rows]
    rng = random.Random(11)
    for n in range(0, len(texts), 50):  # one post in fifty carries a planted term
        texts[n] = f"{texts[n]} {PLANTED[n % len(PLANTED)]}"
    rng.shuffle(texts)
    return texts


def terms(count: int) -> list[str]:
    rng = random.Random(7)
    made: set[str] = set(PLANTED)
    while len(made) < count:
        words = rng.randint(1, 3)
        made.add(" ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10))) for _ in range(words)))
    return sorted(made)


def timed(work: Callable[[], object], rounds: int) -> tuple[float, object]:
    seconds = []
    result: object = None
    for _ in range(rounds):
        started = time.process_time()  # this process's CPU time: a busy machine moves it much less
        result = work()
        seconds.append(time.process_time() - started)
    return statistics.median(seconds), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = posts()
    bank_terms = terms(args.terms)
    started = time.perf_counter()
    bank = KeywordBank("bench", 1, bank_terms)
    build_ms = (time.perf_counter() - started) * 1000
    lowered_terms = [term.lower() for term in bank_terms]

    def keyword_baseline() -> list[int]:
        return [i for i, text in enumerate(texts) if _any_in(lowered_terms, text.lower())]

    def keyword_ours() -> list[int]:
        return [i for i, text in enumerate(texts) if bank.matches(fold(text)).hit]

    def fold_only() -> int:
        return sum(len(fold(text)) for text in texts)

    singles = [re2.compile(pattern) for pattern in PATTERNS]
    regex_bank = RegexBank("bench", 1, PATTERNS)

    def regex_baseline() -> list[int]:
        return [i for i, text in enumerate(texts) if any(r.search(text) for r in singles)]

    def regex_ours() -> list[int]:
        return [i for i, text in enumerate(texts) if regex_bank.matches(text).hit]

    baseline_rounds = max(1, args.rounds // 5)
    kb_s, kb_hits = timed(keyword_baseline, baseline_rounds)
    ko_s, ko_hits = timed(keyword_ours, args.rounds)
    fo_s, _ = timed(fold_only, args.rounds)
    rb_s, rb_hits = timed(regex_baseline, args.rounds)
    ro_s, ro_hits = timed(regex_ours, args.rounds)
    n = len(texts)
    average = sum(map(len, texts)) / n
    print(f"{n:,} posts, {average:.0f} characters on average")
    print(f"keyword bank of {len(bank_terms):,} terms built in {build_ms:.0f} ms")
    print()
    print("| what | side | CPU µs/post | posts/CPU s | posts hit |")
    print("|---|---|---:|---:|---:|")
    rows = [
        ("keywords", "baseline: lower + `in` per term", kb_s, kb_hits),
        ("keywords", "ours: fold + Aho-Corasick", ko_s, ko_hits),
        ("keywords", "of which fold alone", fo_s, None),
        ("regexes (5)", "baseline: one search per pattern", rb_s, rb_hits),
        ("regexes (5)", "ours: one RE2 set", ro_s, ro_hits),
    ]
    for what, side, seconds, hits in rows:
        hit_count = f"{len(hits):,}" if isinstance(hits, list) else ""
        print(f"| {what} | {side} | {seconds / n * 1e6:,.2f} | {n / seconds:,.0f} | {hit_count} |")
    checks = {
        # every post carrying a planted term is found by ours; the baseline also finds terms inside words
        "keywords: ours finds every planted post": _planted(texts) <= set(_list(ko_hits)),
        "keywords: ours finds nothing the baseline does not": set(_list(ko_hits)) <= set(_list(kb_hits)),
        "regexes: the set finds exactly what the single searches find": ro_hits == rb_hits,
    }
    print()
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


def _any_in(terms: list[str], text: str) -> bool:
    return any(term in text for term in terms)


def _planted(texts: list[str]) -> set[int]:
    return {i for i, text in enumerate(texts) if any(text.endswith(" " + term) for term in PLANTED)}


def _list(value: object) -> list[int]:
    assert isinstance(value, list)
    return value


if __name__ == "__main__":
    sys.exit(main())
