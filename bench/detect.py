"""Detection benchmark: events per second on one core through a reference rule set, side by side with a
plain-Python baseline, in one run.

    .venv/bin/python bench/detect.py [--events 20000] [--batch 500] [--rules 100] [--terms 10000]

The events are the simulator's own posts (its default small world, in time order, with their authors),
turned into detection items once before the clock starts. Both ways compute the same signals — text
folding, one keyword bank of `--terms` terms (Aho-Corasick), one regex bank of 5 RE2 patterns, the
twelve velocity counters in memory — and then evaluate `--rules` rules:

- **ours**: the rules as CEL, compiled once, each reading only the flat variables it names
  (`bastion.detect.engine`, `bastion.detect.context`): exactly what a worker runs;
- **baseline**: the same rules written by hand as Python functions over the item (no `eval`, no CEL).

The two must agree on every hit of every event (checked: a mismatch fails the run). Reported: events
per second of CPU time for each way and their ratio, and where ours spends its time per event.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.detect.context import DetectionItem, VariableBuilder
from bastion.detect.engine import Engine
from bastion.detect.fields import context_fields
from bastion.detect.keywords import KeywordBank
from bastion.detect.links import domains_of, links_in
from bastion.detect.normalise import fold
from bastion.detect.regexes import RegexBank
from bastion.detect.signals import SignalPlan, SignalScope, compute_signals
from bastion.detect.velocity import MemoryVelocity, Observation
from bastion.domain.detect import RuleMode
from bastion.simulate.corpus import load_hatexplain
from bastion.simulate.records import RecordKind
from bastion.simulate.spec import Scale, SimulationSpec
from bastion.simulate.world import World

PATTERNS = (
    r"https?://(bit\.ly|tinyurl\.com|cutt\.ly)/\S+",
    r"\b\d{2,3}k followers\b",
    r"(?i)gift ?card",
    r"(?i)\b(wire transfer|western union)\b",
    r"\$\d{2,}0{2}",
)
SPAM_TERMS = ("free followers", "follow back", "gift card", "verify your card", "hot singles", "wire transfer")
LANGUAGES = ("en", "es", "pt", "fr", "de", "id", "tr", "hi", "ar", "ja")
WORDS = ("http", "free", "win", "guaranteed", "now", "today", "deal", "click", "dm", "follow")
TLDS = (".example", ".ly", ".com", ".xyz", ".top", ".io", ".net", ".org", ".info", ".co")
TYPES = ("post", "comment", "message", "image", "video", "listing", "profile", "post", "comment", "post")
COUNTRIES = ("US", "BR", "IN", "MX", "DE", "FR", "ID", "TR", "EG", "JP")


@dataclass(frozen=True)
class BenchRule:
    name: str
    when: str
    check: Callable[[DetectionItem], bool]
    mode: RuleMode = RuleMode.LIVE


def reference_rules(count: int) -> list[BenchRule]:
    """`count` rules from ten shapes, each with the same check written by hand in Python."""
    made: list[BenchRule] = []
    for i in itertools.count():
        if len(made) == count:
            return made
        shape, k = i % 10, i // 10
        made.append(_rule(i, shape, k))
    raise AssertionError("unreachable")


def _rule(i: int, shape: int, k: int) -> BenchRule:
    name = f"rule-{i:03d}"
    if shape == 0:
        days, posts = 1 + k, 2 + k
        return BenchRule(
            name,
            f"actor.account_age_days < {days}.0 && signals.velocity.actor_posts_1h > {posts}",
            lambda t: t.account_age_days < days and t.velocity["actor_posts_1h"] > posts,
        )
    if shape == 1:
        language = LANGUAGES[k % 10]
        return BenchRule(
            name,
            f'signals.keyword.terms.hit && content.language == "{language}"',
            lambda t: "terms" in t.keyword and t.language == language,
        )
    if shape == 2:
        word = WORDS[k % 10]
        return BenchRule(
            name,
            f'content.text.contains("{word}") && size(content.urls) > 0',
            lambda t: word in t.text and len(t.urls) > 0,
        )
    if shape == 3:
        label, least = f"label-{k}", k % 3
        return BenchRule(
            name,
            f'"{label}" in signals.labels.actor || signals.regex.patterns.count > {least}',
            lambda t: (
                label in t.labels.get("actor", []) or ("patterns" in t.regex and t.regex["patterns"].count > least)
            ),
        )
    if shape == 4:
        tld = TLDS[k % 10]
        return BenchRule(
            name,
            f'content.domains.exists(d, d.endsWith("{tld}"))',
            lambda t: any(d.endswith(tld) for d in t.domains),
        )
    if shape == 5:
        posts = 2 + k
        return BenchRule(
            name,
            f"signals.velocity.url_posts_1h >= {posts} && size(content.urls) > 0",
            lambda t: t.velocity["url_posts_1h"] >= posts and len(t.urls) > 0,
        )
    if shape == 6:
        ip, device = 1 + k, 3 + k
        return BenchRule(
            name,
            f"signals.velocity.ip_posts_10m > {ip} || signals.velocity.device_posts_1h > {device}",
            lambda t: t.velocity["ip_posts_10m"] > ip or t.velocity["device_posts_1h"] > device,
        )
    if shape == 7:
        kind, country = TYPES[k % 10], COUNTRIES[k % 10]
        return BenchRule(
            name,
            f'content.type == "{kind}" && content.country == "{country}"',
            lambda t: t.type == kind and t.country == country,
        )
    if shape == 8:
        least, days = 1 + k % 3, 10 + k
        return BenchRule(
            name,
            f"signals.keyword.terms.count >= {least} && actor.account_age_days < {days}.0",
            lambda t: ("terms" in t.keyword and t.keyword["terms"].count >= least) and t.account_age_days < days,
        )
    word = WORDS[(k + 3) % 10]
    return BenchRule(name, f'content.folded.contains("{word}")', lambda t: word in t.folded)


def keyword_terms(count: int) -> list[str]:
    """The spam terms, then the most common word pairs of the simulator's corpus, up to `count`."""
    terms: dict[str, None] = dict.fromkeys(SPAM_TERMS)
    pairs: dict[str, int] = {}
    for post in load_hatexplain():
        words = post.text.split()
        for a, b in itertools.pairwise(words):
            if a.isalpha() and b.isalpha():
                pairs[f"{a} {b}"] = pairs.get(f"{a} {b}", 0) + 1
    for pair, _ in sorted(pairs.items(), key=lambda kv: -kv[1]):
        if len(terms) >= count:
            break
        terms.setdefault(pair)
    return list(terms)


def simulated_items(count: int) -> list[DetectionItem]:
    actors: dict[str, dict[str, Any]] = {}
    items: list[DetectionItem] = []
    for kind, payload, _truth in World(SimulationSpec(seed=1, scale=Scale.SMALL, days=14)).labelled_records():
        if kind is RecordKind.ACTORS:
            actors[payload["id"]] = payload
        elif kind is RecordKind.CONTENT:
            items.append(_item(len(items) + 1, payload, actors[payload["actor_id"]]))
            if len(items) == count:
                break
    return items


def _moment(value: Any) -> datetime:
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def _item(pk: int, content: dict[str, Any], actor: dict[str, Any]) -> DetectionItem:
    text = content.get("text") or ""
    urls = links_in(text)
    return DetectionItem(
        content_pk=pk,
        actor_pk=0,
        content_id=content["id"],
        type=content["type"],
        text=text,
        language=content.get("language") or "",
        country=content.get("country") or "",
        surface=content.get("surface") or "",
        created_at=_moment(content["created_at"]),
        views=0,
        media_pdq="",
        has_media="media" in content,
        actor_id=actor["id"],
        actor_created_at=_moment(actor["created_at"]),
        actor_country=actor.get("country") or "",
        actor_language=actor.get("language") or "",
        attributes=actor.get("attributes") or {},
        urls=urls,
        domains=domains_of(urls),
    )


def fresh(items: list[DetectionItem]) -> list[DetectionItem]:
    """Copies with no signals, so that each way computes its own."""
    return [
        DetectionItem(**{**vars(item), "folded": "", "keyword": {}, "regex": {}, "velocity": {}, "labels": {}})
        for item in items
    ]


def run(way: str, items: list[DetectionItem], rules: list[BenchRule], plan: SignalPlan, batch: int) -> dict[str, Any]:
    store = Session()  # no provider here reads the store
    fields = context_fields(["terms"], ["patterns"])
    engine: Engine[BenchRule] = Engine(rules, fields)
    assert not engine.broken, engine.broken
    builder = VariableBuilder(engine.leaves, engine.groups, fields)
    velocity = MemoryVelocity()
    hits: list[tuple[int, ...]] = []
    spent = {"signals": 0.0, "variables": 0.0, "rules": 0.0}
    clock = time.process_time
    started = clock()
    for begin in range(0, len(items), batch):
        chunk = items[begin : begin + batch]
        t0 = clock()
        scope = SignalScope(store, chunk[-1].created_at)
        compute_signals(chunk, plan, velocity=velocity, labels=None, scope=scope)
        t1 = clock()
        spent["signals"] += t1 - t0
        if way == "ours":
            for item in chunk:
                t2 = clock()
                variables = builder.variables(item)
                t3 = clock()
                hits.append(engine.run(variables).hits)
                spent["variables"] += t3 - t2
                spent["rules"] += clock() - t3
        else:
            checks = [rule.check for rule in rules]
            t2 = clock()
            for item in chunk:
                hits.append(tuple(position for position, check in enumerate(checks) if check(item)))
            spent["rules"] += clock() - t2
    total = clock() - started
    return {"seconds": total, "hits": hits, "spent": spent}


def signal_steps(items: list[DetectionItem], plan: SignalPlan) -> dict[str, float]:
    """The CPU seconds of each step of `compute_signals`, run one at a time over every item."""
    clock = time.process_time
    keyword, regex = plan.keyword_banks["terms"], plan.regex_banks["patterns"]
    spent: dict[str, float] = {}
    started = clock()
    folded = [fold(item.text) for item in items]
    spent["fold"] = clock() - started
    started = clock()
    for text in folded:
        keyword.matches(text)
    spent["keywords"] = clock() - started
    started = clock()
    for item in items:
        regex.matches(item.text)
    spent["regexes"] = clock() - started
    velocity = MemoryVelocity()
    started = clock()
    for begin in range(0, len(items), 500):
        chunk = items[begin : begin + 500]
        velocity.observe(
            [Observation(i.created_at, {k: v for k, v in i.entity_values().items() if k != "content"}) for i in chunk]
        )
    spent["velocity"] = clock() - started
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--terms", type=int, default=10_000)
    args = parser.parse_args()

    items = simulated_items(args.events)
    print(f"{len(items):,} simulated posts, {args.rules} rules, {args.terms:,} keyword terms, 5 regexes")
    rules = reference_rules(args.rules)
    plan = SignalPlan(
        keyword_banks={"terms": KeywordBank("terms", 1, keyword_terms(args.terms))},
        regex_banks={"patterns": RegexBank("patterns", 1, PATTERNS)},
        folded=True,
        labels=False,
        providers=(),
    )
    results = {way: run(way, fresh(items), rules, plan, args.batch) for way in ("ours", "baseline")}
    ours, baseline = results["ours"], results["baseline"]
    mismatches = sum(1 for a, b in zip(ours["hits"], baseline["hits"], strict=True) if a != b)
    matched = sum(1 for h in ours["hits"] if h)
    print(f"events with at least one hit: {matched:,} of {len(items):,}; rule hits: {sum(map(len, ours['hits'])):,}")
    print(f"hits that differ between the two ways: {mismatches}")
    n = len(items)
    print()
    print(f"{'way':<10} {'events/s (one core, CPU time)':>30} {'µs/event':>10}")
    for way, result in results.items():
        print(f"{way:<10} {n / result['seconds']:>30,.0f} {result['seconds'] / n * 1e6:>10.1f}")
    print(f"ours / baseline: {baseline['seconds'] / ours['seconds']:.2f}")
    print()
    print("where ours spends its time, µs per event:")
    for part, seconds in ours["spent"].items():
        print(f"  {part:<10} {seconds / n * 1e6:8.1f}")
    print(f"  {'(rest)':<10} {(ours['seconds'] - sum(ours['spent'].values())) / n * 1e6:8.1f}")
    print("the signals, µs per event, each step alone:")
    for part, seconds in signal_steps(fresh(items), plan).items():
        print(f"  {part:<10} {seconds / n * 1e6:8.1f}")
    if mismatches:
        sys.exit("the two ways disagree: the benchmark is not comparing the same rules")


if __name__ == "__main__":
    main()
