"""The demo: an embedded store in a local folder, the default policies, and a user for every role."""

from __future__ import annotations

import errno
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import SYSTEM, Principal
from bastion.auth.users import add_user, principal_of, set_password
from bastion.clock import Clock
from bastion.detect.reference import RULES_FILE, install_reference, reference_text
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import DetectionSummary, detection_summary
from bastion.domain.access import Role
from bastion.domain.models import ModelMode
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, InvalidInput, NotFound
from bastion.policy.service import current_policies
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice, decide
from bastion.simulate import LabelledRecord, Scale, SimulationSpec, World
from bastion.simulate.reviewing import ReviewSummary, write_and_review
from bastion.store.database import Database
from bastion.store.schema import ContentItem, Job, User

DEMO_FOLDER = "bastion-demo"
DEMO_DAYS = 14
DEMO_SEED = 1
# Real-world-threat posts planted in the demo's simulation (simulated reviewers escalate every one).
DEMO_THREATS = 3
DEMO_INVESTIGATOR = "investigator"
# The simulated reviewers stop claiming this long before now: the newest reports and appeals wait in the
# queues for whoever logs in.
DEMO_BACKLOG = timedelta(hours=36)
DEMO_USERS: tuple[tuple[str, Role, str | None, tuple[str, ...]], ...] = (
    ("admin", Role.ADMIN, None, ()),
    ("analyst", Role.ANALYST, None, ()),
    ("investigator", Role.INVESTIGATOR, None, ()),
    ("qa", Role.QA, None, ("en",)),
    ("reviewer", Role.REVIEWER, None, ("en", "pt", "es")),
    ("vendor", Role.VENDOR_REVIEWER, "acme-review", ("en", "hi")),
    ("platform", Role.PLATFORM, None, ()),
)


# The demo's classifier: trained from the first week's decisions, live from then on (its scores raise the
# priority of the hate-speech jobs rules open), and read by one shadow rule loaded beside the reference set.
DEMO_MODEL_AFTER = timedelta(days=7)
# A prevalence round over the days the classifier scored: this many views drawn, labelled by a simulated labeller.
DEMO_PREVALENCE_DRAWS = 400
DEMO_LABELLER = "sim-labeller"
DEMO_MODEL_POLICY = "hate_speech"
DEMO_MODEL_RULE = """
  - name: hate-speech-model
    description: The demo's classifier, trained from reviewers' hate-speech decisions, is sure
    owner: hate-team
    mode: shadow
    policy: hate_speech
    when: 'signals.model.hate_speech.available && signals.model.hate_speech.score >= 0.9'
    then:
      - enqueue: {queue: hate-harassment, priority: 0.7}
"""


_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - no look-alikes


def demo_password(length: int = 16) -> str:
    """Easy to copy from a terminal: letters and digits only, about 93 bits."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def check_port_free(host: str, port: int) -> None:
    """Refuse before any work is done, and before saying "serving", when the web UI could not listen.

    The probe binds as uvicorn does (SO_REUSEADDR), so a port a stopped server left in TIME_WAIT counts
    as free; one another program listens on does not.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"cannot listen on {host!r}: not an address or a host name this machine knows") from exc
    failure = _bind_failure(family, kind, proto, address)
    if failure is None:
        return
    if failure.errno == errno.EADDRINUSE:
        free = next(
            (
                p
                for p in range(port + 1, min(port + 50, 65536))
                if _bind_failure(family, kind, proto, address, p) is None
            ),
            None,
        )
        hint = f", e.g. --port {free}" if free is not None else ""
        raise Conflict(f"port {port} on {host} is already in use by another program: pick another with --port{hint}")
    if failure.errno == errno.EACCES:
        raise Conflict(f"port {port} on {host} needs administrator rights: pick one above 1023 with --port")
    raise InvalidInput(f"cannot listen on {host} port {port}: {failure.strerror}; pick another address with --host")


def _bind_failure(
    family: int, kind: int, proto: int, address: tuple[Any, ...], port: int | None = None
) -> OSError | None:
    """Why binding `address` (with `port` instead of its own, if given) fails; None when it works."""
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address if port is None else (address[0], port, *address[2:]))
        except OSError as exc:
            return exc
    return None


@dataclass(frozen=True)
class DemoLogin:
    name: str
    role: Role
    password: str


def prepare_demo_users(database: Database, clock: Clock) -> list[DemoLogin]:
    """Create the demo users, or give existing ones fresh passwords; returns the logins to print."""
    logins = []
    now = clock()
    with database.transaction() as session:
        for name, role, vendor, languages in DEMO_USERS:
            password = demo_password()
            try:
                set_password(session, name, password)
            except NotFound:
                add_user(
                    session,
                    name,
                    roles=frozenset({role}),
                    password=password,
                    now=now,
                    vendor=vendor,
                    languages=languages,
                )
            logins.append(DemoLogin(name, role, password))
        audit_log.record(session, principal=SYSTEM.name, action="demo.users", target="demo", at=now)
    return logins


@dataclass(frozen=True)
class DemoPopulation:
    """What filling the demo store wrote and what the simulated reviewers did."""

    written: dict[str, int]
    duplicates: int
    review: ReviewSummary
    detection: DetectionSummary
    model: str = ""  # the classifier trained midway, or why there is none
    prevalence: str = ""  # the prevalence round labelled by the simulated labellers, or why there is none
    trends: str = ""  # what the trend scan found
    cases: str = ""  # the cases opened for the investigator


def populate_demo(database: Database, clock: Clock) -> DemoPopulation | None:
    """Fill an empty demo store with a small simulated platform whose two weeks end at the current hour.

    The reference rules run on every post as it comes in (their banks and rules are loaded first),
    simulated reviewers work its queues as the reports and rule hits come in, and actioned users appeal, until
    `DEMO_BACKLOG` before now: the queues hold live work when someone logs in.
    """
    with database.transaction() as session:
        if session.scalar(select(ContentItem.pk).limit(1)) is not None:
            return None
    end = clock().replace(minute=0, second=0, microsecond=0)
    with database.transaction() as session:
        install_reference(session, principal=SYSTEM.name, now=end - timedelta(days=DEMO_DAYS))
    start = end - timedelta(days=DEMO_DAYS)
    spec = SimulationSpec(seed=DEMO_SEED, scale=Scale.SMALL, days=DEMO_DAYS, start=start, threats=DEMO_THREATS)
    world, trained = World(spec), list[str]()
    with database.transaction() as session:
        bank_simulated_images(session, world, now=end - timedelta(days=DEMO_DAYS))
    truth: dict[str, str | None] = {}
    records = _remember_truth(_training_midway(database, world, spec.start + DEMO_MODEL_AFTER, trained), truth)
    written, review = write_and_review(database, world, records=records, review_until=end - DEMO_BACKLOG)
    with database.transaction() as session:
        detection = detection_summary(session)
    measured = label_demo_prevalence(
        database, truth, period_start=spec.start + DEMO_MODEL_AFTER, period_end=end - DEMO_BACKLOG, now=end
    )
    from bastion.insight.trends.alerts import run_trends  # statistics libraries: only when the demo fills its store

    scanned = run_trends(database, now=end, since=spec.start)
    trends = f"trends: {scanned.segments_scanned:,} segment series scanned, {len(scanned.added)} alerts raised"
    cases = open_demo_cases(database, world.truth(), now=end)
    return DemoPopulation(
        written.written, written.duplicates, review, detection, trained[0] if trained else "", measured, trends, cases
    )


def open_demo_cases(database: Database, truth: dict[str, Any], *, now: datetime) -> str:
    """Open the investigator's cases: a threat-flagged SEV1 case on an escalated real-world-threat post (with
    its snapshot), and a case on the detected network that best matches a planted one; say what was opened."""
    from bastion.investigate.cases import CaseDraft, open_case_from_job, open_case_from_network
    from bastion.investigate.network_service import find_networks

    said = []
    with database.transaction() as session:
        investigator = _demo_investigator(session, now)
        escalated = _escalated_threat(session, [t["content_id"] for t in truth.get("threats", [])])
        if escalated is None:
            said.append("no escalated threat post to open a case on")
        else:
            job_pk, content_id = escalated
            draft = CaseDraft(f"Credible threat against a school or a person: {content_id}", 1, True, DEMO_INVESTIGATOR)
            threat_case = open_case_from_job(session, investigator, job_pk, draft, now=now)
            said.append(f"case {threat_case.pk} (SEV1, real-world threat) on escalated job {job_pk}")
    with database.transaction() as session:
        detected = find_networks(session, investigator).networks
        planted = [(n["id"], set(n["members"])) for n in truth.get("networks", [])]
        best = max(
            ((_jaccard(set(d.members), members), d, name) for d in detected for name, members in planted),
            key=lambda found: found[0],
            default=None,
        )
        if best is None or best[0] == 0:
            said.append("no detected network matches a planted one")
        else:
            overlap, network, name = best
            draft = CaseDraft(f"Coordinated network of {len(network.members)} accounts", 3, False, DEMO_INVESTIGATOR)
            network_case = open_case_from_network(
                session, investigator, network.id, list(network.members), draft, now=now
            )
            said.append(f"case {network_case.pk} on network {network.id} ({overlap:.0%} like the planted {name})")
    return f"cases for {DEMO_INVESTIGATOR}: " + "; ".join(said)


def _demo_investigator(session: Session, now: datetime) -> Principal:
    """The demo's investigator (made now, without a password, when the demo users are not there yet)."""
    user = session.scalar(select(User).where(User.name == DEMO_INVESTIGATOR))
    if user is None:
        user = add_user(session, DEMO_INVESTIGATOR, roles=frozenset({Role.INVESTIGATOR}), password=None, now=now)
    return principal_of(user, "demo")


def _escalated_threat(session: Session, content_ids: list[str]) -> tuple[int, str] | None:
    """The first threat post (in the truth file's order) with a job in the escalation queue, and that job."""
    for content_id in content_ids:
        found = session.execute(
            select(Job.pk)
            .join(ContentItem, ContentItem.pk == Job.subject_pk)
            .where(
                ContentItem.external_id == content_id,
                Job.subject_type == SubjectType.CONTENT.value,
                Job.kind == JobKind.ESCALATION.value,
            )
            .order_by(Job.pk)
            .limit(1)
        ).first()
        if found is not None:
            return int(found[0]), content_id
    return None


def _jaccard(one: set[str], other: set[str]) -> float:
    return len(one & other) / len(one | other) if one or other else 0.0


def _remember_truth(records: Iterator[LabelledRecord], truth: dict[str, str | None]) -> Iterator[LabelledRecord]:
    """The records, noting each content item's true policy (None: it violates nothing) as it passes."""
    for record in records:
        if record.truth is not None:
            truth[str(record.payload["id"])] = record.truth.policy
        yield record


def label_demo_prevalence(
    database: Database, truth: dict[str, str | None], *, period_start: datetime, period_end: datetime, now: datetime
) -> str:
    """Draw a prevalence round over the period since the classifier went live, have a simulated labeller
    label every sampled view with its item's true policy through the labelling queue, and say the estimate."""
    from bastion.insight.prevalence.report import round_estimate  # scipy: only when the demo fills its store
    from bastion.insight.prevalence.rounds import start_round

    with database.transaction() as session:
        try:
            started = start_round(
                session,
                period_start=period_start,
                period_end=period_end,
                size=DEMO_PREVALENCE_DRAWS,
                seed=DEMO_SEED,
                principal=SYSTEM.name,
                now=now,
            )
        except (InvalidInput, Conflict) as refused:
            return f"no prevalence round: {refused}"
        labeller = principal_of(
            add_user(session, DEMO_LABELLER, roles=frozenset({Role.REVIEWER}), password=None, now=now), "demo"
        )
    while True:
        with database.transaction() as session:
            job = claim_next_job(session, started.queue, labeller, now=now)
            if job is None:
                break
            item = session.get_one(ContentItem, job.subject_pk).external_id
            decide(session, job.pk, labeller, _true_choice(session, truth.get(item)), now=now)
    with database.transaction() as session:
        estimate = round_estimate(session, started.name)
    top = sorted(estimate.policies, key=lambda p: -p.estimate.prevalence)[:3]
    shown = "; ".join(f"{p.policy} {p.shown}" for p in top)
    return f"prevalence round {started.name}: {estimate.draws:,} sampled views labelled by {DEMO_LABELLER}; {shown}"


def _true_choice(session: Session, policy: str | None) -> Choice:
    """The label a careful labeller gives an item that truly violates `policy` (None: nothing)."""
    policies = current_policies(session)
    while policy is not None and policy not in policies:
        policy = policy.rpartition(".")[0] or None  # a policy the taxonomy lacks: its nearest ancestor
    if policy is None:
        return Choice("none", "no_action")
    return Choice(policy, policies[policy].policy.allowed_actions[0].value, "labelled for prevalence")


def _training_midway(database: Database, world: World, at: datetime, said: list[str]) -> Iterator[LabelledRecord]:
    """The world's records; when they reach `at`, the demo's classifier is trained from the decisions so far."""
    pending = True
    for record in world.labelled_records():
        stamp = record.payload.get("created_at")
        if pending and isinstance(stamp, str) and datetime.fromisoformat(stamp) >= at:
            said.append(train_demo_model(database, at))
            pending = False
        yield record


def train_demo_model(database: Database, now: datetime) -> str:
    """Train the demo's classifier live and load the shadow rule that reads it; say what was done."""
    from bastion.models.training import train_classifier  # scikit-learn: only when the demo trains (not at `--help`)

    try:
        with database.transaction() as session:
            row = train_classifier(session, DEMO_MODEL_POLICY, principal=SYSTEM.name, now=now, mode=ModelMode.LIVE)
            rules = reference_text(RULES_FILE).rstrip() + "\n" + DEMO_MODEL_RULE
            load_rule_text(session, rules, source=f"demo/{RULES_FILE}", principal=SYSTEM.name, now=now)
            card = row.card
    except InvalidInput as refused:  # too few decisions: the demo goes on without a classifier
        return f"no classifier: {refused.errors[0].message if refused.errors else refused}"
    held = card["held_out"]
    return (
        f"classifier {DEMO_MODEL_POLICY} v1 trained from {card['data']['examples']:,} decisions "
        f"(held-out F1 {held['f1'] or 0:.2f}, AUROC {held['auroc']:.2f}), live from {now:%Y-%m-%d %H:%M}"
    )


def bank_simulated_images(session: Session, world: World, *, now: datetime) -> None:
    """Fill the reference hash banks from the simulated platform's known images: its hash banks (adult
    images, benign memes) and the images its coordinated campaigns post, as a trust and safety team
    would from its industry hash lists and its investigations."""
    from bastion.match.hash_banks import import_hashes

    lists = {
        "known_adult_images": [f"{h},adult image {n}" for n, h in enumerate(world.plan.adult_hashes, 1)],
        "benign_memes": [f"{h},meme {n}" for n, h in enumerate(world.plan.meme_hashes, 1)],
        "campaign_images": [f"{n.image_pdq},{n.id} ({n.campaign.kind})" for n in world.plan.networks],
    }
    for bank, rows in lists.items():
        text = "pdq,label\n" + "\n".join(rows) + "\n"
        import_hashes(session, bank, text, principal=SYSTEM.name, now=now, source="simulated platform")
