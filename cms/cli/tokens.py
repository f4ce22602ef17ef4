"""``cms token create``, ``list``, ``revoke``: API tokens from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.cli import app, fail, run
from cms.core.models import as_utc
from cms.core.tokenhash import SCOPES
from cms.core.tokens import (
    TokenError,
    check_expiry,
    check_name,
    check_scope,
    create_token,
    list_tokens,
    revoke_token,
)

__all__ = ["token_app"]

token_app = typer.Typer(no_args_is_help=True, help="API tokens for programs (drafts, writes).")
app.add_typer(token_app, name="token")


def _when(value: datetime | None, empty: str) -> str:

    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else empty


@token_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="A name to tell the token apart, e.g. astro-site")],
    scope: Annotated[str, typer.Option("--scope", help=f"One of: {', '.join(SCOPES)}")],
    expires_days: Annotated[
        int | None,
        typer.Option("--expires-days", help="Days until it stops working (default: never)"),
    ] = None,
) -> None:
    """Create an API token and print it once (only its hash is kept)."""

    async def create(session: AsyncSession) -> tuple[str, str]:
        row, token = await create_token(
            session, name=name, scope=scope, expires_in_days=expires_days, actor="cms token create"
        )
        return row.name, token

    try:
        # Before the database: a typo is reported without connecting.
        check_name(name)
        check_scope(scope)
        check_expiry(expires_days)
        created, token = run(create)
    except TokenError as exc:
        fail(str(exc))
    typer.echo(f"Created token {created!r} ({scope}). It is shown only now: store it safely.")
    typer.echo(token)


@token_app.command("list")
def list_command() -> None:
    """List the API tokens (never the tokens themselves)."""

    async def rows(session: AsyncSession) -> list[tuple[str, ...]]:
        return [
            (
                token.name,
                token.scope,
                token.prefix,
                _when(token.created_at, ""),
                _when(token.expires_at, "never"),
                _when(token.last_used_at, "never"),
                _when(token.revoked_at, "no"),
            )
            for token in await list_tokens(session)
        ]

    tokens = run(rows)
    if not tokens:
        typer.echo("No API tokens yet: create one with `cms token create NAME --scope SCOPE`.")
        return
    header = ("NAME", "SCOPE", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "REVOKED")
    widths = [max(len(row[i]) for row in (header, *tokens)) for i in range(len(header))]
    for row in (header, *tokens):
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@token_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="The token to revoke")],
) -> None:
    """Revoke an API token: it stops working at once."""

    try:
        revoked = run(lambda session: revoke_token(session, name=name, actor="cms token revoke"))
    except TokenError as exc:
        fail(str(exc))
    typer.echo(
        f"Revoked token {name.strip()!r}."
        if revoked
        else f"Token {name.strip()!r} was already revoked."
    )
