"""Detection rules over REST: the rules in force, checking a rule file, loading it as new versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import Field

from bastion.api.contract import ErrorBody, ErrorDetail, FieldProblem, Shape, api_router, errors, json_response
from bastion.api.json_body import read_json, read_limited
from bastion.auth.principal import Principal
from bastion.detect.checking import MAX_FILE, Diagnostic, RulesDoNotCheck, check_rules, known_names
from bastion.detect.rule_store import LoadOutcome, RuleVersionRef, StoredRule, load_rule_text, rules_in_force
from bastion.detect.rules import Effect
from bastion.domain.access import Permission
from bastion.domain.detect import EffectKind, EntityType, RuleMode
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import app_context
from bastion.http.security import requires

router = api_router("detection")
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)
MAX_BODY_BYTES = 4 * MAX_FILE  # a rule file of MAX_FILE characters, at most 4 bytes each in UTF-8
SOURCE = "request"  # the name diagnostics and versions give a rule file sent in a request


class EffectView(Shape):
    kind: EffectKind
    queue: str | None = None
    policy: str | None = None
    priority: float | None = Field(None, description="enqueue: the rule's confidence, 0..1")
    action: str | None = None
    entity: EntityType | None = None
    label: str | None = None
    expires_in: str | None = Field(None, description="label: 30m, 12h, 7d…, or `none` for never")
    reason: str | None = None


class RuleView(Shape):
    name: str
    version: int
    mode: RuleMode
    owner: str
    description: str
    policy: str | None
    when: str
    effects: list[EffectView]
    confidence: float | None = Field(description="The highest enqueue priority, or null")
    digest: str = Field(description="SHA-256 of the rule's canonical JSON: equal digests, equal rules")
    loaded_at: datetime
    loaded_by: str


class RuleList(Shape):
    rules: list[RuleView]


class DiagnosticView(Shape):
    source: str
    line: int = Field(description="From 1")
    column: int = Field(description="From 1, in characters")
    path: str = Field(description="Where in the document, e.g. `rules[2].then[0].enqueue.queue`; empty for the file")
    message: str
    text: str = Field(description="The whole diagnostic as the command line prints it: `FILE:LINE:COLUMN: …`")


class CheckResult(Shape):
    diagnostics: list[DiagnosticView] = Field(description="Every error, in the file's order; empty when it checks")


class RuleVersionView(Shape):
    name: str
    version: int


class LoadResult(Shape):
    created: list[RuleVersionView]
    changed: list[RuleVersionView]
    unchanged: list[RuleVersionView]
    retired: list[RuleVersionView]
    reinstated: list[RuleVersionView]
    versions_added: int


class RulesRefused(ErrorBody):
    """A rule file that does not check: the one error body, and every diagnostic."""

    diagnostics: list[DiagnosticView]


# The schema names the JSON form only: generated clients (openapi-python-client) refuse a text/plain
# body. The rule file sent as the body itself with `Content-Type: text/plain` is read all the same.
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "A rule file (YAML) as `text` in a JSON object; or the file itself, sent as text/plain",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "title": "RuleFileBody",
                "required": ["text"],
                "additionalProperties": False,
                "properties": {"text": {"type": "string", "maxLength": MAX_FILE}},
            }
        },
    },
}


@router.get("/detect/rules", summary="The rules in force (mode off included)", response_model=RuleList)
def get_rules(request: Request, principal: Principal = Depends(can_read)) -> Response:
    """Each rule's newest version, by name: its mode, owner, policy, condition and effects."""
    with app_context(request).database.transaction() as session:
        return json_response(RuleList(rules=[_rule_view(stored) for stored in rules_in_force(session)]))


@router.post(
    "/detect/rules/check",
    summary="Check a rule file: every error with its line and column",
    response_model=CheckResult,
    responses=errors(413),
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def check_rule_file(request: Request, principal: Principal = Depends(can_write)) -> Response:
    """200 whether or not the file checks: `diagnostics` is empty when it does. Nothing is written."""
    text = await _rule_file(request)
    with app_context(request).database.transaction() as session:
        diagnostics = check_rules(text, SOURCE, known_names(session))
        return json_response(CheckResult(diagnostics=[_diagnostic_view(d) for d in diagnostics]))


@router.post(
    "/detect/rules",
    summary="Load a rule file: a new version of each changed rule; rules not in it are retired",
    response_model=LoadResult,
    responses={**errors(409, 413), 422: {"model": RulesRefused, "description": "The file does not check"}},
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def load_rule_file(request: Request, principal: Principal = Depends(can_write)) -> Response:
    """Refused whole with 422 and every diagnostic when the file does not check; recorded in the audit log
    as `rules.load`."""
    text = await _rule_file(request)
    context = app_context(request)
    try:
        with context.database.transaction() as session:
            outcome = load_rule_text(session, text, source=SOURCE, principal=principal.name, now=context.clock())
            return json_response(_load_result(outcome))
    except RulesDoNotCheck as refused:
        details = [FieldProblem(path=e.path, message=e.message) for e in refused.errors]
        body = RulesRefused(
            error=ErrorDetail(code=refused.code, message=refused.message, details=details),
            diagnostics=[_diagnostic_view(d) for d in refused.diagnostics],
        )
        return json_response(body, status_code=422)


async def _rule_file(request: Request) -> str:
    """The rule file of the body: the body itself (text/plain) or its `text` (JSON)."""
    raw = await read_limited(request, MAX_BODY_BYTES, "a rule file")
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "text/plain":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the body is not a rule file", [FieldError("", "not valid UTF-8 text")]) from None
    elif content_type in ("application/json", ""):
        body = read_json(raw, storable_text=True)
        if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
            raise InvalidInput(
                "the body is not a rule file",
                [FieldError("text", 'send {"text": "<the rule file>"}, or the file itself as text/plain')],
            )
        text = body["text"]
    else:
        raise InvalidInput(
            "the body is not a rule file",
            [FieldError("", f"send text/plain or application/json, not {content_type}")],
        )
    if "\x00" in text:
        raise InvalidInput("the body is not a rule file", [FieldError("", "holds the NUL character")])
    return text


def _effect_view(effect: Effect) -> EffectView:
    fields = effect.document()[effect.kind.value]
    return EffectView(kind=effect.kind, **fields)


def _rule_view(stored: StoredRule) -> RuleView:
    rule = stored.rule
    return RuleView(
        name=rule.name,
        version=stored.version,
        mode=rule.mode,
        owner=rule.owner,
        description=rule.description,
        policy=rule.policy,
        when=rule.when,
        effects=[_effect_view(effect) for effect in rule.then],
        confidence=rule.confidence,
        digest=rule.digest,
        loaded_at=stored.loaded_at,
        loaded_by=stored.loaded_by,
    )


def _diagnostic_view(diagnostic: Diagnostic) -> DiagnosticView:
    return DiagnosticView(
        source=diagnostic.source,
        line=diagnostic.line,
        column=diagnostic.column,
        path=diagnostic.path,
        message=diagnostic.message,
        text=str(diagnostic),
    )


def _refs(refs: tuple[RuleVersionRef, ...]) -> list[RuleVersionView]:
    return [RuleVersionView(name=ref.name, version=ref.version) for ref in refs]


def _load_result(outcome: LoadOutcome) -> LoadResult:
    return LoadResult(
        created=_refs(outcome.created),
        changed=_refs(outcome.changed),
        unchanged=_refs(outcome.unchanged),
        retired=_refs(outcome.retired),
        reinstated=_refs(outcome.reinstated),
        versions_added=outcome.versions_added,
    )
