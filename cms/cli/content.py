"""``cms seed``, ``import``, ``export``, ``backup``, ``restore``: the CV in and out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cms.cli import app, fail, fail_with_problems, load_settings, run
from cms.cli.locales import LocaleOption, export_in, import_translated
from cms.content import transfer
from cms.content.jsonresume import (
    ResumeValidationError,
    check_resume,
    export_resume,
    load_document,
    render_resume,
)
from cms.content.seeding import SEED_DIR, SeedError, seed_database
from cms.media.urls import is_media_path

if TYPE_CHECKING:
    from cms.content.jsonresume import Problem


@app.command()
def seed(
    directory: Annotated[Path | None, typer.Argument(help="Folder with the seed files")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a CV that differs from the seed")
    ] = False,
) -> None:
    """Load the sample CV from seed/ (idempotent: running it twice changes nothing)."""

    try:
        report = run(lambda session: seed_database(session, directory or SEED_DIR, force=force))
    except SeedError as exc:
        fail(str(exc))
    except ResumeValidationError as exc:
        fail_with_problems(
            exc.problems, f"The seed has {len(exc.problems)} problem(s); nothing was written."
        )
    typer.echo(str(report))


def _read_document(file: Path) -> Any:
    """A JSON Resume document from ``file`` within the size limit, or a clear failure."""

    try:
        return load_document(file.read_bytes(), max_bytes=load_settings().resume_max_bytes)
    except OSError as exc:
        fail(f"Cannot read {file}: {exc.strerror or exc}")
    except ResumeValidationError as exc:  # too big, not JSON, or values over the JSON limits
        if [problem.path for problem in exc.problems] == ["$"]:  # about the file as a whole
            fail(f"{file}: {exc.problems[0].message}; nothing was written.")
        fail_with_problems(
            exc.problems, f"{file}: {len(exc.problems)} problem(s); nothing was written."
        )


def _warn_about(warnings: list[Problem]) -> None:
    for warning in warnings:
        # Some messages say it already ("Empty: kept as written (…)."): once is enough.
        kept = "" if "kept as written" in warning.message else " (kept as written)"
        typer.secho(f"warning: {warning}{kept}", fg=typer.colors.YELLOW, err=True)


def _replace(document: Any, *, actor: str, restore: bool = False) -> tuple[Path | None, str]:
    """Replace the CV with ``document`` in one transaction, the current CV backed up first."""
    settings = load_settings()
    return run(
        lambda session: transfer.replace_with_backup(
            session,
            document,
            backup_dir=Path(settings.backup_dir),
            keep=settings.backup_retention,
            actor=actor,
            keep_translations=not restore,
        )
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replace without asking")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes only")] = False,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Accept a document with no content")
    ] = False,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            help="The document is the CV translated into this locale: only its texts are "
            "written, entries matched by position",
        ),
    ] = None,
) -> None:
    """Replace the CV with a JSON Resume document: shows what changes, backs up, all or nothing."""

    document = _read_document(file)
    if locale is not None:
        import_translated(document, file, locale, yes=yes, dry_run=dry_run)
        return
    checked = check_resume(document)
    if checked.problems:
        fail_with_problems(
            checked.problems, f"{file}: {len(checked.problems)} problem(s); nothing was written."
        )
    _warn_about(checked.warnings)
    if transfer.is_empty(checked.content) and not allow_empty:
        fail(f"{file} holds no CV; nothing was written (--allow-empty empties the CV).")
    current = run(transfer.current_document)
    new = render_resume(checked.content, include_drafts=True)
    found = transfer.changes(current, new)
    for line in transfer.describe_changes(found):
        typer.echo(f"  {line}")
    if dry_run:
        typer.echo("Dry run: nothing was written.")
        return
    if not yes and transfer.replaces_anything(found):
        if not sys.stdin.isatty():
            fail("Replacing the CV needs confirmation: run on a terminal, or pass --yes.")
        typer.confirm("Replace the CV with this document?", abort=True)
    try:
        backup, summary = _replace(document, actor="cms import")
    except transfer.BackupError as exc:
        fail(f"{exc} (BACKUP_DIR); nothing was written.")
    if backup is not None:
        typer.echo(f"Backed up the previous CV to {backup}.")
    typer.echo(f"Imported {file}: {summary}")


@app.command()
def export(
    file: Annotated[Path | None, typer.Argument(help="Output file (default: stdout)")] = None,
    include_drafts: Annotated[
        bool, typer.Option("--include-drafts", help='Drafts too, marked "published": false')
    ] = False,
    locale: LocaleOption = None,
) -> None:
    """Write the CV as a JSON Resume document (checked against the schema)."""

    if locale is None:
        document = run(lambda session: export_resume(session, include_drafts=include_drafts))
    else:
        document = export_in(locale, include_drafts=include_drafts)
    # What import reads back: values kept as written are warnings here too, not refusals.
    checked = check_resume(document)
    if checked.problems:
        fail_with_problems(
            checked.problems,
            f"The CV does not match the JSON Resume v1.0.0 schema ({len(checked.problems)} "
            "problem(s)).",
        )
    # An uploaded image's URL is relative while PUBLIC_BASE_URL is unset: our own doing.
    _warn_about([w for w in checked.warnings if not is_media_path(w.value)])
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"Exported the CV to {file}.", err=True)


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Backup file to write")],
) -> None:
    """Write the whole CV (drafts, order, precision, technologies) to a backup file."""

    transfer.save_backup(file, transfer.backup_bytes(run(transfer.current_document)))
    typer.echo(f"Backed up the CV to {file}.")


@app.command()
def restore(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Replace the CV with a backup (all or nothing; the CV it replaces is backed up first)."""

    document = _read_document(file)
    try:
        previous, summary = _replace(document, actor="cms restore", restore=True)
    except ResumeValidationError as exc:
        fail_with_problems(exc.problems, f"{file}: nothing was restored.")
    except transfer.BackupError as exc:
        fail(f"{exc} (BACKUP_DIR); nothing was restored.")
    if previous is not None:
        typer.echo(f"Backed up the previous CV to {previous}.")
    typer.echo(f"Restored {file}: {summary}")
