"""``cms token create``, ``list``, ``revoke`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cms.cli import app
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.models import ApiToken, AuditLog
from cms.core.tokenhash import READ_DRAFTS, WRITE_RESUME, token_hash
from cms.core.tokens import find_token
from tests.databases import make_settings


def _rows(database_url: str) -> tuple[list[ApiToken], list[AuditLog]]:
    """Every token row and audit entry, read through a fresh engine."""

    async def read() -> tuple[list[ApiToken], list[AuditLog]]:
        engine = create_engine(make_settings(database_url))
        try:
            async with make_sessionmaker(engine)() as session:
                tokens = await session.scalars(select(ApiToken).order_by(col(ApiToken.id)))
                audit = await session.scalars(select(AuditLog).order_by(col(AuditLog.id)))
                return list(tokens.all()), list(audit.all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _grants(database_url: str, token: str, scope: str) -> bool:
    async def check() -> bool:
        engine = create_engine(make_settings(database_url))
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await find_token(session, token, scope=scope) is not None
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_create_prints_the_token_once_with_a_warning(cms: CliRunner, database_url: str) -> None:
    result = cms.invoke(
        app, ["token", "create", "astro-preview", "--scope", "read-drafts", "--expires-days", "90"]
    )

    assert result.exit_code == 0, result.output
    notice, token = result.stdout.splitlines()
    assert notice == (
        "Created token 'astro-preview' (read-drafts). It is shown only now: store it safely."
    )
    [row], [entry] = _rows(database_url)
    assert row.token_hash == token_hash(token) and row.prefix == token[:8]
    assert (row.name, row.scope, row.created_by) == (
        "astro-preview",
        READ_DRAFTS,
        "cms token create",
    )
    assert row.expires_at is not None
    assert (entry.action, entry.username, entry.record_label) == (
        "create",
        "cms token create",
        "astro-preview",
    )
    assert _grants(database_url, token, READ_DRAFTS)
    assert not _grants(database_url, token, WRITE_RESUME)


def test_list_shows_every_token_but_never_the_token(cms: CliRunner, database_url: str) -> None:
    empty = cms.invoke(app, ["token", "list"])
    created = cms.invoke(app, ["token", "create", "deploy", "--scope", "write-resume"])
    token = created.stdout.splitlines()[-1]
    cms.invoke(app, ["token", "create", "preview", "--scope", "read-drafts"])
    cms.invoke(app, ["token", "revoke", "preview"])

    result = cms.invoke(app, ["token", "list"])

    assert empty.exit_code == 0
    assert empty.stdout == (
        "No API tokens yet: create one with `cms token create NAME --scope SCOPE`.\n"
    )
    assert result.exit_code == 0, result.output
    header, deploy, preview = (re.split(r" {2,}", line) for line in result.stdout.splitlines())
    assert header == [
        "NAME",
        "SCOPE",
        "PREFIX",
        "CREATED",
        "EXPIRES",
        "LAST USED",
        "REVOKED",
    ]
    assert deploy[:3] == ["deploy", "write-resume", token[:8]]
    assert deploy[3].endswith(" UTC")
    assert deploy[4:] == ["never", "never", "no"]  # no expiry, never used, not revoked
    assert preview[:2] == ["preview", "read-drafts"] and preview[6].endswith(" UTC")
    tokens, _ = _rows(database_url)
    for row in tokens:
        assert row.token_hash not in result.stdout
    assert token not in result.stdout


def test_revoke_stops_the_token_once(cms: CliRunner, database_url: str) -> None:
    created = cms.invoke(app, ["token", "create", "deploy", "--scope", "write-resume"])
    token = created.stdout.splitlines()[-1]

    first = cms.invoke(app, ["token", "revoke", "deploy"])
    again = cms.invoke(app, ["token", "revoke", "deploy"])

    assert (first.exit_code, first.stdout) == (0, "Revoked token 'deploy'.\n")
    assert (again.exit_code, again.stdout) == (0, "Token 'deploy' was already revoked.\n")
    assert not _grants(database_url, token, WRITE_RESUME)
    _, audit = _rows(database_url)
    assert [(entry.action, entry.username) for entry in audit] == [
        ("create", "cms token create"),
        ("revoke", "cms token revoke"),
    ]


def test_mistakes_are_explained_with_a_non_zero_exit(cms: CliRunner, database_url: str) -> None:
    assert cms.invoke(app, ["token", "create", "deploy", "--scope", "write-resume"]).exit_code == 0

    unknown_scope = cms.invoke(app, ["token", "create", "other", "--scope", "admin"])
    duplicate = cms.invoke(app, ["token", "create", "deploy", "--scope", "read-drafts"])
    bad_name = cms.invoke(app, ["token", "create", "two words", "--scope", "read-drafts"])
    bad_days = cms.invoke(
        app, ["token", "create", "other", "--scope", "read-drafts", "--expires-days", "0"]
    )
    unknown_name = cms.invoke(app, ["token", "revoke", "nope"])
    no_scope = cms.invoke(app, ["token", "create", "other"])

    assert (unknown_scope.exit_code, unknown_scope.stderr) == (
        1,
        "Unknown scope 'admin': use one of read-drafts, write-resume.\n",
    )
    assert (duplicate.exit_code, duplicate.stderr) == (
        1,
        "A token named 'deploy' already exists.\n",
    )
    assert bad_name.exit_code == 1 and "Token name must be" in bad_name.stderr
    assert (bad_days.exit_code, bad_days.stderr) == (
        1,
        "Expiry must be between 1 and 3650 days.\n",
    )
    assert (unknown_name.exit_code, unknown_name.stderr) == (1, "No token named 'nope'.\n")
    assert no_scope.exit_code == 2 and "--scope" in no_scope.stderr
    for result in (unknown_scope, duplicate, bad_name, bad_days, unknown_name):
        assert result.stdout == "" and "Traceback" not in result.output
    tokens, audit = _rows(database_url)
    assert [row.name for row in tokens] == ["deploy"] and len(audit) == 1
