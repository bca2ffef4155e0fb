"""The entity graph page: a subject box, hops, entity types, a time window, the graph drawn by vis-network
(served from the installed `pyvis` package, never copied into the repository or fetched from a CDN), and a
table twin of the same nodes and edges for keyboard and screen-reader users.

The page and its JSON twin (`/investigate/graph/data`, used by the page to expand from a node in place) call
the same service as `/api/v1/graph`, so every view is checked, masked and recorded there.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from bastion.api.contract import json_response
from bastion.api.routes.graph import EntityGraphBody
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.investigate import graph_view
from bastion.investigate.entities import ENTITY_KINDS
from bastion.investigate.entity_graph import DEFAULT_MAX_NODES, MAX_HOPS, GraphLimits
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INVESTIGATE_READ)
VIS_VERSION = "vis-9.1.2"
VIS_FILES = {"vis-network.min.js": "text/javascript", "vis-network.css": "text/css"}
TYPE_LABELS = {
    "ip": "IP",
    "device": "Device",
    "email_domain": "Email domain",
    "phone": "Phone",
    "url": "URL",
    "domain": "Domain",
    "payment": "Payment fingerprint",
    "image": "Image hash (PDQ)",
    "text_cluster": "Near-duplicate cluster",
}


@dataclasses.dataclass
class GraphQuery:
    subject: str
    hops: int
    types: list[str]
    since: str
    until: str


def _day(name: str, text: str, problems: list[FieldError]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(FieldError(name, "must be a date, YYYY-MM-DD"))
        return None


def _limits(query: GraphQuery) -> tuple[str, GraphLimits]:
    problems: list[FieldError] = []
    since = _day("since", query.since, problems)
    until = _day("until", query.until, problems)
    if problems:
        raise InvalidInput("bad time window", problems)
    actor_id = graph_view.parse_subject(query.subject)
    limits = graph_view.graph_limits(
        hops=query.hops,
        kinds=graph_view.parse_kinds(",".join(query.types)) if query.types else frozenset(ENTITY_KINDS),
        since=None if since is None else datetime.combine(since, time(), UTC),
        # the window includes the `until` day
        until=None if until is None else datetime.combine(until, time(), UTC) + timedelta(days=1),
        max_nodes=DEFAULT_MAX_NODES,
    )
    return actor_id, limits


def _query(subject: str, hops: int, types: list[str], since: str, until: str) -> GraphQuery:
    return GraphQuery(subject.strip(), hops, [t for t in types if t], since.strip(), until.strip())


Subject = Annotated[str, Query(max_length=300)]
Hops = Annotated[int, Query(ge=1, le=MAX_HOPS)]
Types = Annotated[list[str], Query(max_length=len(ENTITY_KINDS))]
Day = Annotated[str, Query(max_length=10)]


@router.get("/investigate/graph", response_class=HTMLResponse)
def graph_page(
    request: Request,
    subject: Subject = "",
    hops: Hops = 2,
    types: Types = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    since: Day = "",
    until: Day = "",
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    query = _query(subject, hops, types, since, until)
    values: dict[str, Any] = {
        "title": "Entity graph",
        "query": query,
        "type_labels": TYPE_LABELS,
        "max_hops": MAX_HOPS,
        "graph": None,
        "graph_json": None,
        "error": None,
    }
    status = 200
    if query.subject:
        try:
            actor_id, limits = _limits(query)
            with context.database.transaction() as session:
                view = graph_view.entity_graph_view(session, principal, actor_id, limits, now=context.clock())
            body = EntityGraphBody.model_validate(view, from_attributes=True)
            values["graph"] = body
            values["graph_json"] = body.model_dump(mode="json")
        except (InvalidInput, NotFound) as error:
            values["error"] = error
            status = error.http_status
    return render_page(request, "investigate_graph.html", values, status)


@router.get("/investigate/graph/data")
def graph_data(
    subject: Subject,
    hops: Hops = 2,
    types: Types = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    since: Day = "",
    until: Day = "",
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    """The page's JSON twin: the same graph as `/api/v1/graph`, for expanding from a node in place."""
    actor_id, limits = _limits(_query(subject, hops, types, since, until))
    with context.database.transaction() as session:
        view = graph_view.entity_graph_view(session, principal, actor_id, limits, now=context.clock())
        return json_response(EntityGraphBody.model_validate(view, from_attributes=True))


@cache
def _vis_file(name: str) -> bytes:
    return (resources.files("pyvis") / "lib" / VIS_VERSION / name).read_bytes()


@router.get("/investigate/graph/vis/{name}")
def vis_asset(name: str, principal: Principal = Depends(can_read)) -> Response:
    """vis-network's script and style sheet, read from the installed pyvis package."""
    if name not in VIS_FILES:
        raise NotFound(f"no file {name}")
    return Response(_vis_file(name), media_type=VIS_FILES[name], headers={"Cache-Control": "private, max-age=86400"})
