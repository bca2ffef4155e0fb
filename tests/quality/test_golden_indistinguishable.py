"""A golden job cannot be told from a real job of its queue: not in the console's HTML, not in any API
payload (the job, the claim, the decision's answer), not in the claim order. Its decision is scored
against the golden answer and never enforced: no enforcement action, no webhook message."""

from __future__ import annotations

import random
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from scipy.stats import mannwhitneyu
from sqlalchemy import func, select
from statsmodels.stats.proportion import proportion_confint

from bastion.clock import FrozenClock
from bastion.store.database import Database
from bastion.store.schema import Decision, EnforcementAction, Job, WebhookDelivery
from tests.quality.golden_seed import POLICY, QUEUE, add_golden, drain, people, post_reported

Path = tuple[str | int, ...]


def shape(value: Any) -> Any:
    """Keys, list lengths and the type of every value, without the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def leaves(value: Any, path: Path = ()) -> dict[Path, Any]:
    if isinstance(value, dict):
        return {p: v for key, item in value.items() for p, v in leaves(item, (*path, key)).items()}
    if isinstance(value, list):
        return {p: v for i, item in enumerate(value) for p, v in leaves(item, (*path, i)).items()}
    return {path: value}


def assert_alike(golden: Any, normal_a: Any, normal_b: Any) -> None:
    """Same structure and types as two real jobs, and every value the two real jobs share, the same."""
    assert shape(normal_a) == shape(normal_b), "the two real jobs must be comparable"
    assert shape(golden) == shape(normal_a)
    a, b, g = leaves(normal_a), leaves(normal_b), leaves(golden)
    shared = {path for path in a if a[path] == b[path]}
    differing = {path: (g[path], a[path]) for path in shared if g[path] != a[path]}
    assert not differing, differing
    assert shared != set(a), "some values differ between any two jobs (ids, texts)"


class _Tokens(HTMLParser):
    """A page as a flat list: each tag with its attribute names, each attribute value, each piece of text."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[Any] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append({"tag": tag, "attrs": [{"name": name, "value": value or ""} for name, value in attrs]})

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append({"end": tag})

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.tokens.append({"text": " ".join(data.split())})


def page_tokens(html: str) -> list[Any]:
    parser = _Tokens()
    parser.feed(html)
    return parser.tokens


def test_a_golden_job_looks_like_real_ones_in_the_claim_the_job_the_console_and_the_decision(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    who = people(client, database, clock)
    platform, rita = who["platform"], who["rita"]
    # Three authors with a track record: a post each, reported by a reporter, removed on review.
    for i in (1, 2, 3):
        post_reported(client, platform, author=f"author-{i}", post=f"history-{i}", reporter=f"reporter-{i}")
    assert len(drain(client, who["olga"])) == 3
    # Two of them post again and are reported by the same reporters: real jobs. The third's removed post
    # becomes a golden item (the third posts again too, unreported, so every author has two posts).
    post_reported(client, platform, author="author-1", post="fresh-1", reporter="reporter-1", views=1_200)
    post_reported(client, platform, author="author-2", post="fresh-2", reporter="reporter-2", views=54_000)
    quiet = {
        "id": "quiet-3",
        "actor_id": "author-3",
        "type": "post",
        "text": "a quiet post",
        "created_at": "2026-11-01T10:00:00Z",
    }
    client.post("/api/v1/content", json=quiet, headers=platform).raise_for_status()
    add_golden(client, who["quinn"], "hate-basics", ["history-3"])
    assert client.post("/api/v1/golden-serving", headers=who["quinn"]).json() == {"opened": 1}

    claims = [client.post(f"/api/v1/queues/{QUEUE}/claim", headers=rita).json() for _ in range(3)]
    with database.transaction() as session:
        golden_pk = session.scalar(select(Job.pk).where(Job.golden_pk.is_not(None)))
    by_id = {c["id"]: c for c in claims}
    golden, (normal_a, normal_b) = by_id[golden_pk], [c for c in claims if c["id"] != golden_pk]
    assert_alike(golden, normal_a, normal_b)
    assert golden["reports"] and golden["policy"]["id"] == POLICY  # the original job's reports and hint

    views = {i: client.get(f"/api/v1/jobs/{i}", headers=rita).json() for i in by_id}
    assert_alike(views[golden_pk], views[normal_a["id"]], views[normal_b["id"]])
    assert "golden" not in str(views[golden_pk]).lower()

    pages = {i: client.get(f"/review/jobs/{i}", headers=rita) for i in by_id}
    assert all(p.status_code == 200 for p in pages.values())
    html = {i: page_tokens(p.text) for i, p in pages.items()}
    assert_alike(html[golden_pk], html[normal_a["id"]], html[normal_b["id"]])
    assert "golden" not in pages[golden_pk].text.lower()

    with database.transaction() as session:
        actions_before = session.scalar(select(func.count()).select_from(EnforcementAction)) or 0
        messages_before = session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0
    choice = {"policy": POLICY, "action": "remove", "rationale": "dehumanising"}
    answers = {i: client.post(f"/api/v1/jobs/{i}/decision", json=choice, headers=rita).json() for i in by_id}
    assert_alike(answers[golden_pk], answers[normal_a["id"]], answers[normal_b["id"]])
    stand_in = answers[golden_pk]["actions"][0]
    assert stand_in["action"] == "remove" and stand_in["policy"] == POLICY

    with database.transaction() as session:
        golden_decision = session.scalar(select(Decision.pk).where(Decision.job_pk == golden_pk))
        assert golden_decision == answers[golden_pk]["decision"]
        # Only the two real decisions enforced anything; the golden one has no action and no message.
        assert session.scalar(select(func.count()).select_from(EnforcementAction)) == actions_before + 2
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == messages_before + 2
        assert session.scalar(select(EnforcementAction).where(EnforcementAction.decision_pk == golden_decision)) is None
        assert session.get(EnforcementAction, stand_in["id"]) is None or database.dialect == "sqlite"
        real_ids = set(session.scalars(select(EnforcementAction.pk)))
    if database.dialect == "postgresql":  # reserved from the sequence: no real action ever takes its id
        assert stand_in["id"] not in real_ids

    # The golden answer scores the decision: right, one of one, with statsmodels' Wilson interval.
    detail = client.get("/api/v1/golden-sets/hate-basics", headers=who["quinn"]).json()
    (score,) = detail["reviewers"]
    low, high = proportion_confint(1, 1, alpha=0.05, method="wilson")
    assert score == {
        "reviewer": "rita",
        "decided": 1,
        "correct": 1,
        "accuracy": 1.0,
        "accuracy_low": low,
        "accuracy_high": high,
    }


def test_the_claim_order_favours_neither_golden_nor_real_jobs(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    """Golden and real jobs drawn from the same priority distribution (reach, one report each, opened at the
    same moments) are claimed in an order that does not tell them apart: a Mann-Whitney test on their claim
    positions, which fails when one kind sinks or rises (a golden job without its original's reports would)."""
    who = people(client, database, clock)
    platform = who["platform"]
    draw = random.Random(11)
    n = 30

    def views() -> int:
        return int(10 ** draw.uniform(0, 6))

    originals = [f"original-{i}" for i in range(n)]
    for i, post in enumerate(originals):
        post_reported(client, platform, author=f"author-o{i}", post=post, reporter=f"reporter-o{i}", views=views())
    assert len(drain(client, who["olga"], policy="none")) == n
    add_golden(client, who["quinn"], "claim-order", originals, answer="none", share=1.0)
    clock.advance(timedelta(hours=25))  # the originals are out of the serving window: one golden per real job
    for i in range(n):
        clock.advance(timedelta(minutes=7))
        post_reported(
            client, platform, author=f"author-f{i}", post=f"fresh-{i}", reporter=f"reporter-f{i}", views=views()
        )
        assert client.post("/api/v1/golden-serving", headers=who["quinn"]).json() == {"opened": 1}

    order = drain(client, who["rita"], policy="none")
    assert len(order) == 2 * n
    with database.transaction() as session:
        golden = set(session.scalars(select(Job.pk).where(Job.golden_pk.is_not(None))))
    golden_positions = [i for i, pk in enumerate(order) if pk in golden]
    real_positions = [i for i, pk in enumerate(order) if pk not in golden]
    assert len(golden_positions) == len(real_positions) == n
    result = mannwhitneyu(golden_positions, real_positions, alternative="two-sided")
    assert result.pvalue > 0.05, (golden_positions, result)
