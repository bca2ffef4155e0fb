"""Training the built-in classifier of a policy from Bastion's own decisions.

Examples: every content item with text that review decided (`metrics/outcomes.py` is the truth, so a
decision overturned on appeal counts as not violating). Positives: items found violating the policy or
a policy under it (`hate_speech` covers `hate_speech.slurs`). Negatives: items decided not violating.
Items found violating another policy are left out: they are neither.

The examples are split, stratified and seeded, into 60 % to fit, 20 % to choose the threshold (the
highest F1) and 20 % held out. The classifier is then fitted again on the first 80 % with the same
settings, and the held-out 20 % measure it at the chosen threshold: those are the model card's figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.models import ModelKind, ModelMode
from bastion.domain.policy import covers
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import FieldError, InvalidInput
from bastion.models.measures import best_threshold, binary_measures
from bastion.models.text_classifier import FeatureSpec, Settings, TextClassifier, train_text_classifier
from bastion.models.versions import add_version, check_name, check_policy, default_name
from bastion.review.outcomes import review_outcomes
from bastion.store.schema import ContentItem, Decision, Job, ModelVersion

_IN_CHUNKS = 5_000  # keys sent in one IN list
MIN_PER_CLASS = 10  # fewer decided items of a class than this, and the held-out figures mean nothing
VIOLATING, NOT_VIOLATING = "violating", "not_violating"


@dataclass(frozen=True)
class Example:
    text: str
    violating: bool
    language: str
    decided_at: datetime


def training_examples(session: Session, policy_id: str) -> list[Example]:
    """Every decided content item with text, labelled for `policy_id`, oldest decision first."""
    decided = session.scalars(
        select(Job.subject_pk)
        .join(Decision, Decision.job_pk == Job.pk)
        .where(
            Job.subject_type == SubjectType.CONTENT.value,
            Job.kind.in_((JobKind.REVIEW.value, JobKind.ESCALATION.value)),
            Decision.final.is_(True),
            Decision.withdrawn_at.is_(None),
        )
        .distinct()
    ).all()
    outcomes = review_outcomes(session, [int(pk) for pk in decided])
    texts: dict[int, tuple[str, str]] = {}
    decided_pks = sorted(outcomes)
    for start in range(0, len(decided_pks), _IN_CHUNKS):
        chunk = decided_pks[start : start + _IN_CHUNKS]
        for pk, text, language in session.execute(
            select(ContentItem.pk, ContentItem.text, ContentItem.language).where(ContentItem.pk.in_(chunk))
        ):
            if text:
                texts[int(pk)] = (text, language or "")
    examples = []
    for pk, outcome in outcomes.items():
        if pk not in texts or (outcome.violating and not covers(policy_id, outcome.policy_id)):
            continue
        text, language = texts[pk]
        examples.append(Example(text, outcome.violating, language, outcome.decided_at))
    examples.sort(key=lambda e: e.decided_at)
    return examples


@dataclass(frozen=True)
class TrainedClassifier:
    classifier: TextClassifier
    threshold: float
    card: dict[str, Any]


def train_on(
    examples: Sequence[Example], *, policy_id: str, now: datetime, seed: int = 0, settings: Settings | None = None
) -> TrainedClassifier:
    """Fit, choose the threshold, refit and measure (pure: no store). Raises InvalidInput when there are
    too few examples of a class."""
    counts = Counter(e.violating for e in examples)
    if counts[True] < MIN_PER_CLASS or counts[False] < MIN_PER_CLASS:
        raise InvalidInput(
            "too few decisions to train on",
            [
                FieldError(
                    "policy",
                    f"{policy_id} has {counts[True]} items decided violating and {counts[False]} decided not "
                    f"violating; training needs at least {MIN_PER_CLASS} of each",
                )
            ],
        )
    settings = settings or Settings()
    texts = [e.text for e in examples]
    labels = [VIOLATING if e.violating else NOT_VIOLATING for e in examples]
    seen_texts, held_texts, seen_labels, held_labels = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=seed
    )
    fit_texts, tune_texts, fit_labels, tune_labels = train_test_split(
        seen_texts, seen_labels, test_size=0.25, stratify=seen_labels, random_state=seed
    )
    first = train_text_classifier(fit_texts, fit_labels, settings=settings, seed=seed)
    threshold = best_threshold(
        [label == VIOLATING for label in tune_labels], first.probability_of(VIOLATING, tune_texts).tolist()
    )
    classifier = train_text_classifier(seen_texts, seen_labels, settings=settings, seed=seed)
    held_scores = classifier.probability_of(VIOLATING, held_texts).tolist()
    held_truth = [label == VIOLATING for label in held_labels]
    held = binary_measures(held_truth, [s >= threshold for s in held_scores]).document()
    held["auroc"] = float(roc_auc_score(held_truth, held_scores))
    languages = Counter(e.language or "unknown" for e in examples).most_common(5)
    card: dict[str, Any] = {
        "policy": policy_id,
        "trained_at": now.isoformat(),
        "data": {
            "source": "review decisions (the latest final decision of each item; overturned on appeal: not violating)",
            "examples": len(examples),
            "violating": counts[True],
            "not_violating": counts[False],
            "violating_share": round(counts[True] / len(examples), 4),
            "decided_from": examples[0].decided_at.isoformat(),
            "decided_to": examples[-1].decided_at.isoformat(),
            "languages": dict(languages),
            "split": {"fit": len(fit_texts), "threshold": len(tune_texts), "held_out": len(held_texts)},
            "seed": seed,
        },
        "method": {
            "features": "TF-IDF of " + " and ".join(_described(spec) for spec in settings.features),
            "estimator": "logistic regression, classes weighted by inverse frequency",
            "settings": settings.document(),
            "feature_count": classifier.feature_count,
        },
        "threshold": threshold,
        "held_out": held,
        "known_gaps": [
            "Trained only on items review decided: content no report or rule brought to review is not represented.",
            "Items found violating other policies are left out, so it has not learned to tell them apart.",
            "Text only: it does not see images, links' targets or the account.",
            "Languages with few decided items are scored with little evidence (see data.languages).",
            "No QA or golden answers exist yet to measure it against (a later issue).",
        ],
    }
    return TrainedClassifier(classifier, threshold, card)


def _described(spec: FeatureSpec) -> str:
    low, high = spec.ngram_range
    what = "word" if spec.analyzer == "word" else "character"
    where = " within words" if spec.analyzer == "char_wb" else ""
    return f"{what} {low}-{high}-grams{where}"


def train_classifier(
    session: Session,
    policy_id: str,
    *,
    principal: str,
    now: datetime,
    name: str | None = None,
    mode: ModelMode = ModelMode.SHADOW,
    seed: int = 0,
    settings: Settings | None = None,
) -> ModelVersion:
    """Train the policy's classifier from the decisions in the store and add it as a new version (in
    shadow unless told otherwise), in the caller's transaction."""
    name = name or default_name(policy_id)
    check_name(name)
    check_policy(session, policy_id)
    trained = train_on(
        training_examples(session, policy_id), policy_id=policy_id, now=now, seed=seed, settings=settings
    )
    return add_version(
        session,
        name=name,
        kind=ModelKind.SKLEARN,
        policy_id=policy_id,
        mode=mode,
        config={"threshold": trained.threshold},
        card=trained.card,
        principal=principal,
        now=now,
        artefact=trained.classifier.to_bytes(),
    )
