"""``cms render-cv``: the printable CV as a PDF (WeasyPrint, the ``pdf`` extra) or as HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cms.cli import app, fail
from cms.cli.locales import LocaleOption, export_in
from cms.content.cv import PAPERS, Paper, render_cv

__all__ = ["PDF_EXTRA_HINT", "render_cv_command"]

PDF_EXTRA_HINT = (
    "Writing a PDF needs WeasyPrint, an optional extra: pip install 'portfolio-cms[pdf]' "
    "(in a checkout: .venv/bin/pip install -e '.[pdf]'). --html FILE works without it."
)


def _weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, or a clear exit saying how to install it."""
    try:
        from weasyprint import HTML
    except ImportError:
        fail(PDF_EXTRA_HINT)
    except OSError as exc:  # installed, but its system libraries (Pango) are missing
        fail(f"WeasyPrint cannot load its system libraries (Pango): {exc}")
    return HTML


@app.command("render-cv")
def render_cv_command(
    pdf: Annotated[
        Path | None, typer.Option("--pdf", dir_okay=False, help="Write the CV as a PDF here")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", dir_okay=False, help="Write the CV as HTML here")
    ] = None,
    paper: Annotated[
        str | None,
        typer.Option("--paper", help="A4 or letter (default: A4 for the PDF, any for HTML)"),
    ] = None,
    include_drafts: Annotated[
        bool, typer.Option("--include-drafts", help="Drafts too, marked as drafts")
    ] = False,
    locale: LocaleOption = None,
) -> None:
    """Render the printable CV to a PDF and/or an HTML file, in a locale of LOCALES."""

    if pdf is None and html is None:
        fail("Say where to write the CV: --pdf FILE, --html FILE, or both.")
    size: Paper | None = None
    if paper is not None:
        size = next((known for known in PAPERS if known.lower() == paper.lower()), None)
        if size is None:
            fail(f"Unknown paper {paper!r}: use one of {', '.join(PAPERS)}.")
    # Before the database: a missing extra is reported without any other work.
    pdf_class = _weasyprint_html() if pdf is not None else None

    resume: dict[str, Any] = export_in(locale, include_drafts=include_drafts)
    if html is not None:
        html.write_bytes(render_cv(resume, paper=size))
        typer.echo(f"Wrote the CV as HTML to {html}.", err=True)
    if pdf is not None and pdf_class is not None:
        document = render_cv(resume, paper=size or "A4").decode("utf-8")
        pdf_class(string=document).write_pdf(pdf)
        typer.echo(f"Wrote the CV as PDF to {pdf}.", err=True)
