"""Models' words: what kind of model scores content, whether its scores drive anything, its verdicts."""

from __future__ import annotations

from enum import StrEnum


class ModelKind(StrEnum):
    """Where a model's scores come from."""

    SKLEARN = "sklearn"  # Bastion's built-in text classifier, trained from its own decisions
    HTTP = "http"  # an external model endpoint speaking Bastion's scoring protocol
    PROMPT = "prompt"  # an OpenAI-compatible chat endpoint asked with the policy's own text


class ModelMode(StrEnum):
    """live: rules read its scores and they feed job priority; shadow: scored and stored, never read by
    rules; off: not run."""

    LIVE = "live"
    SHADOW = "shadow"
    OFF = "off"


class ModelVerdict(StrEnum):
    """What a model said of one item under its policy."""

    VIOLATING = "violating"
    NOT_VIOLATING = "not_violating"
