"""API tokens: created once and hashed, found by hash and scope, revoked, audited, not content."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from cms.content.session import make_sessionmaker
from cms.core.db import current_content_version
from cms.core.dburl import sqlite_path
from cms.core.models import ApiToken, AuditLog, StoredResponse, as_utc, utcnow
from cms.core.tokenhash import (
    READ_DRAFTS,
    TOKEN_SQL,
    WRITE_RESUME,
    looks_like_token,
    token_grants,
    token_hash,
)
from cms.core.tokens import (
    LAST_USED_RESOLUTION,
    TokenError,
    create_token,
    find_token,
    list_tokens,
    revoke_token,
)


async def _create(
    engine: AsyncEngine, name: str = "astro-preview", scope: str = READ_DRAFTS, **kw: Any
) -> tuple[int, str]:
    async with make_sessionmaker(engine)() as session, session.begin():
        row, token = await create_token(
            session,
            name=name,
            scope=scope,
            expires_in_days=kw.get("expires_in_days"),
            actor=kw.get("actor", "owner"),
        )
        assert row.id is not None
        return row.id, token


async def _row(engine: AsyncEngine, token_id: int) -> ApiToken:
    async with make_sessionmaker(engine)() as session:
        row = await session.get(ApiToken, token_id)
        assert row is not None
        return row


async def _find(engine: AsyncEngine, token: str, scope: str = READ_DRAFTS) -> ApiToken | None:
    async with make_sessionmaker(engine)() as session, session.begin():
        return await find_token(session, token, scope=scope)


async def _audit(session: AsyncSession) -> list[AuditLog]:
    result = await session.scalars(select(AuditLog).order_by(col(AuditLog.id)))
    return list(result.all())


async def _documents(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(StoredResponse)) or 0)


async def test_create_shows_the_token_once_and_keeps_only_its_hash(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    token_id, token = await _create(engine, expires_in_days=30, actor="owner")
    row = await _row(engine, token_id)

    assert token.startswith("cms_") and len(token) >= 4 + 43  # 32 random bytes, base64url
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() == token_hash(token)
    assert row.prefix == token[:8]
    assert token not in {str(value) for value in row.model_dump().values()}
    assert (row.name, row.scope, row.created_by) == ("astro-preview", READ_DRAFTS, "owner")
    assert row.expires_at is not None
    expiry = as_utc(row.expires_at) - as_utc(row.created_at)
    assert timedelta(days=30) - timedelta(seconds=5) < expiry <= timedelta(days=30)
    assert (row.last_used_at, row.revoked_at) == (None, None)
    [entry] = await _audit(session)
    assert (entry.username, entry.action, entry.table_name) == ("owner", "create", "api_tokens")
    assert (entry.record_id, entry.record_label) == (str(token_id), "astro-preview")
    assert entry.changes["scope"] == [None, READ_DRAFTS]
    assert row.token_hash not in str(entry.changes) and token not in str(entry.changes)


async def test_two_tokens_never_share_a_value(engine: AsyncEngine) -> None:
    _, first = await _create(engine, "one")
    _, second = await _create(engine, "two")

    assert first != second


async def test_tokens_are_not_content(engine: AsyncEngine, session: AsyncSession) -> None:
    version = await current_content_version(session)
    documents = await _documents(session)

    _, token = await _create(engine)
    assert await _find(engine, token) is not None
    async with make_sessionmaker(engine)() as writer, writer.begin():
        assert await revoke_token(writer, name="astro-preview", actor="owner")

    assert await current_content_version(session) == version
    assert await _documents(session) == documents


async def test_find_token_checks_the_scope_and_the_shape(engine: AsyncEngine) -> None:
    token_id, token = await _create(engine, scope=WRITE_RESUME)

    found = await _find(engine, token, WRITE_RESUME)

    assert found is not None and found.id == token_id
    assert await _find(engine, token, READ_DRAFTS) is None  # scopes are exact
    assert await _find(engine, token + "x", WRITE_RESUME) is None
    assert await _find(engine, token[4:], WRITE_RESUME) is None  # without the cms_ prefix
    assert await _find(engine, "", WRITE_RESUME) is None
    assert await _find(engine, "cms_" + "a" * 5000, WRITE_RESUME) is None


async def test_find_token_refuses_revoked_and_expired_tokens(engine: AsyncEngine) -> None:
    _, revoked = await _create(engine, "revoked")
    expiring_id, expiring = await _create(engine, "expiring", expires_in_days=1)
    async with make_sessionmaker(engine)() as session, session.begin():
        assert await revoke_token(session, name="revoked", actor="owner")
    assert await _find(engine, expiring) is not None

    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(ApiToken)
            .where(col(ApiToken.id) == expiring_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    assert await _find(engine, revoked) is None
    assert await _find(engine, expiring) is None


async def test_last_use_is_recorded_at_most_once_a_minute(engine: AsyncEngine) -> None:
    token_id, token = await _create(engine)

    await _find(engine, token)
    first = as_utc((await _row(engine, token_id)).last_used_at)
    await _find(engine, token)
    again = as_utc((await _row(engine, token_id)).last_used_at)
    earlier = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=earlier)
        )
    await _find(engine, token)
    later = as_utc((await _row(engine, token_id)).last_used_at)

    assert first is not None and abs(utcnow() - first) < timedelta(seconds=30)
    assert again == first  # within the minute: no write
    assert later is not None and later > earlier + timedelta(seconds=30)


_BAD_NAME = "Token name must be 1–100 characters"


@pytest.mark.parametrize(
    ("name", "scope", "days", "message"),
    [
        pytest.param(
            "ok",
            "admin",
            None,
            "Unknown scope 'admin': use one of read-drafts, write-resume.",
            id="scope",
        ),
        pytest.param("", READ_DRAFTS, None, _BAD_NAME, id="empty-name"),
        pytest.param("-dash-first", READ_DRAFTS, None, _BAD_NAME, id="dash-first"),
        pytest.param("with space", READ_DRAFTS, None, _BAD_NAME, id="space"),
        pytest.param("x" * 101, READ_DRAFTS, None, _BAD_NAME, id="long-name"),
        pytest.param("ok", READ_DRAFTS, 0, "Expiry must be between 1 and 3650 days.", id="0-days"),
        pytest.param(
            "ok", READ_DRAFTS, 3651, "Expiry must be between 1 and 3650 days.", id="3651-days"
        ),
    ],
)
async def test_create_refuses_what_the_owner_can_fix(
    engine: AsyncEngine,
    session: AsyncSession,
    name: str,
    scope: str,
    days: int | None,
    message: str,
) -> None:
    with pytest.raises(TokenError, match=re.escape(message)):
        await _create(engine, name, scope, expires_in_days=days)

    assert await list_tokens(session) == []
    assert await _audit(session) == []


async def test_a_name_is_taken_once(engine: AsyncEngine, session: AsyncSession) -> None:
    await _create(engine, "deploy", WRITE_RESUME)

    with pytest.raises(TokenError, match="A token named 'deploy' already exists."):
        await _create(engine, " deploy ", READ_DRAFTS)

    assert [(row.name, row.scope) for row in await list_tokens(session)] == [
        ("deploy", WRITE_RESUME)
    ]


async def test_revoke_once_then_unchanged_and_unknown_names(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    token_id, _ = await _create(engine, "deploy")

    async with make_sessionmaker(engine)() as writer, writer.begin():
        first = await revoke_token(writer, name="deploy", actor="owner")
    async with make_sessionmaker(engine)() as writer, writer.begin():
        second = await revoke_token(writer, name="deploy", actor="owner")
    async with make_sessionmaker(engine)() as writer, writer.begin():
        with pytest.raises(TokenError, match="No token named 'nope'."):
            await revoke_token(writer, name="nope", actor="owner")

    assert (first, second) == (True, False)
    assert (await _row(engine, token_id)).revoked_at is not None
    actions = [(entry.action, entry.record_label) for entry in await _audit(session)]
    assert actions == [("create", "deploy"), ("revoke", "deploy")]


async def test_list_tokens_by_name(engine: AsyncEngine, session: AsyncSession) -> None:
    for name in ("zeta", "alpha", "mid"):
        await _create(engine, name)

    assert [row.name for row in await list_tokens(session)] == ["alpha", "mid", "zeta"]


async def test_the_raw_lookup_finds_the_row_with_each_driver(
    engine: AsyncEngine, database_url: str
) -> None:
    """TOKEN_SQL as the read path runs it, without SQLAlchemy: one row, and the same rules."""
    _, token = await _create(engine, expires_in_days=2)
    _, revoked = await _create(engine, "gone")
    async with make_sessionmaker(engine)() as session, session.begin():
        await revoke_token(session, name="gone", actor="owner")

    async def lookup(value: str) -> list[tuple[Any, ...]]:
        if database_url.startswith("sqlite"):
            path = sqlite_path(database_url)
            assert path is not None
            with closing(sqlite3.connect(path)) as connection:
                return connection.execute(TOKEN_SQL.format("?"), (token_hash(value),)).fetchall()
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(TOKEN_SQL.format("$1"), token_hash(value))
            return [tuple(row) for row in rows]
        finally:
            await connection.close()

    [(scope, expires_at, revoked_at)] = await lookup(token)
    [gone] = await lookup(revoked)

    assert token_grants(scope, expires_at, revoked_at, scope=READ_DRAFTS)
    assert not token_grants(scope, expires_at, revoked_at, scope=WRITE_RESUME)
    later = datetime.now(UTC) + timedelta(days=3)
    assert not token_grants(scope, expires_at, revoked_at, scope=READ_DRAFTS, now=later)
    assert not token_grants(*gone, scope=READ_DRAFTS)
    assert await lookup("cms_unknown") == []


_PLUS_ONE = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("expires_at", "granted"),
    [
        (None, True),
        ("2030-01-01 00:00:00.000001", True),  # SQLite's raw driver: naive UTC text
        ("2030-01-01 00:00:01", True),  # CURRENT_TIMESTAMP's shape
        ("2030-01-01 00:00:00", False),  # the moment it expires
        ("2029-12-31 23:59:59", False),
        (datetime(2030, 1, 1, 1, 0, 1, tzinfo=_PLUS_ONE), True),  # asyncpg: aware
        (datetime(2030, 1, 1, 0, 59, 59, tzinfo=_PLUS_ONE), False),
    ],
)
def test_token_grants_reads_times_as_each_driver_returns_them(
    expires_at: datetime | str | None, granted: bool
) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)

    assert token_grants(READ_DRAFTS, expires_at, None, scope=READ_DRAFTS, now=now) is granted


def test_looks_like_token() -> None:
    assert looks_like_token("cms_" + "a" * 43)
    assert not looks_like_token("Bearer cms_abc")
    assert not looks_like_token("cms_" + "a" * 200)
    assert looks_like_token("cms_not-a-real-token")  # well-formed, unknown: the database says no
    assert not looks_like_token("cms_")
    assert not looks_like_token("cms_ with spaces")
    assert not looks_like_token("cms_é" + "a" * 42)


def test_the_hash_module_needs_no_sqlalchemy() -> None:
    code = (
        "import sys, cms.core.tokenhash\n"
        "heavy = {'sqlalchemy', 'sqlmodel', 'pydantic', 'fastapi'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
