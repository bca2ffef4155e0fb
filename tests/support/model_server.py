"""A real local HTTP server that speaks the two model protocols, for the adapters' tests.

- `POST /score`: Bastion's scoring protocol; an item whose text contains "scam" scores 0.9, others 0.1.
- `POST /v1/chat/completions`: an OpenAI-compatible chat endpoint; it answers "violating" when the
  user's message contains "scam", with its reasoning, as the JSON the prompt asks for.
- `behaviour` switches it to failing: "error" (500), "slow" (sleeps past any test timeout), "garbage"
  (200 with a body that breaks the protocol). Every request is recorded in `requests`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ModelServer:
    behaviour: str = "ok"
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ModelServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append((self.path, body | {"_authorization": self.headers.get("Authorization")}))
                if owner.behaviour == "slow":
                    time.sleep(1.5)
                if owner.behaviour == "error":
                    return self._send(500, {"error": "down"})
                if owner.behaviour == "garbage":
                    return self._send(200, {"scores": "nope", "choices": []})
                if self.path == "/score":
                    scores = [{"id": i["id"], "score": 0.9 if "scam" in i["text"] else 0.1} for i in body["items"]]
                    return self._send(200, {"scores": scores})
                if self.path == "/v1/chat/completions":
                    text = body["messages"][1]["content"]
                    bad = "scam" in text
                    answer = {
                        "verdict": "violating" if bad else "not_violating",
                        "confidence": 0.8,
                        "policy": "scams_and_fraud" if bad else None,
                        "reasoning": "It asks for money up front." if bad else "Nothing in it breaks the policy.",
                    }
                    content = "```json\n" + json.dumps(answer) + "\n```"
                    return self._send(200, {"choices": [{"message": {"role": "assistant", "content": content}}]})
                return self._send(404, {"error": "no such path"})

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
