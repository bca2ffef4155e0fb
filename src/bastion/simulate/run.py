"""One pass over the simulated timeline, hour by hour, merging new items with scheduled events."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from typing import Any

from bastion.simulate.actors import ActorOverride, Population, actor_id
from bastion.simulate.content import ContentFactory, HarmRates, NewContent, term_share
from bastion.simulate.corpus import Corpus
from bastion.simulate.geography import COUNTRIES, COUNTRY_INDEX, ENGLISH_SWITCH
from bastion.simulate.networks import BURST_SECONDS
from bastion.simulate.policies import Harm
from bastion.simulate.randomness import poisson, round_randomly, substream
from bastion.simulate.records import LabelledRecord, RecordKind
from bastion.simulate.reports import (
    ACTOR_TARGET_SHARE,
    MAX_REPORTS_PER_ITEM,
    expected_reports,
    report_comment,
    report_reason,
)
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.tally import SLOT_OF, Tally
from bastion.simulate.timeline import DAY, HOUR, Clockface, hourly_volume
from bastion.simulate.truthfile import build_truth
from bastion.simulate.truths import EVENT_REACH, EVENT_REPORTING, Plan, language_share
from bastion.simulate.views import event_impressions, impressions, sample_weights, typical_audience, view_delay
from bastion.simulate.workforce import SimulatedReviewer

_ACTOR, _CONTENT, _NETWORK, _TARGET, _SPIKE, _TERM = 0, 1, 2, 3, 4, 5
_VIEW, _REPORT = 0, 1
NETWORK_POST_CHANCE = 0.85
ABUSIVE_REPORT_CHANCE = 0.6
ABUSIVE_ACTOR_REPORT_CHANCE = 0.1
# The target of the abusive reporters is a creator who posts this share of each day's content
# (within these bounds per day), besides their ordinary activity.
TARGET_SHARE = 0.005
TARGET_DAILY_POSTS = (0.5, 6.0)
NETWORK_ACCOUNT_REPORTS = 0.05
SAME_COUNTRY_AUDIENCE = 0.6
VIEWER_KNOWN = 0.75


class Run:
    """Generates one pass of records; afterwards, `truth()` reports what was planted and counted."""

    def __init__(self, spec: SimulationSpec, corpus: Corpus, population: Population, plan: Plan) -> None:
        self.spec = spec
        self.population = population
        self.plan = plan
        self.clock = Clockface(spec.start, spec.days * 24)
        self.tally = Tally(spec.days)
        self.factory = ContentFactory(corpus, plan)
        self.rates = HarmRates(plan)
        self.end = spec.seconds
        self.rng = substream(spec.seed, "timeline")
        # Planted events' posts, views and reports draw from a stream of their own: the ordinary platform
        # is the same, draw for draw, whatever is planted on top of it.
        self._event_rng = substream(spec.seed, "event-posts")
        self._actor_rng = substream(spec.seed, "actor-records")
        self._overrides: dict[int, ActorOverride] = plan.overrides()
        self._heap: list[tuple[Any, ...]] = []
        self._seq = 0
        self._target = plan.abusive.target
        self._target_reporters: tuple[int, ...] = plan.abusive.reporters
        self._typical = typical_audience(population.followers[: population.regular])

    def generate(self) -> Iterator[LabelledRecord]:
        """Every record of the run in time order."""
        population = self.population
        planted = range(population.regular, len(population))
        before = sorted((i for i in range(len(population)) if population.created[i] < 0), key=self._created_key)
        for index in before:
            yield self._actor(index, 0)
        creations = self._creations(planted)
        volume = hourly_volume(self.spec.start, self.spec.days * 24, self.spec.profile.content_items)
        rng = self.rng
        for hour in range(self.spec.days * 24):
            start = hour * HOUR
            items: list[tuple[int, int, int, int]] = creations.pop(hour, [])
            for country, row in enumerate(volume):
                for _ in range(round_randomly(rng, row[hour])):
                    items.append((start + rng.randrange(HOUR), self._next(), _CONTENT, country))
            items.sort()
            for at, _, kind, argument in items:
                yield from self._due(at)
                if kind == _ACTOR:
                    yield self._actor(argument, at)
                elif kind == _CONTENT:
                    yield self._regular_content(argument, at)
                elif kind == _TARGET:
                    yield self._regular_content(self.population.country[argument], at, argument)
                elif kind in (_SPIKE, _TERM):
                    yield self._planted_content(kind, argument, at)
                else:
                    network, position = divmod(argument, 1_000_000)
                    yield self._network_content(network, position, at)
            yield from self._due(start + HOUR)

    def truth(self, workforce: tuple[SimulatedReviewer, ...]) -> dict[str, Any]:
        """The truth file of this pass (call after `generate()` is exhausted)."""
        return build_truth(self.spec, self.plan, self.population, workforce, self.tally, self.clock)

    # Scheduling -------------------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _created_key(self, index: int) -> tuple[int, int]:
        return self.population.created[index], index

    def _creations(self, planted: range) -> dict[int, list[tuple[int, int, int, int]]]:
        """Accounts created during the run, the targeted creator's posts and network posts, by hour."""
        by_hour: dict[int, list[tuple[int, int, int, int]]] = {}
        for index in planted:
            created = self.population.created[index]
            if 0 <= created < self.end:
                by_hour.setdefault(created // HOUR, []).append((created, self._next(), _ACTOR, index))
        creator = substream(self.spec.seed, "creator")
        low, high = TARGET_DAILY_POSTS
        daily = min(high, max(low, TARGET_SHARE * self.spec.profile.content_items / self.spec.days))
        for day in range(self.spec.days):
            for _ in range(round_randomly(creator, daily * creator.uniform(0.5, 1.5))):
                at = day * DAY + creator.randrange(DAY)
                by_hour.setdefault(at // HOUR, []).append((at, self._next(), _TARGET, self._target))
        events = substream(self.spec.seed, "events")
        for number, spike in enumerate(self.plan.spikes):
            for _ in range(spike.items):
                at = events.randrange(spike.start, spike.end)
                by_hour.setdefault(at // HOUR, []).append((at, self._next(), _SPIKE, number))
        for number, term in enumerate(self.plan.terms):
            posted = 0
            while posted < term.posts and term.first_seen < self.end:
                # Posts follow the word's rise: as likely at a moment as its share of the segment then.
                at = events.randrange(term.first_seen, self.end)
                if events.random() * term_share(term, self.end) < term_share(term, at):
                    by_hour.setdefault(at // HOUR, []).append((at, self._next(), _TERM, number))
                    posted += 1
        bursts = substream(self.spec.seed, "bursts")
        for number, network in enumerate(self.plan.networks):
            for burst in network.bursts:
                for position in range(len(network.members)):
                    if bursts.random() < NETWORK_POST_CHANCE:
                        at = burst + bursts.randrange(BURST_SECONDS)
                        entry = (at, self._next(), _NETWORK, number * 1_000_000 + position)
                        by_hour.setdefault(at // HOUR, []).append(entry)
        return by_hour

    def _due(self, until: int) -> Iterator[LabelledRecord]:
        """Scheduled views and reports that happen before second `until`."""
        heap = self._heap
        while heap and heap[0][0] < until:
            event = heapq.heappop(heap)
            if event[2] == _VIEW:
                yield self._view(event)
            else:
                yield self._report(event)

    def _schedule_audience(
        self,
        made: NewContent,
        author: int,
        country: int,
        at: int,
        extra_actor_reports: float,
        reach: int = -1,
        reporting: float = 1.0,
    ) -> None:
        """Schedule the views and reports a new item will get: `reach` impressions, or (when negative) as
        many as its author's followers and the feed's luck give it; `reporting` times the usual reports."""
        rng, population, profile = self.rng, self.population, self.spec.profile
        content_id = made.payload["id"]
        if reach < 0:
            reach = impressions(rng, population.followers[author], made.content_type)
        slot = SLOT_OF[made.harm] if made.harm is not None else 0
        for weight in sample_weights(reach, profile.view_unit, profile.max_view_samples):
            seen = at + view_delay(rng)
            if seen < self.end:
                viewer = self._audience(country) if rng.random() < VIEWER_KNOWN else -1
                heapq.heappush(self._heap, (seen, self._next(), _VIEW, content_id, weight, viewer, slot))
        reported = 0
        count = min(
            MAX_REPORTS_PER_ITEM,
            poisson(rng, reporting * expected_reports(made.harm, reach, made.content_type, made.offensive)),
        )
        for _ in range(count):
            when = at + 60 + view_delay(rng)
            reporter = self._audience(country)
            if when >= self.end or reporter == author:
                continue
            if rng.random() < ACTOR_TARGET_SHARE:
                self._push_report(when, None, author, reporter, report_reason(rng, made.harm))
            else:
                self._push_report(when, content_id, -1, reporter, report_reason(rng, made.harm))
                reported = 1
        for _ in range(poisson(rng, extra_actor_reports)):
            when = at + 60 + view_delay(rng)
            if when < self.end:
                self._push_report(when, None, author, self._audience(country), "fake account")
        abuse = self.plan.abusive
        if author == self._target and abuse.start <= at < abuse.end and made.content_type != "message":
            reported |= self._schedule_abuse(content_id, author, at)
        if reported:
            self.tally.reported_items += 1
            self.tally.reported_violating += made.harm is not None

    def _schedule_abuse(self, content_id: str, author: int, at: int) -> int:
        rng, reasons = self.rng, self.plan.abusive.reasons
        reported = 0
        for reporter in self._target_reporters:
            if rng.random() < ABUSIVE_REPORT_CHANCE:
                when = at + rng.randint(300, 5_400)
                if when < self.end:
                    self._push_report(when, content_id, -1, reporter, reasons[rng.randrange(len(reasons))], True)
                    reported = 1
            if rng.random() < ABUSIVE_ACTOR_REPORT_CHANCE:
                when = at + rng.randint(300, 5_400)
                if when < self.end:
                    self._push_report(when, None, author, reporter, reasons[rng.randrange(len(reasons))], True)
        return reported

    def _push_report(
        self, when: int, content_id: str | None, actor: int, reporter: int, reason: str, abusive: bool = False
    ) -> None:
        comment = report_comment(self.rng)
        heapq.heappush(self._heap, (when, self._next(), _REPORT, content_id, actor, reporter, reason, comment, abusive))

    def _audience(self, country: int) -> int:
        rng = self.rng
        return self.population.pick_anyone(rng, country if rng.random() < SAME_COUNTRY_AUDIENCE else None)

    # Records ----------------------------------------------------------------------------------

    def _actor(self, index: int, at: int) -> LabelledRecord:
        created = self.population.created[index]
        payload = self.population.payload(
            self._actor_rng, index, max(at, created), self.clock.iso(created), self._overrides.get(index)
        )
        self.tally.actors += 1
        return LabelledRecord(RecordKind.ACTORS, payload, None)

    def _regular_content(self, country: int, at: int, author: int = -1) -> LabelledRecord:
        rng, population = self.rng, self.population
        if author < 0:
            author = population.pick_poster(rng, country)
        language = population.language_code(author)
        if language != "en" and rng.random() < ENGLISH_SWITCH:
            language = "en"
        family: Harm | None = None
        if author != self._target:
            family = self.rates.draw(rng, country)
        content_id = self._content_id()
        made = self.factory.regular(
            rng, content_id, actor_id(author), country, language, at, self.clock.iso(at), family
        )
        self._count(made)
        self._schedule_audience(made, author, country, at, 0.0)
        return LabelledRecord(RecordKind.CONTENT, made.payload, made.truth)

    def _planted_content(self, kind: int, number: int, at: int) -> LabelledRecord:
        """A post of a planted event: a spike's (in its segment) or one using an emerging coded word."""
        timeline, self.rng = self.rng, self._event_rng
        try:
            return self._event_post(kind, number, at)
        finally:
            self.rng = timeline

    def _event_post(self, kind: int, number: int, at: int) -> LabelledRecord:
        rng = self.rng
        if kind == _SPIKE:
            spike = self.plan.spikes[number]
            country, language, family, term = COUNTRY_INDEX[spike.country], spike.language, spike.harm, None
        else:
            term = self.plan.terms[number]
            language, family = term.language, term.harm
            # Not in a spike's segment: there the spike is the only change.
            spiked = {s.country for s in self.plan.spikes if s.harm is family and s.language == language}
            speakers = [
                (i, c.share * language_share(c, language)) for i, c in enumerate(COUNTRIES) if c.code not in spiked
            ]
            point = rng.random() * sum(w for _, w in speakers)
            country = next((i for i, w in speakers if (point := point - w) < 0), speakers[-1][0])
        author = self.population.pick_poster(rng, country)
        content_id = self._content_id()
        made = self.factory.planted(
            rng, content_id, actor_id(author), country, language, self.clock.iso(at), family, term
        )
        self._count(made)
        # The reach draws from a generator of the post's own, seeded from its id: the event stream's other
        # draws (authors, texts, views, reports) stay as they were.
        spread = random.Random(f"bastion-simulate/{self.spec.seed}/event-reach/{content_id}")
        reach = event_impressions(spread, self._typical, EVENT_REACH)
        self._schedule_audience(made, author, country, at, 0.0, reach, EVENT_REPORTING)
        return LabelledRecord(RecordKind.CONTENT, made.payload, made.truth)

    def _network_content(self, number: int, position: int, at: int) -> LabelledRecord:
        network = self.plan.networks[number]
        author = network.members[position]
        content_id = self._content_id()
        made = self.factory.networked(self.rng, content_id, actor_id(author), network, self.clock.iso(at))
        self._count(made)
        self.tally.network_content[network.id] += 1
        country = self.population.country[author]
        self._schedule_audience(made, author, country, at, NETWORK_ACCOUNT_REPORTS)
        return LabelledRecord(RecordKind.CONTENT, made.payload, made.truth)

    def _content_id(self) -> str:
        self.tally.content += 1
        return f"c{self.tally.content:09d}"

    def _count(self, made: NewContent) -> None:
        self.tally.content_by_policy[made.truth.policy or "none"] += 1
        self.tally.content_by_language[made.language] += 1

    def _view(self, event: tuple[Any, ...]) -> LabelledRecord:
        at, _, _, content_id, weight, viewer, slot = event
        tally = self.tally
        tally.views += 1
        tally.add_view(at // DAY, slot, weight)
        payload: dict[str, Any] = {"id": f"v{tally.views:010d}", "content_id": content_id}
        if viewer >= 0:
            payload["viewer_id"] = actor_id(viewer)
        payload["viewed_at"] = self.clock.iso(at)
        payload["weight"] = weight
        return LabelledRecord(RecordKind.VIEWS, payload, None)

    def _report(self, event: tuple[Any, ...]) -> LabelledRecord:
        at, _, _, content_id, actor, reporter, reason, comment, abusive = event
        tally = self.tally
        tally.reports += 1
        tally.abusive_reports += abusive
        target = {"content_id": content_id} if content_id is not None else {"actor_id": actor_id(actor)}
        payload: dict[str, Any] = {
            "id": f"r{tally.reports:09d}",
            "target": target,
            "reporter_id": actor_id(reporter),
            "reason": reason,
            "created_at": self.clock.iso(at),
        }
        if comment is not None:
            payload["text"] = comment
        return LabelledRecord(RecordKind.REPORTS, payload, None)
