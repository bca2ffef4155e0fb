"""Reading JSON request bodies in Bastion's words, with a limit on nesting.

Python's parser gives up on deeply nested JSON with a RecursionError, which FastAPI would answer with a
bare 400 "There was an error parsing the body"; and a body that parses but nests hundreds of levels deep
could be stored and then break every read of it. Every JSON body of the API is read here first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from bastion.errors import FieldError, InvalidInput, PayloadTooLarge
from bastion.ingest.payloads import json_depth, strings_in, text_problem

MAX_BODY_DEPTH = 64  # objects and lists nested in one another in a request body, the outermost counting as one


async def read_limited(request: Request, max_bytes: int, what: str) -> bytes:
    """The body, refused with 413 as soon as it passes `max_bytes`, whether or not a length was declared;
    `what` names it in the error ("the body", "a rule file")."""
    too_large = PayloadTooLarge(f"{what} must be at most {max_bytes:,} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def too_deep() -> InvalidInput:
    return InvalidInput(
        "the body is nested too deeply",
        [FieldError("", f"objects and lists may be nested at most {MAX_BODY_DEPTH} levels deep")],
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json(raw: bytes, *, storable_text: bool = False) -> Any:
    """The parsed body; InvalidInput when it is not UTF-8 JSON or nests deeper than MAX_BODY_DEPTH, and with
    `storable_text`, when a string holds what no store can write (ingest checks that item by item)."""
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise too_deep() from None
    except UnicodeDecodeError:
        raise InvalidInput("the body is not JSON", [FieldError("", "not valid UTF-8 text")]) from None
    except ValueError as exc:
        reason = f"{exc.msg} (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidInput("the body is not JSON", [FieldError("", f"not valid JSON: {reason or exc}")]) from None
    if json_depth(body) > MAX_BODY_DEPTH:
        raise too_deep()
    if storable_text:
        problem = next(filter(None, map(text_problem, strings_in(body))), None)
        if problem is not None:
            raise InvalidInput("the body holds text that cannot be stored", [FieldError("", f"a string {problem}")])
    return body


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI reads a body without a content type as JSON
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


class JsonBodyRoute(APIRoute):
    """An API route whose JSON body (if it takes one) is read by `read_json` before FastAPI validates it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None:
            return handle

        async def read_then_handle(request: Request) -> Response:
            raw = await request.body()
            if raw and _is_json(request.headers.get("content-type")):
                request._json = read_json(raw, storable_text=True)  # Starlette's cache: FastAPI validates it
            return await handle(request)

        return read_then_handle
