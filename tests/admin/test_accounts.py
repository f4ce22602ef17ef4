"""Owner accounts: `cms create-admin`, `cms set-password`, `cms list-admins`, the dev admin."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import anyio.to_thread
import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from cms.admin.accounts import AccountError, ensure_dev_admin
from cms.cli import app as cli
from cms.content.session import make_sessionmaker
from cms.core.config import Settings, get_settings
from cms.core.models import AdminUser
from cms.core.security import verify_password

PASSWORD = "a perfectly long password"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the `cms` command at the database under test."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def run_cli(*args: str, input: str | None = None) -> Result:
    """Run `cms ARGS` in a worker thread (it runs its own event loop)."""
    invoke = partial(CliRunner().invoke, cli, list(args), input=input)
    return await anyio.to_thread.run_sync(invoke)


async def _user(engine: AsyncEngine, username: str) -> AdminUser | None:
    async with make_sessionmaker(engine)() as session:
        return (
            await session.scalars(select(AdminUser).where(AdminUser.username == username))
        ).first()


async def test_create_admin_prompts_twice_and_hashes(
    cli_env: None, engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    result = await run_cli("create-admin", "Ada", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created admin 'ada'." in result.output
    assert PASSWORD not in result.output
    user = await _user(engine, "ada")
    assert user is not None and user.is_active
    assert verify_password(PASSWORD, user.password_hash)
    login = await client.post("/admin/login", data={"username": "ada", "password": PASSWORD})
    assert login.status_code == 302


async def test_create_admin_rejects_mismatch_short_password_and_duplicates(
    cli_env: None, engine: AsyncEngine
) -> None:
    mismatch = await run_cli(
        "create-admin",
        "ada",
        input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert "do not match" in mismatch.output.lower()
    assert mismatch.exit_code == 0  # asked again, then created
    short = await run_cli("create-admin", "bob", "--password-stdin", input="short\n")
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    assert await _user(engine, "bob") is None
    dup = await run_cli("create-admin", "ADA", "--password-stdin", input=f"{PASSWORD}\n")
    assert dup.exit_code == 1
    assert "already exists" in dup.output
    bad_name = await run_cli("create-admin", "x", "--password-stdin", input=f"{PASSWORD}\n")
    assert bad_name.exit_code == 1
    assert "Username must be" in bad_name.output


async def test_set_password_and_list_admins(cli_env: None, engine: AsyncEngine) -> None:
    empty = await run_cli("list-admins")
    assert "No admin accounts yet" in empty.output
    await run_cli("create-admin", "ada", "--password-stdin", input=f"{PASSWORD}\n")
    changed = await run_cli(
        "set-password", "ada", "--password-stdin", input="another long password\n"
    )
    assert changed.exit_code == 0, changed.output
    user = await _user(engine, "ada")
    assert user is not None
    assert verify_password("another long password", user.password_hash)
    assert not verify_password(PASSWORD, user.password_hash)
    missing = await run_cli("set-password", "nobody", "--password-stdin", input=f"{PASSWORD}\n")
    assert missing.exit_code == 1 and "No admin named 'nobody'" in missing.output
    listing = await run_cli("list-admins")
    assert listing.exit_code == 0
    assert "ada" in listing.output and "never" in listing.output
    assert user.password_hash not in listing.output


async def test_dev_admin_is_created_once_with_a_random_password(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        credentials = await ensure_dev_admin(session, settings=settings)
    assert credentials is not None
    username, password = credentials
    assert len(password) >= 12
    async with make_sessionmaker(engine)() as session, session.begin():
        assert await ensure_dev_admin(session, settings=settings) is None
    response = await client.post("/admin/login", data={"username": username, "password": password})
    assert response.status_code == 302


async def test_no_default_admin_in_prod(engine: AsyncEngine, database_url: str) -> None:
    prod = Settings(environment="prod", database_url=database_url, secret_key="p" * 40)
    async with make_sessionmaker(engine)() as session, session.begin():
        with pytest.raises(AccountError, match="No default admin in prod"):
            await ensure_dev_admin(session, settings=prod)
    assert await _user(engine, "admin") is None


def test_prod_refuses_a_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="prod")
