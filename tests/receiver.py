"""A local build-hook receiver (a real HTTP server on 127.0.0.1) shared by the rebuild tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cms.core.config import Settings

__all__ = ["DEBOUNCE", "Receiver", "hook_settings", "running_receiver"]

DEBOUNCE = 30.0


@dataclass
class Receiver:
    """A build-hook endpoint: records every POST and answers with scripted statuses."""

    base: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The full URL of a hook on this receiver."""
        return f"{self.base}{path}"

    def calls(self, path: str) -> list[dict[str, Any]]:
        """The requests one hook received."""
        return [request for request in self.requests if request["path"] == path]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on a free port; each path answers its next scripted status."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Receiver(base=f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            queue = state.statuses.get(self.path) or [204]
            status = queue.pop(0) if len(queue) > 1 else queue[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Keep the test output free of access-log lines."""

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def hook_settings(settings: Settings, *urls: str, **overrides: Any) -> Settings:
    """Test settings with these hooks, short retries and a known debounce."""
    values: dict[str, Any] = {
        "build_hook_urls": list(urls),
        "build_hook_debounce_seconds": DEBOUNCE,
        "build_hook_retry_backoff": 0.01,
        "build_hook_timeout": 2.0,
        "build_hook_failure_backoff_seconds": 300.0,
    }
    return settings.model_copy(update=values | overrides)
