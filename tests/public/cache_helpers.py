"""Helpers for the response-cache tests: fake clock, SQL counter, TCP proxy, app access."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Skill
from cms.public.instancecache import InstanceCache
from cms.public.readpath import ReadPath

AppFactory = Callable[..., Awaitable[tuple[ReadPath, httpx.AsyncClient]]]


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Collect every SQL statement ``engine`` sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextlib.contextmanager
def count_reads(app: ReadPath) -> Iterator[list[str]]:
    """Collect every SQL statement the read path of ``app`` sends while the block runs."""
    statements: list[str] = []
    database: Any = app.database
    fetch = database._fetch

    async def recording(sql: str, *args: Any) -> list[Any]:
        statements.append(sql)
        return list(await fetch(sql, *args))

    database._fetch = recording
    try:
        yield statements
    finally:
        database._fetch = fetch


def cache_of(app: ReadPath) -> InstanceCache:
    """The app's stored documents in memory."""
    return app.cache


async def add_skill(app: ReadPath, name: str, **fields: Any) -> None:
    """Write one skill through the app's own sessions (as the admin would)."""
    async with app.state.sessionmaker() as session, session.begin():
        session.add(Skill(name=name, **fields))


class TcpProxy:
    """A TCP forwarder to PostgreSQL that a test can cut (refuse) or black-hole (hang)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.blackhole = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (again, on the same port once one was chosen)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every open connection: the database is gone."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.blackhole:
            return  # accepted, never answered: a hung server
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):  # a side hung up
                while data := await source.read(65536):
                    if self.blackhole:
                        continue  # swallowed: the server seems to hang
                    sink.write(data)
                    await sink.drain()
        finally:
            sink.transport.abort()


def url_through(engine: AsyncEngine, proxy: TcpProxy) -> str:
    """The database URL of ``engine``, reached through ``proxy``."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    return url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
