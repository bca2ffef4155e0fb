"""The outermost layer of every response: security headers, and Bastion's own 500 for unexpected errors.

A pure ASGI middleware rather than FastAPI's `@app.middleware("http")`: an exception escaping the app is
turned into Bastion's error response here, inside the connection's normal flow, so the 500 carries the same
headers as any other response and the keep-alive connection stays usable. Only when the response had
already started (nothing more can be said) does the error propagate and the server close the connection.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion.http.errors import UnexpectedErrorPage


class SecurityHeaders:
    def __init__(self, app: ASGIApp, headers: Mapping[str, str], unexpected: UnexpectedErrorPage) -> None:
        self.app = app
        self.headers = dict(headers)
        self.unexpected = unexpected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:
            if started:
                raise
            response = self.unexpected(Request(scope, receive), error)
            await response(scope, receive, send_with_headers)
