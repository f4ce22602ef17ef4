"""Secrets at rest: the v1 format, and the migration that encrypts the plain TOTP secrets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cms.core.config import get_settings
from cms.core.db import normalize_database_url
from cms.core.encryption import DecryptionError, decrypt, encrypt
from cms.core.migrate import downgrade, upgrade
from tests.databases import make_settings, scratch_postgres

KEY = "a-secret-key-for-these-tests-0123456789abcdef"
BEFORE = "e15ed1a5e001"
ENCRYPTED = "f17e0c7e0a02"


def test_a_value_reads_back_only_under_its_key() -> None:
    secret = pyotp.random_base32()
    stored = encrypt(secret, secret_key=KEY)
    assert stored.startswith("v1:") and secret not in stored
    assert encrypt(secret, secret_key=KEY) != stored  # a fresh IV each time
    assert decrypt(stored, secret_key=KEY) == secret
    with pytest.raises(DecryptionError) as refused:
        decrypt(stored, secret_key=KEY + "x")
    assert secret not in str(refused.value) and KEY not in str(refused.value)
    with pytest.raises(DecryptionError):
        decrypt(stored[:-4] + "AAAA", secret_key=KEY)  # altered
    assert decrypt(secret, secret_key=KEY) == secret  # a plain legacy value


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SECRET_KEY of the settings `cms db upgrade` runs with."""
    monkeypatch.setenv("SECRET_KEY", KEY)
    get_settings.cache_clear()
    yield KEY
    get_settings.cache_clear()


@pytest.fixture
async def empty_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, empty database of the kind under test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    async with scratch_postgres("cms_encryption") as url:
        yield url


async def test_the_migration_encrypts_plain_secrets_and_the_downgrade_decrypts(
    empty_url: str, secret_key: str
) -> None:
    secret = pyotp.random_base32()
    column = text("SELECT username, totp_secret FROM admin_users ORDER BY username")
    await asyncio.to_thread(upgrade, make_settings(empty_url), BEFORE)
    engine = create_async_engine(normalize_database_url(empty_url), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO admin_users (username, password_hash, is_active, created_at,"
                    " totp_secret, totp_enabled) VALUES"
                    " ('ada', 'x', TRUE, CURRENT_TIMESTAMP, :secret, TRUE),"
                    " ('bob', 'x', TRUE, CURRENT_TIMESTAMP, NULL, FALSE)"
                ),
                {"secret": secret},
            )
        await asyncio.to_thread(upgrade, make_settings(empty_url), ENCRYPTED)
        async with engine.connect() as connection:
            up = (await connection.execute(column)).all()
        await asyncio.to_thread(downgrade, make_settings(empty_url), BEFORE)
        async with engine.connect() as connection:
            down = (await connection.execute(column)).all()
    finally:
        await engine.dispose()
    (_, stored), bob = up
    assert stored.startswith("v1:") and secret not in stored
    assert decrypt(stored, secret_key=secret_key) == secret
    assert bob == ("bob", None)
    assert [tuple(row) for row in down] == [("ada", secret), ("bob", None)]


async def test_the_migration_uses_the_key_of_its_settings_never_the_process_settings(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "the-process-key-which-this-migration-must-not-use")
    get_settings.cache_clear()
    secret = pyotp.random_base32()
    settings = make_settings(empty_url, secret_key=KEY)
    await asyncio.to_thread(upgrade, settings, BEFORE)
    engine = create_async_engine(normalize_database_url(empty_url), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO admin_users (username, password_hash, is_active, created_at,"
                    " totp_secret, totp_enabled) VALUES"
                    " ('ada', 'x', TRUE, CURRENT_TIMESTAMP, :secret, TRUE)"
                ),
                {"secret": secret},
            )
        await asyncio.to_thread(upgrade, settings, ENCRYPTED)
        async with engine.connect() as connection:
            stored = await connection.scalar(text("SELECT totp_secret FROM admin_users"))
    finally:
        await engine.dispose()
        get_settings.cache_clear()
    assert decrypt(stored, secret_key=KEY) == secret
