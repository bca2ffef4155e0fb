"""Pages of review operations: the queues, the reviewer console, wellness preferences.

Routers only translate: every action calls the same service as its JSON twin in `bastion.api.routes`.
A decision, skip, hold or escalation claims the next job of the same queue at once and redirects to
it ("submit and next"), so the reviewer never waits on an empty screen between jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import charts
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.policy import Action
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.policy.service import current_policies
from bastion.review import claims
from bastion.review.claims import exposure_today
from bastion.review.config import ReviewConfig
from bastion.review.config_store import current_review_config, review_config_version
from bastion.review.decisions import APPEAL_VERDICTS, NO_ACTION, NO_VIOLATION, Choice, decide_and_claim_next
from bastion.review.enforcement import ACCOUNT_ACTIONS
from bastion.review.jobs import JobStatus
from bastion.review.preferences import Preferences, effective_wellness, preferences_of, save_preferences
from bastion.review.queues import queue_listing
from bastion.review.undo import undo_decision, undo_offer, withdrawn_choice
from bastion.review.views import attribute_rows, job_view
from bastion.store.schema import ContentItem, Job
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_work = requires(Permission.REVIEW_WORK)
SETTING = "^(queue|on|off)$"


@router.get("/review")
def queues_page(
    request: Request,
    done: str = Query("", max_length=64),
    undo: int | None = Query(None),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    now = context.clock()
    with context.database.transaction() as session:
        offer = undo_offer(session, undo, principal, now=now) if undo is not None else None
        config = current_review_config(session).config
        queues = queue_listing(session, principal, now=now)
        seen = exposure_today(session, config, principal.user_pk, now) if principal.user_pk is not None else {}
        exposure = exposure_rows(seen, config, harm_type=None)
        mine = claims.jobs_in_hand(session, principal, now=now)
    finished = next((q for q in queues if q["name"] == done), None)
    values = {
        "title": "Review",
        "queues": queues,
        "exposure": exposure,
        "mine": mine,
        "finished": finished,
        "undo": offer,
    }
    return render_page(request, "review_queues.html", values)


@router.post("/review/queues/{name}/start")
def start_reviewing(
    name: str, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Response:
    return _claim_next(context, name, principal)


def _claim_next(context: AppContext, queue: str, principal: Principal) -> Response:
    with context.database.transaction() as session:
        job_pk = claims.claim_next_job_pk(session, queue, principal, now=context.clock())
    return _next_page(queue, job_pk)


def _next_page(queue: str, job_pk: int | None, *, undo: int | None = None) -> Response:
    """The job claimed next, or the queues page saying this queue has nothing left; with the offer to
    undo the decision just made (`undo`, a decision's pk), when there is one."""
    target = f"/review/jobs/{job_pk}" if job_pk is not None else f"/review?done={queue}"
    if undo is not None:
        target += f"{'&' if '?' in target else '?'}undo={undo}"
    return RedirectResponse(target, status_code=303)


@router.get("/review/jobs/{job_id}")
def job_page(
    request: Request,
    job_id: RowId,
    undo: int | None = Query(None, ge=1, le=2**63 - 1, description="A decision just made, to offer taking back"),
    undone: int | None = Query(
        None, ge=1, le=2**63 - 1, description="A decision just taken back, whose choices to show again"
    ),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    form = None
    if undone is not None:
        with context.database.transaction() as session:
            form = withdrawn_choice(session, undone, job_id, principal)
    return _console(request, context, job_id, principal, form=form, undo=undo, undone=form is not None)


def _console(
    request: Request,
    context: AppContext,
    job_id: int,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    errors: tuple[FieldError, ...] = (),
    dialog: str | None = None,
    alert: str | None = None,
    undo: int | None = None,
    undone: bool = False,
    status_code: int = 200,
) -> Response:
    now = context.clock()
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    with context.database.transaction() as session:
        job = claims.visible_job(session, job_id, principal)
        values = console_values(
            session, job, principal, now=now, own_origin=own_origin, media_origins=context.settings.media_origins
        )
        offer = undo_offer(session, undo, principal, now=now) if undo is not None else None
    values |= {
        "form": form or {},
        "errors": {e.path: e.message for e in errors},
        "dialog": dialog,
        "alert": alert,
        "undo": offer,
        "undone": undone,
        "title": f"Job {job_id}",
    }
    return render_page(request, "review_job.html", values, status_code=status_code)


@router.post("/review/jobs/{job_id}/decision")
def submit_decision(
    request: Request,
    job_id: RowId,
    policy: str = Form("", max_length=128),
    action: str = Form("", max_length=32),
    rationale: str = Form(""),
    confirmed: str = Form("", max_length=16),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    form = {"policy": policy, "action": action, "rationale": rationale}
    if action in ACCOUNT_ACTIONS and policy != NO_VIOLATION and confirmed != action:
        # Suspending or banning an account is asked twice: the page's dialog, or this page again.
        return _console(request, context, job_id, principal, form=form, dialog="confirm", status_code=200)
    try:
        with context.database.transaction() as session:
            job = claims.visible_job(session, job_id, principal)
            queue = job.queue
            _require_choice(policy, action)
            chosen_action = NO_ACTION if policy == NO_VIOLATION and job.kind != "appeal" else action
            choice = Choice(policy, chosen_action, rationale)
            outcome, next_pk = decide_and_claim_next(session, job_id, principal, choice, now=context.clock())
            decision = outcome.decision.pk
    except InvalidInput as error:
        return _console(request, context, job_id, principal, form=form, errors=error.errors, status_code=422)
    except Conflict as error:
        return _console(request, context, job_id, principal, form=form, alert=error.message, status_code=409)
    return _next_page(queue, next_pk, undo=decision)


@router.post("/review/decisions/{decision_id}/undo")
def undo_decision_form(
    request: Request,
    decision_id: int,
    from_job: int | None = Form(None),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    """Take a decision back (the Undo toast): its job opens again, with the choices that were made."""
    try:
        with context.database.transaction() as session:
            done = undo_decision(session, decision_id, principal, now=context.clock(), release_job=from_job)
    except Conflict as error:
        if from_job is None:
            raise
        return _console(request, context, from_job, principal, alert=error.message, status_code=409)
    return RedirectResponse(f"/review/jobs/{done.job_id}?undone={done.decision_id}", status_code=303)


def _require_choice(policy: str, action: str) -> None:
    """Say plainly what is missing before the decision rules speak (they would call "" an unknown policy)."""
    if not policy:
        raise InvalidInput("choose a policy", [FieldError("policy", 'choose the policy broken, or "No violation"')])
    if policy != NO_VIOLATION and not action:
        raise InvalidInput("choose an action", [FieldError("action", "choose the action to take")])


@router.post("/review/jobs/{job_id}/skip")
def skip_job(
    request: Request,
    job_id: RowId,
    reason: str = Form("", max_length=5_000),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    return _job_action(request, context, job_id, principal, "skip", reason)


@router.post("/review/jobs/{job_id}/escalate")
def escalate_job(
    request: Request,
    job_id: RowId,
    note: str = Form("", max_length=5_000),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    return _job_action(request, context, job_id, principal, "escalate", note)


@router.post("/review/jobs/{job_id}/hold")
def hold_job(
    request: Request,
    job_id: RowId,
    note: str = Form("", max_length=5_000),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    return _job_action(request, context, job_id, principal, "hold", note)


@router.post("/review/jobs/{job_id}/release")
def release_job(
    request: Request,
    job_id: RowId,
    reason: str = Form("", max_length=5_000),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    return _job_action(request, context, job_id, principal, "release", reason)


# What each console button calls, and the form field its text goes to.
_JOB_ACTIONS: dict[str, tuple[Callable[..., Job], str]] = {
    "skip": (claims.skip, "reason"),
    "escalate": (claims.escalate, "note"),
    "hold": (claims.hold, "note"),
    "release": (claims.release, "reason"),
}


def _job_action(
    request: Request, context: AppContext, job_id: int, principal: Principal, kind: str, text: str
) -> Response:
    """Skip, escalate and hold move on to the next job; release goes back to the queues (a break)."""
    now = context.clock()
    act, field = _JOB_ACTIONS[kind]
    try:
        with context.database.transaction() as session:
            queue = claims.visible_job(session, job_id, principal).queue
            act(session, job_id, principal, now=now, **{field: text})
    except InvalidInput as error:
        form = {field: text}
        return _console(
            request, context, job_id, principal, form=form, errors=error.errors, dialog=kind, status_code=422
        )
    except Conflict as error:
        return _console(request, context, job_id, principal, alert=error.message, status_code=409)
    if kind == "release":
        return RedirectResponse("/review", status_code=303)
    return _claim_next(context, queue, principal)


@router.get("/review/preferences")
def preferences_page(
    request: Request,
    saved: bool = False,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        chosen = preferences_of(session, principal)
    values = {"title": "Review preferences", "chosen": _as_settings(chosen), "saved": saved}
    return render_page(request, "review_preferences.html", values)


@router.post("/review/preferences")
def save_preferences_form(
    blur_images: str = Form("queue", pattern=SETTING),
    greyscale_images: str = Form("queue", pattern=SETTING),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    chosen = Preferences(blur_images=_as_flag(blur_images), greyscale_images=_as_flag(greyscale_images))
    with context.database.transaction() as session:
        save_preferences(session, principal, chosen, now=context.clock())
    return RedirectResponse("/review/preferences?saved=true", status_code=303)


def _as_flag(setting: str) -> bool | None:
    return {"on": True, "off": False}.get(setting)


def _as_settings(chosen: Preferences) -> dict[str, str]:
    names = {None: "queue", True: "on", False: "off"}
    return {"blur_images": names[chosen.blur_images], "greyscale_images": names[chosen.greyscale_images]}


# --- the console's view of a job: what job_view says, arranged for the page --------------------------


def console_values(
    session: Session, job: Job, principal: Principal, *, now: datetime, own_origin: str, media_origins: list[str]
) -> dict[str, Any]:
    view = job_view(session, job, principal, now=now)
    config = review_config_version(session, job.config_version)
    spec = config.queue(job.queue)
    chosen = preferences_of(session, principal)
    current = current_review_config(session).config  # claims lease and cap by the configuration in force
    lease_total = current.lease_minutes * 60
    mine = job.lease_owner is not None and job.lease_owner == principal.user_pk
    leased = mine and job.status == JobStatus.CLAIMED and view["lease_expires_at"] is not None
    lease_left = (view["lease_expires_at"] - now).total_seconds() if leased else 0.0
    state = "active" if leased and lease_left > 0 else ("held" if mine and job.status == JobStatus.HELD else "closed")
    lapsed = leased and lease_left <= 0  # theirs until the lease ran out: anyone may claim it again now
    choices = _choices(session, view)
    media = view["subject"].get("media")
    return {
        "view": view,
        "queue": spec,
        "state": state,
        "lapsed": lapsed,
        "lease_seconds": max(0, int(lease_left)),
        "lease_total": int(lease_total),
        "heartbeat_seconds": int(min(60, max(5, lease_total / 3))),
        "sla": _until(view["sla_due_at"], now),
        "wellness": effective_wellness(spec.wellness, chosen),
        "media": _media(media, own_origin, media_origins) if media else None,
        "prefetch": _likely_next_media(session, job, principal, now, own_origin, media_origins),
        "exposure": exposure_rows(
            {h: (e["today"], e["cap"]) for h, e in view.get("exposure", {}).items()},
            current,
            harm_type=job.harm_type,
        ),
        "priority": sorted(view["priority"]["terms"].items(), key=lambda kv: -kv[1]),
        "author_attributes": attribute_rows(view["author"]["attributes"]),
        "account_actions": sorted(ACCOUNT_ACTIONS),
        # claims.escalate refuses a job that measures, and one already in the escalation queue
        "escalable": not JobKind(job.kind).measures and job.queue != current.escalation_queue,
        **choices,
    }


def _choices(session: Session, view: dict[str, Any]) -> dict[str, Any]:
    """The policies a decision may name, each with the actions it allows, and their guidance."""
    records = current_policies(session)
    if view["kind"] == "appeal":
        hint = view["policy"]
        policies = [{"id": hint["id"], "title": hint["title"], "severity": 0}] if hint else []
        actions = {p["id"]: list(APPEAL_VERDICTS) for p in policies}
    else:
        policies = view["policies"]  # what the reports and the job point at first (views.decision_policies)
        actions = {p["id"]: [a for a in p["allowed_actions"] if a != Action.ESCALATE] for p in policies}
        actions[NO_VIOLATION] = [NO_ACTION]
    guidance = {
        p["id"]: {"title": records[p["id"]].policy.title, "guidance": records[p["id"]].policy.guidance}
        for p in policies
        if p["id"] in records
    }
    return {"policies": policies, "actions": actions, "guidance": guidance}


def exposure_rows(
    seen: dict[str, tuple[int, int | None]], config: ReviewConfig, *, harm_type: str | None
) -> list[dict[str, Any]]:
    """Decisions today per harm type (`exposure_today`) against the daily cap; the current job's harm
    type first, even before the first decision on it."""
    seen = dict(seen)
    if harm_type is not None and harm_type not in seen:
        seen[harm_type] = (0, config.daily_cap(harm_type))
    rows = [
        {
            "harm_type": harm,
            "today": today,
            "cap": cap,
            "share": min(1.0, today / cap) if cap else 0.0,
            "current": harm == harm_type,
        }
        for harm, (today, cap) in seen.items()
    ]
    return sorted(rows, key=lambda r: (not r["current"], -r["share"], r["harm_type"]))


def _until(moment: datetime, now: datetime) -> dict[str, Any]:
    seconds = (moment - now).total_seconds()
    return {"at": moment, "overdue": seconds < 0, "text": _duration(abs(seconds))}


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL, lower-cased, default port dropped; None otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname.lower()}" + (f":{port}" if port and port != default else "")


def media_loadable(url: str, own_origin: str, media_origins: list[str]) -> bool:
    """Whether the page's CSP lets this image load: our own origin, or one of `media_origins`.

    Origins are written as in a CSP: `https://cdn.example.com`, `https://*.example.com`, or `https:`.
    """
    origin = _origin(url)
    if origin is None:
        return False
    if origin == _origin(own_origin):
        return True
    scheme, _, host = origin.partition("://")
    for allowed in media_origins:
        allowed = allowed.strip().lower().rstrip("/")
        if allowed.endswith(":") and "//" not in allowed:
            if scheme == allowed[:-1]:
                return True
        elif "://*." in allowed:
            want_scheme, _, suffix = allowed.partition("://*")
            if scheme == want_scheme and host.split(":")[0].endswith(suffix):
                return True
        elif _origin(allowed) == origin:
            return True
    return False


def _media(media: dict[str, Any], own_origin: str, media_origins: list[str]) -> dict[str, Any]:
    url, pdq = media.get("url"), media.get("pdq")
    if url and media_loadable(url, own_origin, media_origins):
        return {"src": url, "placeholder": False, "pdq": pdq, "host": None}
    seed = pdq or url or ""
    host = urlsplit(url).hostname if url else None
    return {"src": charts.svg_data_uri(charts.placeholder_svg(seed)), "placeholder": True, "pdq": pdq, "host": host}


def _likely_next_media(
    session: Session, job: Job, principal: Principal, now: datetime, own_origin: str, media_origins: list[str]
) -> str | None:
    """The image of the job this reviewer will most likely get next, to prefetch into the browser cache."""
    upcoming = claims.likely_next_job(session, job.queue, principal, now=now, besides=job.pk)
    if upcoming is None or upcoming.subject_type != SubjectType.CONTENT:
        return None
    url = session.scalar(select(ContentItem.media_url).where(ContentItem.pk == upcoming.subject_pk))
    return url if url and media_loadable(url, own_origin, media_origins) else None
