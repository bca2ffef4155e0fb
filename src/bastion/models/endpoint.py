"""The HTTP adapter: scores from an external model endpoint that speaks Bastion's scoring protocol.

One POST per detection batch, to the model's `url`:

    {"model": "toxicity", "version": 2, "policy": "harassment",
     "items": [{"id": "c_1", "text": "…", "language": "en"}]}

answered with 200 and

    {"scores": [{"id": "c_1", "score": 0.93}]}

`score` is the probability (0 to 1) that the item violates the policy; an optional `verdict`
(`violating` or `not_violating`) overrides the model version's threshold. An item the answer leaves
out is unavailable. A timeout, a refused connection, a status other than 2xx or a body that does not
follow the protocol makes the whole batch unavailable and counts against the endpoint's circuit
breaker; it never fails detection. When the model's configuration names `api_key_env`, the value of
that environment variable is sent as a Bearer token (the key is never stored nor logged).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx
import structlog

from bastion.detect.context import DetectionItem
from bastion.domain.models import ModelVerdict
from bastion.models.breaker import CircuitBreaker
from bastion.models.scores import ModelInForce, Score, verdict_at

log = structlog.get_logger(__name__)


class ProtocolBroken(ValueError):
    """The endpoint answered, but not in the protocol."""


def request_body(model: ModelInForce, items: Sequence[DetectionItem]) -> dict[str, Any]:
    return {
        "model": model.name,
        "version": model.version,
        "policy": model.policy_id,
        "items": [{"id": item.content_id, "text": item.text, "language": item.language} for item in items],
    }


def read_scores(body: Any, model: ModelInForce) -> dict[str, tuple[float, ModelVerdict]]:
    """The scores of an answer by item id. Raises ProtocolBroken, in Bastion's words."""
    if not isinstance(body, Mapping) or not isinstance(body.get("scores"), list):
        raise ProtocolBroken("the answer has no list of scores")
    found: dict[str, tuple[float, ModelVerdict]] = {}
    for position, entry in enumerate(body["scores"]):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            raise ProtocolBroken(f"scores[{position}] has no id")
        score = entry.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1 or math.isnan(score):
            raise ProtocolBroken(f"scores[{position}].score must be a number from 0 to 1")
        verdict = entry.get("verdict")
        if verdict is not None and verdict not in {v.value for v in ModelVerdict}:
            raise ProtocolBroken(f"scores[{position}].verdict must be violating or not_violating")
        found[entry["id"]] = (
            float(score),
            ModelVerdict(verdict) if verdict is not None else verdict_at(float(score), model.threshold),
        )
    return found


def auth_headers(config: Mapping[str, Any]) -> dict[str, str]:
    variable = config.get("api_key_env")
    key = os.environ.get(variable) if isinstance(variable, str) else None
    return {"Authorization": f"Bearer {key}"} if key else {}


def score_with_endpoint(
    model: ModelInForce, items: Sequence[DetectionItem], breaker: CircuitBreaker, now: datetime
) -> list[Score | None]:
    """One score per item (None: unavailable). Never raises for the endpoint's failures."""
    if not items or not breaker.allows(now):
        return [None] * len(items)
    started = time.perf_counter()
    try:
        response = httpx.post(
            str(model.config["url"]),
            json=request_body(model, items),
            headers=auth_headers(model.config),
            timeout=model.timeout,
        )
        response.raise_for_status()
        found = read_scores(response.json(), model)
    except (httpx.HTTPError, ValueError) as exc:  # ProtocolBroken and a body that is not JSON are ValueErrors
        breaker.failed(now)
        log.warning("model_endpoint_failed", model=model.name, version=model.version, error=type(exc).__name__)
        return [None] * len(items)
    breaker.succeeded()
    latency = (time.perf_counter() - started) * 1000
    return [
        Score(found[item.content_id][0], found[item.content_id][1], latency) if item.content_id in found else None
        for item in items
    ]
