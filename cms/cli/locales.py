"""``--locale`` of ``cms export``, ``cms import`` and ``cms render-cv``: the translator's loop."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.cli import fail, fail_with_problems, load_settings, run
from cms.content.jsonresume import ResumeValidationError, export_resume
from cms.content.localized import reading_in
from cms.content.translating import import_translation
from cms.core.locales import Locales

__all__ = ["LocaleOption", "export_in", "import_translated", "locale_of"]

LocaleOption = Annotated[
    str | None,
    typer.Option("--locale", help="A locale of LOCALES (default: the first): the CV in it"),
]


def locale_of(asked: str | None) -> tuple[str, bool]:
    """The locale ``asked`` names and whether it is the default; a failure listing them."""
    locales = Locales(load_settings().locales)
    found = locales.find(asked)
    if found is None:
        assert asked is not None
        fail(locales.unknown(asked))
    return found, found == locales.default


def export_in(asked: str | None, *, include_drafts: bool) -> dict[str, Any]:
    """The CV in the locale ``asked`` (texts without a translation in the default's words)."""
    tag, default = locale_of(asked)

    async def export(session: AsyncSession) -> dict[str, Any]:
        with reading_in(tag, default=default):
            return await export_resume(session, include_drafts=include_drafts)

    return run(export)


def import_translated(document: Any, file: Path, asked: str, *, yes: bool, dry_run: bool) -> None:
    """``cms import --locale``: the translatable fields only, matched by position."""
    tag, default = locale_of(asked)
    if default:
        fail(
            f"{tag} is the default locale: its texts are the CV itself (`cms import` without "
            "--locale replaces them)."
        )

    def apply(*, write: bool) -> Any:
        async def work(session: AsyncSession) -> Any:
            return await import_translation(session, document, tag, actor="cms import", write=write)

        try:
            return run(work)
        except ResumeValidationError as exc:
            fail_with_problems(
                exc.problems,
                f"{file} does not have the CV's structure or breaks its rules "
                f"({len(exc.problems)} problem(s)); nothing was written.",
            )

    changes = apply(write=False)
    for line in changes.describe():
        typer.echo(f"  {line}")
    if dry_run:
        typer.echo("Dry run: nothing was written.")
        return
    if not changes.writes:
        typer.echo(f"The {tag} texts are already these; nothing was written.")
        return
    if not yes:
        if not sys.stdin.isatty():
            fail(f"Writing the {tag} texts needs confirmation: run on a terminal, or pass --yes.")
        typer.confirm(f"Write these {tag} texts?", abort=True)
    apply(write=True)
    typer.echo(f"Imported the {tag} texts from {file}.")
