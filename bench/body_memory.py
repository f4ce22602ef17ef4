"""The server's memory while strangers and token holders send huge bodies.

    .venv/bin/python -m bench.body_memory [--admin-mb 400] [--put-mb 300] [--port PORT]

Starts ``cms serve`` on a fresh SQLite database (``ENVIRONMENT=prod``) as a child process, warms
it up (the admin and the resume sync imported and answered once), measures its idle RSS, then
sends, each streamed from a generator over a plain socket (chunked, never built in memory):

- ``--admin-mb`` MB to ``POST /admin/nonexistent`` without a cookie;
- ``--put-mb`` MB to ``PUT /api/v1/resume`` with a write-resume token, chunked, and once more
  with the length declared in ``Content-Length``.

The client keeps sending after the answer, as an attacker would, until the server closes the
connection or the body is sent. For each it prints the answer, how much was sent, and the
server's peak RSS above idle (``VmHWM`` of ``/proc/<pid>/status``, reset before each request
through ``/proc/<pid>/clear_refs``; else the highest ``VmRSS`` sampled every 5 ms), beside the
load average, database and Python version.
Target: ≤ 20 MB above idle for each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.tokens import create_token

CHUNK = 1024 * 1024
TARGET_MB = 20.0


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


class PeakMemory:
    """The child's peak RSS during a block: VmHWM after a reset, or sampled VmRSS."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.method = "VmHWM (reset through clear_refs)"
        self._peak_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            self.method = "VmRSS sampled every 5 ms"
        self._peak_kb = _status_kb(self.pid, "VmRSS")
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._peak_kb = max(self._peak_kb, _status_kb(self.pid, "VmRSS"))

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        if self.method.startswith("VmHWM"):
            self._peak_kb = max(self._peak_kb, _status_kb(self.pid, "VmHWM"))

    @property
    def peak_mb(self) -> float:
        """The highest RSS seen, in MB."""
        return self._peak_kb / 1024


def _body(total: int) -> Iterator[bytes]:
    """``total`` bytes of a form field, one reused 1 MiB chunk at a time."""
    chunk = b"a" * CHUNK
    yield b"x="
    sent = 2
    while sent < total:
        yield chunk
        sent += len(chunk)


def send(
    port: int, method: str, path: str, total: int, headers: dict[str, str], *, declare: bool
) -> tuple[str, int]:
    """Stream ``total`` bytes whatever the server answers, until it closes: status, bytes sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    framing = {"Content-Length": str(total)} if declare else {"Transfer-Encoding": "chunked"}
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in {**headers, **framing}.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer, sent = b"", 0
    try:
        for chunk in _body(total):
            # An attacker ignores the answer and keeps sending: read it, but go on.
            if not answer and select.select([sock], [], [], 0)[0]:
                answer = sock.recv(4096)
            data = chunk[: total - sent]
            sock.sendall(data if declare else f"{len(data):x}\r\n".encode() + data + b"\r\n")
            sent += len(data)
        if not declare:
            sock.sendall(b"0\r\n\r\n")
        answer = answer or sock.recv(4096)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass  # closed by the server (the server's access log says what it answered)
    sock.close()
    return answer.split(b"\r\n", 1)[0].decode("latin-1"), sent


class AccessLog:
    """The server's access log lines (uvicorn writes them to stdout)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(
            target=lambda: self.lines.extend(map(bytes.decode, stdout)), daemon=True
        ).start()

    def last(self, method: str, path: str) -> str:
        """What the server answered the last ``method path``."""
        found = [line for line in self.lines if f'"{method} {path} ' in line]
        return found[-1].rsplit('" ', 1)[-1].strip() if found else "(not logged)"


async def _prepare(database_url: str) -> str:
    settings = Settings(database_url=database_url)
    engine = create_engine(settings)
    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name="bench", scope="write-resume", expires_in_days=None, actor="bench"
        )
    await engine.dispose()
    return token


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"cms serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("cms serve did not answer /health")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-mb", type=int, default=400)
    parser.add_argument("--put-mb", type=int, default=300)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    cms = str(Path(sys.executable).with_name("cms"))
    with tempfile.TemporaryDirectory() as scratch:
        database_url = f"sqlite+aiosqlite:///{scratch}/cms.db"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ENVIRONMENT": "prod",
            "SECRET_KEY": "b" * 48,
            "BACKUP_DIR": f"{scratch}/backups",
            "BUILD_HOOK_POLL_SECONDS": "0",
        }
        subprocess.run([cms, "db", "upgrade"], env=env, check=True, capture_output=True)
        token = asyncio.run(_prepare(database_url))
        command = [cms, "serve", "--host", "127.0.0.1", "--port", str(args.port)]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        log = AccessLog(server)
        base = f"http://127.0.0.1:{args.port}"
        bearer = {"Authorization": f"Bearer {token}"}
        try:
            _wait_until_up(base, server)
            # Warm up: the admin and the full app are imported on their first request.
            httpx.get(f"{base}/admin/login")
            httpx.post(f"{base}/admin/nonexistent", content=b"x=1")
            httpx.put(f"{base}/api/v1/resume", content=b"{}", headers=bearer)
            time.sleep(0.5)
            idle_mb = _status_kb(server.pid, "VmRSS") / 1024
            cases = [
                ("POST /admin/nonexistent, no cookie", "POST", "/admin/nonexistent", {}, False),
                ("PUT /api/v1/resume, token, chunked", "PUT", "/api/v1/resume", bearer, False),
                ("PUT /api/v1/resume, Content-Length", "PUT", "/api/v1/resume", bearer, True),
            ]
            content_type = {"Content-Type": "application/x-www-form-urlencoded"}
            print(
                f"conditions: database SQLite (file), cms serve (uvicorn), ENVIRONMENT=prod, "
                f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
                f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
            )
            print(f"server idle RSS after warm-up: {idle_mb:.1f} MB")
            for name, method, path, headers, declare in cases:
                total = (args.admin_mb if method == "POST" else args.put_mb) * 1024 * 1024
                with PeakMemory(server.pid) as peak:
                    started = time.perf_counter()
                    status, sent = send(
                        args.port,
                        method,
                        path,
                        total,
                        {**content_type, **headers},
                        declare=declare,
                    )
                    elapsed = time.perf_counter() - started
                    time.sleep(0.2)
                status = status or f"closed; the server logged {log.last(method, path)}"
                above = peak.peak_mb - idle_mb
                verdict = "ok" if above <= TARGET_MB else "OVER TARGET"
                offered, sent_mb = total / 1024 / 1024, sent / 1024 / 1024
                print(
                    f"{name:38} offered {offered:5.0f} MB, sent {sent_mb:7.1f} MB in "
                    f"{elapsed:5.2f} s -> {status!r}; peak RSS {peak.peak_mb:6.1f} MB, "
                    f"{above:+6.1f} MB above idle (target <= {TARGET_MB:.0f} MB: {verdict}; "
                    f"{peak.method})"
                )
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
