"""The password policy: weak passwords are refused with a reason by the admin and the CLI."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.accounts import ensure_dev_admin
from cms.admin.passwords import breached_passwords, password_problem
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AdminUser
from cms.core.security import hash_password, verify_password
from tests.admin.helpers import Owner, error_next_to
from tests.admin.test_accounts import cli_env, run_cli  # noqa: F401  (fixture)

ADVICE = "Three or four unrelated words"
STRONG = "juniper atlas cobble mercury"
WEAK = [
    pytest.param("Password123!", "dana", "leaked password with a few digits or symbols", id="pw"),
    pytest.param(
        "Summer2024!!", "dana", "leaked password with a few digits or symbols", id="summer"
    ),
    pytest.param("adminadmin12", "dana", "too easy to guess", id="adminadmin"),
    pytest.param("correcthorsebatterystaple", "dana", "lists of leaked passwords", id="xkcd"),
    pytest.param("carolcarol12", "carol", "must not contain the username", id="username"),
]


async def _account(engine: AsyncEngine, username: str) -> AdminUser | None:
    async with make_sessionmaker(engine)() as session:
        query = select(AdminUser).where(AdminUser.username == username)  # type: ignore[arg-type]
        return (await session.scalars(query)).first()


async def _add_account(engine: AsyncEngine, username: str, password: str) -> int:
    async with make_sessionmaker(engine)() as session, session.begin():
        user = AdminUser(username=username, password_hash=hash_password(password))
        session.add(user)
        await session.flush()
        assert user.id is not None
        return user.id


@pytest.mark.parametrize(("password", "username", "reason"), WEAK)
async def test_the_admin_refuses_weak_passwords_with_the_reason(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    owner: Owner,
    password: str,
    username: str,
    reason: str,
) -> None:
    form = {"username": username, "is_active": "y", "new_password": password, "save": "Save"}
    created = await admin_client.post("/admin/admin-user/create", data=form)
    assert created.status_code == 400
    (message,) = error_next_to(created.text, "new_password")
    assert reason in message and ADVICE in message
    assert password not in message
    assert await _account(engine, username) is None

    user_id = await _add_account(engine, username, STRONG)
    changed = await admin_client.post(f"/admin/admin-user/edit/{user_id}", data=form)
    assert changed.status_code == 400
    assert reason in error_next_to(changed.text, "new_password")[0]
    user = await _account(engine, username)
    assert user is not None and verify_password(STRONG, user.password_hash)


async def test_the_admin_accepts_a_strong_passphrase(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, owner: Owner
) -> None:
    form = {"username": "carol", "is_active": "y", "new_password": STRONG, "save": "Save"}
    assert (await admin_client.post("/admin/admin-user/create", data=form)).status_code == 302
    user = await _account(engine, "carol")
    assert user is not None and verify_password(STRONG, user.password_hash)


@pytest.mark.parametrize(("password", "username", "reason"), WEAK)
async def test_the_cli_refuses_weak_passwords_with_the_reason(
    cli_env: None,  # noqa: F811
    engine: AsyncEngine,
    password: str,
    username: str,
    reason: str,
) -> None:
    created = await run_cli("create-admin", username, "--password-stdin", input=f"{password}\n")
    assert created.exit_code == 1
    assert reason in created.output and ADVICE in created.output
    assert password not in created.output
    assert await _account(engine, username) is None

    await _add_account(engine, username, STRONG)
    changed = await run_cli("set-password", username, "--password-stdin", input=f"{password}\n")
    assert changed.exit_code == 1 and reason in changed.output
    user = await _account(engine, username)
    assert user is not None and verify_password(STRONG, user.password_hash)


async def test_the_cli_accepts_a_strong_passphrase(
    cli_env: None,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    created = await run_cli("create-admin", "carol", "--password-stdin", input=f"{STRONG}\n")
    assert created.exit_code == 0, created.output
    other = "maple quartz lagoon whistle"
    changed = await run_cli("set-password", "carol", "--password-stdin", input=f"{other}\n")
    assert changed.exit_code == 0, changed.output
    user = await _account(engine, "carol")
    assert user is not None and verify_password(other, user.password_hash)


async def test_the_dev_admins_generated_password_passes_the_policy(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        credentials = await ensure_dev_admin(session, settings=settings)
    assert credentials is not None
    username, password = credentials
    assert password_problem(password, username=username) is None


@pytest.mark.parametrize(
    "password", ["PASSWORD1234", "Pass Word 1234", "iloveyou2", "Monkey2024!!", "1q2w3e4r5t6y"]
)
def test_the_leaked_list_is_checked_ignoring_case_and_spaces(password: str) -> None:
    problem = password_problem(password + ("" if len(password) >= 12 else "!!!"), username="dana")
    assert problem is not None and "leaked" in problem


def test_the_shipped_list_is_the_top_hundred_thousand() -> None:
    leaked = breached_passwords()
    assert len(leaked) > 95_000  # 100,000 lines, fewer once folded to lower case
    assert {"123456", "password", "qwerty", "dragon", "correcthorsebatterystaple"} <= leaked


@pytest.mark.parametrize(
    ("password", "username"),
    [
        (STRONG, "dana"),
        ("violet harbour lantern 42", "owner"),
        ("Tr0ub4dour&3 is not my password", "carol"),
        ("x" + "quiet ember orchard tango " * 30, "owner"),  # long: zxcvbn sees 72 characters
    ],
)
def test_strong_passphrases_pass(password: str, username: str) -> None:
    assert password_problem(password, username=username) is None
