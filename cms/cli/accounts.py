"""``cms create-admin``, ``set-password``, ``list-admins``: owner accounts from the shell."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.admin.accounts import (
    AccountError,
    check_password,
    check_username,
    create_admin,
    list_admins,
    normalize_username,
    set_password,
)
from cms.admin.totp import KeyRotationError, disable, enable_now, rotate_key
from cms.cli import app, fail, run
from cms.core.models import AdminUser

if TYPE_CHECKING:
    pass


def _read_new_password(password_stdin: bool) -> str:
    """The new password: first line of stdin, or typed twice at a hidden prompt."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


_PASSWORD_STDIN = typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input."
)


@app.command("create-admin")
def create_admin_command(
    username: Annotated[str, typer.Argument(help="Login name (case-insensitive)")],
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Create an owner account for the back office (/admin)."""

    try:
        name = check_username(username)
        password = _read_new_password(password_stdin)
        check_password(password, username=name)
        run(lambda session: create_admin(session, name, password))
    except AccountError as exc:
        fail(str(exc))
    typer.echo(f"Created admin {name!r}.")


@app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Argument(help="The account to change")],
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Set a new password for an owner account (its open sessions end)."""

    try:
        password = _read_new_password(password_stdin)
        check_password(password, username=username)
        run(lambda session: set_password(session, username, password))
    except AccountError as exc:
        fail(str(exc))
    typer.echo(f"Password of {normalize_username(username)!r} changed.")


@app.command("list-admins")
def list_admins_command() -> None:
    """List the owner accounts."""

    async def rows(session: AsyncSession) -> list[tuple[str, bool, str]]:
        return [
            (
                user.username,
                user.is_active,
                user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "never",
            )
            for user in await list_admins(session)
        ]

    accounts = run(rows)
    if not accounts:
        typer.echo("No admin accounts yet: create one with `cms create-admin USERNAME`.")
        return
    width = max(len(name) for name, _, _ in accounts)
    typer.echo(f"{'USERNAME':<{width}}  ACTIVE  LAST LOGIN")
    for name, active, last_login in accounts:
        typer.echo(f"{name:<{width}}  {'yes' if active else 'no':<6}  {last_login}")


totp_app = typer.Typer(no_args_is_help=True, help="Two-factor login (TOTP) of owner accounts.")
app.add_typer(totp_app, name="totp")


async def _account(session: AsyncSession, username: str) -> Any:
    from sqlalchemy import select
    from sqlmodel import col

    name = normalize_username(username)
    user = (await session.scalars(select(AdminUser).where(col(AdminUser.username) == name))).first()
    if user is None:
        raise AccountError(f"No admin named {name!r}.")
    return user


@totp_app.command("enable")
def totp_enable_command(
    username: Annotated[str, typer.Argument(help="The account to protect")],
) -> None:
    """Turn on two-factor login now; prints the otpauth:// URI and recovery codes once."""

    async def enable(session: AsyncSession) -> tuple[str, list[str]]:
        return await enable_now(session, await _account(session, username))

    try:
        uri, codes = run(enable)
    except AccountError as exc:
        fail(str(exc))
    typer.echo("Two-factor login is on. Add this to an authenticator app (shown only now):")
    typer.echo(uri)
    typer.echo("Recovery codes (each works once instead of a code):")
    for code in codes:
        typer.echo(f"  {code}")


@totp_app.command("disable")
def totp_disable_command(
    username: Annotated[str, typer.Argument(help="The account to change")],
) -> None:
    """Turn off two-factor login (a lost phone): the password alone logs in again."""

    async def off(session: AsyncSession) -> None:
        await disable(session, await _account(session, username))

    try:
        run(off)
    except AccountError as exc:
        fail(str(exc))
    typer.echo("Two-factor login is off.")


@totp_app.command("rotate-key")
def totp_rotate_key_command(
    old_key_stdin: Annotated[
        bool,
        typer.Option(
            "--old-key-stdin", help="Read the previous SECRET_KEY from the first line of stdin."
        ),
    ] = False,
) -> None:
    """Re-encrypt the two-factor secrets under the current SECRET_KEY after changing it."""

    if old_key_stdin:
        old_key = sys.stdin.readline().rstrip("\r\n")
    else:
        old_key = typer.prompt("Previous SECRET_KEY", hide_input=True)
    if not old_key:
        fail("No previous SECRET_KEY on standard input.")
    try:
        changed = run(lambda session: rotate_key(session, old_key))
    except KeyRotationError as exc:
        fail(f"{exc}. Nothing was changed: check the key, or turn two-factor login off for them.")
    typer.echo(f"Re-encrypted {changed} two-factor secret{'s' if changed != 1 else ''}.")
