"""Detection benchmark: events per second on one core through a reference rule set, side by side with a
plain-Python baseline, in one run.

    .venv/bin/python bench/detect.py [--events 20000] [--batch 500] [--rules 100] [--terms 10000]
    .venv/bin/python bench/detect.py --matching [--bank-hashes 1000000]

The events are the simulator's own posts (its default small world, in time order, with their authors),
turned into detection items once before the clock starts. Both ways compute the same signals — text
folding, one keyword bank of `--terms` terms (Aho-Corasick), one regex bank of 5 RE2 patterns, the
twelve velocity counters in memory — and then evaluate `--rules` rules:

- **ours**: the rules as CEL, compiled once, each reading only the flat variables it names
  (`bastion.detect.engine`, `bastion.detect.context`): exactly what a worker runs;
- **baseline**: the same rules written by hand as Python functions over the item (no `eval`, no CEL).

The two must agree on every hit of every event (checked: a mismatch fails the run). Reported: events
per second of CPU time for each way and their ratio, and where ours spends its time per event.

With `--matching`, the same posts also run through a real SQLite store (a temporary file), as a worker
runs them: the world written through the ingest path, a live built-in classifier (trained on
HateXplain's train split) and, when the hash-bank area is there, a hash bank of `--bank-hashes` random
PDQ hashes plus the simulator's planted bank hashes — all set up before the clock starts. Each batch
is computed in one transaction, commit included, with the signal providers registered for the store
(near-duplicate clusters, model scores, hash matches) and rules added that read them. Reported beside
ours and the baseline: ours with matching on, and the µs per event each provider adds, each timed
alone on a fresh copy of the store against the same run with no provider.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock, as_utc
from bastion.detect.context import DetectionItem, VariableBuilder
from bastion.detect.engine import Engine
from bastion.detect.fields import context_fields
from bastion.detect.keywords import KeywordBank
from bastion.detect.links import domains_of, links_in
from bastion.detect.normalise import fold
from bastion.detect.pipeline import load_items
from bastion.detect.reference import FLOOD
from bastion.detect.regexes import RegexBank
from bastion.detect.signals import SignalPlan, SignalScope, compute_signals, signal_providers
from bastion.detect.velocity import MemoryVelocity, Observation
from bastion.domain.detect import RuleMode
from bastion.domain.match import HashBankKind
from bastion.domain.models import ModelKind, ModelMode
from bastion.match.bank_index import BANK_INDEXES, index_path
from bastion.match.hash_banks import FloodLimit, add_hashes, create_hash_bank
from bastion.match.hash_lists import HashList, ListedHash, ListFormat
from bastion.match.matching import HashSignals
from bastion.match.pdq import HASH_BYTES
from bastion.models.hatexplain import load_split
from bastion.models.signals import CLASSIFIERS, ModelSignals
from bastion.models.text_classifier import train_text_classifier
from bastion.models.training import NOT_VIOLATING, VIOLATING
from bastion.models.versions import add_version
from bastion.setup import initialise
from bastion.simulate.corpus import load_hatexplain
from bastion.simulate.records import RecordKind
from bastion.simulate.spec import Scale, SimulationSpec
from bastion.simulate.world import World
from bastion.simulate.writer import write_platform
from bastion.store.database import Database
from bastion.store.schema import ContentItem

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


EMPTY = {"folded": "", "keyword": {}, "regex": {}, "velocity": {}, "labels": {}, "plugin": {}, "confidence": {}}


def fresh(items: list[DetectionItem]) -> list[DetectionItem]:
    """Copies with no signals, so that each way computes its own."""
    return [DetectionItem(**{**vars(item), **{name: type(value)() for name, value in EMPTY.items()}}) for item in items]


def settle() -> None:
    """Before each timed run: what earlier runs and set-up left alive is frozen, so that the garbage
    collector does not walk it again and again in this run (later runs would pay for earlier ones)."""
    gc.collect()
    gc.freeze()


def run(way: str, items: list[DetectionItem], rules: list[BenchRule], plan: SignalPlan, batch: int) -> dict[str, Any]:
    store = Session()  # no provider here reads the store
    fields = context_fields(["terms"], ["patterns"])
    engine: Engine[BenchRule] = Engine(rules, fields)
    assert not engine.broken, engine.broken
    builder = VariableBuilder(engine.leaves, engine.groups, fields)
    velocity = MemoryVelocity()
    hits: list[tuple[int, ...]] = []
    spent = {"signals": 0.0, "variables": 0.0, "rules": 0.0}
    settle()
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


MODEL = "hate_builtin"
BANK, ALLOW = "known_images", "benign_memes"


def matching_rules(providers: dict[str, Any]) -> list[BenchRule]:
    """Rules reading the providers' signals, each with the same check by hand over `item.plugin`."""
    made: list[BenchRule] = []
    if "neardup" in providers:
        made += [
            BenchRule(
                "neardup-burst",
                "signals.neardup.size >= 5 && signals.neardup.growth_1h >= 3",
                lambda t: t.plugin["neardup"]["size"] >= 5 and t.plugin["neardup"]["growth_1h"] >= 3,
            ),
            BenchRule(
                "neardup-copy",
                "signals.neardup.similarity < 1.0 && signals.neardup.size > 20",
                lambda t: t.plugin["neardup"]["similarity"] < 1.0 and t.plugin["neardup"]["size"] > 20,
            ),
        ]
    if "hash" in providers:
        made += [
            BenchRule(
                "hash-known",
                f"signals.hash.{BANK}.hit",
                lambda t: t.plugin["hash"][BANK]["hit"],
            ),
            BenchRule(
                "hash-close-new-account",
                f"signals.hash.{BANK}.distance <= 8 && actor.account_age_days < 30.0",
                lambda t: t.plugin["hash"][BANK]["distance"] <= 8 and t.account_age_days < 30,
            ),
            BenchRule(
                "hash-held-or-allowed",
                "signals.hash.flooded || signals.hash.allowed",
                lambda t: t.plugin["hash"]["flooded"] or t.plugin["hash"]["allowed"],
            ),
        ]
    if "model" in providers:
        made.append(
            BenchRule(
                "model-hate",
                f"signals.model.{MODEL}.available && signals.model.{MODEL}.score >= 0.8",
                lambda t: t.plugin["model"][MODEL]["available"] and t.plugin["model"][MODEL]["score"] >= 0.8,
            )
        )
        if "neardup" in providers:
            made.append(
                BenchRule(
                    "model-hate-spreading",
                    f"signals.model.{MODEL}.score >= 0.5 && signals.neardup.size >= 3",
                    lambda t: t.plugin["model"][MODEL]["score"] >= 0.5 and t.plugin["neardup"]["size"] >= 3,
                )
            )
    return made


@dataclass
class MatchingStore:
    """A store written once before the clock starts; each timed run works on a copy of its file."""

    template: Path
    items: list[DetectionItem]
    setup_seconds: float

    def copy(self, name: str) -> Database:
        target = self.template.with_name(f"{name}.db")
        shutil.copyfile(self.template, target)
        saved, copied = index_path(f"sqlite:///{self.template}"), index_path(f"sqlite:///{target}")
        if saved is not None and copied is not None and saved.exists():  # the bank index, as a worker finds it
            shutil.copyfile(saved, copied)
            shutil.copyfile(saved.with_suffix(".json"), copied.with_suffix(".json"))
        return Database(f"sqlite:///{target}")


def matching_store(folder: Path, count: int, bank_hashes: int) -> MatchingStore:
    """The default world through the ingest path; a live built-in classifier trained on HateXplain's
    train split (hate speech and offensive posts as violating); a match bank of `bank_hashes` random
    hashes plus the images the simulator plants near matches of (its known adult images and its
    campaigns' images), with the reference flood limit, and an allow bank of its benign memes."""
    started = time.perf_counter()
    spec = SimulationSpec(seed=1, scale=Scale.SMALL, days=14)
    template = folder / "template.db"
    database = Database(f"sqlite:///{template}")
    clock = FrozenClock(spec.start)
    initialise(database, clock)
    world = World(spec)
    write_platform(database, world.records(), clock=clock)
    train = load_split("train")
    labels = [NOT_VIOLATING if p.label == "normal" else VIOLATING for p in train]
    classifier = train_text_classifier([p.text for p in train], labels)
    with database.transaction() as session:
        add_version(
            session, name=MODEL, kind=ModelKind.SKLEARN, policy_id="hate_speech", mode=ModelMode.LIVE,
            config={"threshold": 0.5}, card={}, principal=SYSTEM.name, now=clock(), artefact=classifier.to_bytes(),
        )  # fmt: skip
        create_hash_bank(session, BANK, flood=FloodLimit(*FLOOD), principal=SYSTEM.name, now=clock())
        create_hash_bank(session, ALLOW, kind=HashBankKind.ALLOW, principal=SYSTEM.name, now=clock())
    planted = [(h, "adult image") for h in world.plan.adult_hashes]
    planted += [(n.image_pdq, f"campaign {n.id}") for n in world.plan.networks]
    random = np.random.default_rng(7).integers(0, 256, (bank_hashes, HASH_BYTES), dtype=np.uint8)
    lists = [(BANK, [(bytes.fromhex(h), label) for h, label in planted])]
    # In imports of 200,000: the retroactive match of an import lists its new entries in one SQL statement,
    # and SQLite takes at most 250,000 variables a statement.
    step = 200_000
    lists += [(BANK, [(row.tobytes(), "") for row in random[i : i + step]]) for i in range(0, bank_hashes, step)]
    lists.append((ALLOW, [(bytes.fromhex(h), "meme") for h in world.plan.meme_hashes]))
    for bank, hashes in lists:
        listed = HashList(
            ListFormat.CSV, tuple(ListedHash(line, raw, label) for line, (raw, label) in enumerate(hashes))
        )
        with database.transaction() as session:
            add_hashes(session, bank, listed, principal=SYSTEM.name, now=clock())
    with database.transaction() as session:
        BANK_INDEXES.index(session)  # built once and saved beside the store: each copy loads it
        pks = list(session.scalars(select(ContentItem.pk).order_by(ContentItem.pk).limit(count)))
        items = load_items(session, pks)
    database.dispose()
    return MatchingStore(template, items, time.perf_counter() - started)


def run_store(
    database: Database,
    items: list[DetectionItem],
    rules: list[BenchRule],
    base: SignalPlan,
    names: tuple[str, ...],
    batch: int,
) -> dict[str, Any]:
    """Ours as a worker runs it: each batch's signals and rules in one transaction, commit included;
    only the providers named in `names` (those the store registers) compute their signals."""
    with database.transaction() as session:
        providers = [p for p in signal_providers(session) if p.name in names]
        for provider in providers:  # a worker loads its models once, not per batch
            if isinstance(provider, ModelSignals):
                for model in provider.models:  # and checks its vocabulary once, at its first scoring
                    CLASSIFIERS.get(session, model).probabilities(["warming up"])
            if isinstance(provider, HashSignals):  # a worker holds the bank index in memory
                BANK_INDEXES.index(session)
    fields = context_fields(["terms"], ["patterns"], {p.name: p.fields for p in providers})
    engine: Engine[BenchRule] = Engine(rules, fields)
    assert not engine.broken, engine.broken
    builder = VariableBuilder(engine.leaves, engine.groups, fields)
    plan = SignalPlan(base.keyword_banks, base.regex_banks, base.folded, base.labels, ())
    velocity = MemoryVelocity()
    hits: list[tuple[int, ...]] = []
    spent = {"signals": 0.0, **{p.name: 0.0 for p in providers}, "rules": 0.0, "commit": 0.0}
    settle()
    clock = time.process_time
    started = clock()
    for begin in range(0, len(items), batch):
        chunk = items[begin : begin + batch]
        with database.transaction() as session:
            t0 = clock()
            scope = SignalScope(session, chunk[-1].created_at)
            compute_signals(chunk, plan, velocity=velocity, labels=None, scope=scope)
            t1 = clock()
            spent["signals"] += t1 - t0
            for provider in providers:  # what compute_signals does with them, one at a time to see each
                for item, values in zip(chunk, provider.compute(chunk, scope), strict=True):
                    item.plugin[provider.name] = values
                t2 = clock()
                spent[provider.name] += t2 - t1
                t1 = t2
            for item in chunk:
                hits.append(engine.run(builder.variables(item)).hits)
            t3 = clock()
            spent["rules"] += t3 - t1
        spent["commit"] += clock() - t3
    total = clock() - started
    database.dispose()
    return {"seconds": total, "hits": hits, "spent": spent, "names": [p.name for p in providers]}


def by_hand(items: list[DetectionItem], rules: list[BenchRule]) -> list[tuple[int, ...]]:
    return [tuple(position for position, rule in enumerate(rules) if rule.check(item)) for item in items]


def with_matching(
    store: MatchingStore, rules: list[BenchRule], plan: SignalPlan, batch: int
) -> tuple[dict[str, dict[str, Any]], int]:
    """Ours with every provider on, then no provider and each provider alone, each on a fresh copy."""
    database = store.copy("probe")
    with database.transaction() as session:
        names = tuple(p.name for p in signal_providers(session))
    database.dispose()
    items = fresh(store.items)
    everything = rules + matching_rules(dict.fromkeys(names))
    results = {"matching": run_store(store.copy("matching"), items, everything, plan, names, batch)}
    mismatches = sum(1 for a, b in zip(results["matching"]["hits"], by_hand(items, everything), strict=True) if a != b)
    results["store"] = run_store(store.copy("store"), fresh(store.items), rules, plan, (), batch)
    for name in names:
        results[name] = run_store(store.copy(name), fresh(store.items), rules, plan, (name,), batch)
    return results, mismatches


def report_matching(results: dict[str, dict[str, Any]], memory: dict[str, Any], n: int) -> None:
    everything = results["matching"]
    names = ", ".join(everything["names"])
    print(f"\nwith matching on, in a SQLite store, one transaction a batch (providers: {names})")
    print(f"{'way':<22} {'events/s (one core, CPU time)':>30} {'µs/event':>10}")
    ways = (("ours, matching on", everything), ("ours, store, none on", results["store"]), ("ours", memory))
    for label, result in ways:
        print(f"{label:<22} {n / result['seconds']:>30,.0f} {result['seconds'] / n * 1e6:>10.1f}")
    print("where ours with matching on spends its time, µs per event:")
    for part, seconds in everything["spent"].items():
        print(f"  {part:<10} {seconds / n * 1e6:8.1f}")
    print(f"  {'(rest)':<10} {(everything['seconds'] - sum(everything['spent'].values())) / n * 1e6:8.1f}")
    print("what each provider adds alone (its run minus the store run with none on), µs per event:")
    for name in everything["names"]:
        print(f"  {name:<10} {(results[name]['seconds'] - results['store']['seconds']) / n * 1e6:8.1f}")
    rate = n / everything["seconds"]
    print(f"\nmatching on: {rate:,.0f} events/s per core: {'PASS' if rate >= 5000 else 'FAIL'} (target 5,000)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--matching", action="store_true", help="also run with near-duplicates, models, hashes on")
    parser.add_argument("--bank-hashes", type=int, default=1_000_000)
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory()
    store: MatchingStore | None = None
    if args.matching:
        store = matching_store(Path(folder.name), args.events, args.bank_hashes)
        items = store.items  # the stored posts, so that every way sees the same items
        print(f"store set up (untimed): {store.setup_seconds:.0f} s")
    else:
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
    failed = []
    if mismatches:
        failed.append("the two ways disagree: the benchmark is not comparing the same rules")
    if store is not None:
        results_on, differ = with_matching(store, rules, plan, args.batch)
        report_matching(results_on, ours, n)
        print(f"hits with matching on that differ from the rules by hand: {differ}")
        if differ:
            failed.append("with matching on, the CEL rules and the rules by hand disagree")
    folder.cleanup()
    if failed:
        sys.exit("; ".join(failed))


if __name__ == "__main__":
    main()
