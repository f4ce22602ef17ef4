"""Lambda test helpers: realistic events, a one-thread "container", subprocess containers.

Handlers run on one worker thread with one event loop for the whole session, as in a Lambda
container (Mangum calls ``asyncio.get_event_loop()`` on every invocation).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from fastapi import FastAPI

T = TypeVar("T")

EVENTS_DIR = Path(__file__).parent / "events"
EVENT_KINDS = [
    "rest_api_v1_stage",
    "http_api_v2_default",
    "http_api_v2_stage",
    "function_url",
    "alb",
]
STAGED_KINDS = {"rest_api_v1_stage": "/prod", "http_api_v2_stage": "/prod"}


def load_event(kind: str) -> dict[str, Any]:
    """The stored sample event of ``kind`` (tests/aws/events/KIND.json)."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{kind}.json").read_text())
    return event


def make_event(
    kind: str,
    method: str = "GET",
    path: str = "/health",
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    cookies: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A request event of ``kind`` for ``method path?query``, as that integration sends it.

    ``path`` is the application path; staged kinds put ``/prod`` in front where AWS does.
    """
    event = copy.deepcopy(load_event(kind))
    prefix = STAGED_KINDS.get(kind, "")
    extra = {k.lower(): v for k, v in (headers or {}).items()}
    pairs = parse_qsl(query, keep_blank_values=True)
    if event.get("version") == "2.0":
        event["rawPath"] = prefix + path
        event["requestContext"]["http"]["path"] = prefix + path
        event["requestContext"]["http"]["method"] = method
        event["rawQueryString"] = query
        grouped: dict[str, list[str]] = {}
        for key, value in pairs:
            grouped.setdefault(key, []).append(value)
        if grouped:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in grouped.items()}
        event["headers"].update(extra)
        if cookies:
            event["cookies"] = [f"{k}={v}" for k, v in cookies.items()]
    else:
        event["httpMethod"] = method
        event["path"] = path
        if "resource" in event:
            event["requestContext"]["path"] = prefix + path
            event["requestContext"]["httpMethod"] = method
            event["pathParameters"] = {"proxy": path.lstrip("/")} if path != "/" else None
        if cookies:
            extra["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        event["headers"].update(extra)
        if "multiValueHeaders" in event:
            event["multiValueHeaders"].update({k: [v] for k, v in extra.items()})
        multi: dict[str, list[str]] = {}
        for key, value in pairs:
            multi.setdefault(key, []).append(value)
        event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()} or None
        if "multiValueQueryStringParameters" in event or "resource" in event:
            event["multiValueQueryStringParameters"] = multi or None
    if body is not None:
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    return event


@dataclass
class LambdaResponse:
    """A handler's answer, decoded the way API Gateway decodes it."""

    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: bytes
    base64_encoded: bool

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def parse_response(raw: dict[str, Any]) -> LambdaResponse:
    """Decode a Mangum result for any integration (v1, v2 or ALB shape)."""
    headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
    set_cookies = list(raw.get("cookies") or [])
    for key, values in (raw.get("multiValueHeaders") or {}).items():
        if key.lower() == "set-cookie":
            set_cookies.extend(values)
        else:
            headers[key.lower()] = ", ".join(values)
    if "set-cookie" in headers:
        set_cookies.append(headers.pop("set-cookie"))
    encoded = bool(raw.get("isBase64Encoded"))
    body = raw.get("body") or ""
    data = base64.b64decode(body) if encoded else body.encode()
    return LambdaResponse(raw["statusCode"], headers, set_cookies, data, encoded)


@dataclass
class FakeLambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str = "portfolio-cms"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:portfolio-cms"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/portfolio-cms"
    log_stream_name: str = "2026/11/23/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class LambdaContainer:
    """One thread with one event loop that lives for the session, like a Lambda container."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda")
        self.loop = self._executor.submit(self._setup).result()

    @staticmethod
    def _setup() -> asyncio.AbstractEventLoop:
        import lambda_handler  # noqa: F401  (imported where Lambda imports it: its own thread)

        return asyncio.get_event_loop()

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(*args)`` on the container thread."""
        return self._executor.submit(func, *args).result()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the container's loop."""
        return self.call(self.loop.run_until_complete, coroutine)

    def close(self) -> None:
        self.call(self.loop.close)
        self._executor.shutdown()


class Invoker:
    """A handler built with ``lambda_handler.make_handler`` around one app, invoked in-thread."""

    def __init__(self, container: LambdaContainer, app: FastAPI) -> None:
        import lambda_handler

        self.container = container
        self.app = app
        # Built on the container thread: Mangum sets up an event loop for the thread that
        # builds it, and one made on the test's thread would never be closed.
        self.handler = container.call(lambda_handler.make_handler, app)

    def raw(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.container.call(self.handler, event, FakeLambdaContext())

    def __call__(
        self, kind: str, method: str = "GET", path: str = "/health", **kwargs: Any
    ) -> LambdaResponse:
        return parse_response(self.raw(make_event(kind, method, path, **kwargs)))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgBouncer:
    """A running PgBouncer in transaction mode."""

    port: int
    user: str
    tls: bool

    def url(self, database_url: str, query: str = "") -> str:
        """``database_url`` with its host and port replaced by the pooler's."""
        database = urlsplit(database_url).path
        return f"postgresql://{self.user}@127.0.0.1:{self.port}{database}" + (
            f"?{query}" if query else ""
        )


CONTAINER_MAIN = Path(__file__).parent / "container_main.py"


def container_env(**variables: str) -> dict[str, str]:
    """The environment of a container process: ours, plus ``variables``, without AWS noise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(variables)
    return env


def start_container(
    env: dict[str, str],
    actions: list[dict[str, Any]],
    *,
    script: Path = CONTAINER_MAIN,
    isolated: bool = False,
    cwd: Path | None = None,
) -> subprocess.Popen[str]:
    """Start a fresh process that imports ``lambda_handler`` and runs ``actions``.

    ``isolated`` leaves out site-packages (``-I -S``): only the script's folder is importable,
    as in a Lambda task directory holding the unpacked zip.
    """
    import sys

    command = [sys.executable, *(["-I", "-S"] if isolated else []), str(script)]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd or script.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(actions))
    process.stdin.close()
    process.stdin = None  # written in full; communicate() must not flush it again
    return process


def container_results(process: subprocess.Popen[str], timeout: float = 120) -> list[Any]:
    """Wait for a container process and return its results (failing with its stderr)."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return [json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT ")]


async def child_result(code: str, given: Any, env: dict[str, str]) -> Any:
    """Run ``code`` in a fresh interpreter with ``given`` as JSON on stdin; its ``RESULT`` line."""
    import asyncio
    import sys

    root = Path(__file__).resolve().parents[2]
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code],
        input=json.dumps(given),
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])
