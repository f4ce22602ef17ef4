"""The printable CV: HTML from the published JSON Resume, print CSS, escaping, and the PDF."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from cms.cli import app as cli
from cms.cli.cv import PDF_EXTRA_HINT
from cms.content.cv import render_cv
from cms.content.jsonresume import export_resume
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.config import get_settings

IN_CI = bool(os.environ.get("CI"))
_TEXT_FIELDS = ("name", "position", "summary", "description")


@pytest.fixture
async def resumes(engine: AsyncEngine) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sample CV (which has drafts): its published export, and the one with drafts."""
    async with make_sessionmaker(engine)() as session:
        async with session.begin():
            await seed_database(session, SEED_DIR)
        published = await export_resume(session)
        everything = await export_resume(session, include_drafts=True)
    return published, everything


def _drafts(resume: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        entry
        for value in resume.values()
        if isinstance(value, list)
        for entry in value
        if isinstance(entry, dict) and entry.get("published") is False
    ]


def _texts(entry: dict[str, Any]) -> list[str]:
    return [str(entry[field]) for field in _TEXT_FIELDS if entry.get(field)]


def _as_printed(text: str) -> str:
    """Text as a reader compares it: ligatures split, lines and spaces joined."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_the_html_holds_the_name_and_every_published_work_entry(
    resumes: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    published, everything = resumes

    page = render_cv(published).decode("utf-8")

    assert f"<h1>{escape(published['basics']['name'])}</h1>" in page
    assert published["work"], "the sample CV has published jobs"
    for job in published["work"]:
        for text in _texts(job):
            assert str(escape(text)) in page, text
    for project in published["projects"]:
        assert str(escape(project["name"])) in page
    drafts = _drafts(everything)
    assert drafts, "the sample CV has drafts"
    for draft in drafts:
        for text in _texts(draft):
            assert str(escape(text)) not in page, text
    assert "Draft" not in page


def test_drafts_appear_marked_only_when_asked_for(
    resumes: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, everything = resumes

    page = render_cv(everything).decode("utf-8")

    for draft in _drafts(everything):
        for text in _texts(draft):
            assert str(escape(text)) in page, text
    assert page.count('<span class="draft-badge">Draft</span>') == len(_drafts(everything))


def test_print_css_for_a4_and_letter_and_no_external_assets(
    resumes: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    published, _ = resumes

    any_paper = render_cv(published).decode("utf-8")
    a4 = render_cv(published, paper="A4").decode("utf-8")
    letter = render_cv(published, paper="letter").decode("utf-8")

    for page in (any_paper, a4, letter):
        assert "@page {" in page and "@media print {" in page
        assert "break-inside: avoid;" in page and '<article class="entry' in page
        for asset in ("<link", "<script", "<img", "src=", "url(", "@import", "<iframe"):
            assert asset not in page
    assert "size: A4;" in a4 and "size: letter;" in letter
    assert "@page { size" not in any_paper  # the printer's paper: the layout fits both
    assert any_paper.startswith('<!DOCTYPE html>\n<html lang="en">')
    with pytest.raises(ValueError, match="Unknown paper 'A5'"):
        render_cv(published, paper="A5")  # type: ignore[arg-type]


def test_every_value_is_escaped_and_only_web_links_are_links() -> None:
    hostile = '<script>alert("x")</script>'
    resume = {
        "basics": {
            "name": hostile,
            "label": "A & B",
            "url": "javascript:alert(1)",
            "profiles": [{"network": "<b>Net</b>", "url": 'https://example.com/"onmouseover=x'}],
        },
        "work": [
            {
                "name": "Acme <Corp>",
                "position": "Engineer",
                "startDate": "2021-03",
                "highlights": ["</li><li>injected"],
                "keywords": ["C++", "<T>"],
            }
        ],
        "skills": [{"name": "{{ 7 * 7 }}", "keywords": ["{% raw %}"]}],
    }

    page = render_cv(resume).decode("utf-8")

    assert "<script" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "A &amp; B" in page and "Acme &lt;Corp&gt;" in page
    assert "&lt;/li&gt;&lt;li&gt;injected" in page and "C++, &lt;T&gt;" in page
    assert "&lt;b&gt;Net&lt;/b&gt;" in page
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page  # text only
    assert 'href="https://example.com/&#34;onmouseover=x"' in page
    assert "{{ 7 * 7 }}" in page and "{% raw %}" in page  # values are never templates


def test_dates_and_an_empty_cv() -> None:
    resume = {
        "basics": {"name": "Ada"},
        "work": [
            {"name": "Now", "startDate": "2024-01"},
            {"name": "Then", "startDate": "2019-09-15", "endDate": "2021"},
        ],
        "certificates": [{"name": "Cert", "date": "2023-06-14"}],
    }

    page = render_cv(resume).decode("utf-8")
    empty = render_cv({}).decode("utf-8")

    assert "Jan 2024 – Present" in page and "Sep 2019 – 2021" in page
    assert "Jun 14, 2023" in page  # CLDR's English (Babel)
    assert "<title>Curriculum vitae</title>" in empty and "<section" not in empty


def test_the_renderer_needs_no_fastapi_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "from cms.content.cv import render_cv\n"
        "assert b'Ada' in render_cv({'basics': {'name': 'Ada'}})\n"
        "heavy = {'fastapi', 'sqlalchemy', 'sqlmodel', 'pydantic'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- cms render-cv ----------------------------------------------------------------------


@pytest.fixture
def cms(
    database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """A runner for ``cms`` commands against the database under test."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_render_cv_writes_the_html(
    cms: CliRunner, resumes: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    published, everything = resumes

    result = cms.invoke(cli, ["render-cv", "--html", str(tmp_path / "cv.html")])
    drafts = cms.invoke(
        cli, ["render-cv", "--html", str(tmp_path / "all.html"), "--include-drafts"]
    )

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote the CV as HTML to {tmp_path / 'cv.html'}.\n"
    assert (tmp_path / "cv.html").read_bytes() == render_cv(published)
    assert drafts.exit_code == 0, drafts.output
    assert (tmp_path / "all.html").read_bytes() == render_cv(everything)


def test_render_cv_explains_what_it_needs(
    cms: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = cms.invoke(cli, ["render-cv"])
    paper = cms.invoke(cli, ["render-cv", "--html", str(tmp_path / "x"), "--paper", "A5"])
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if the extra were not installed
    no_extra = cms.invoke(cli, ["render-cv", "--pdf", str(tmp_path / "cv.pdf")])

    assert (nowhere.exit_code, nowhere.stderr) == (
        1,
        "Say where to write the CV: --pdf FILE, --html FILE, or both.\n",
    )
    assert (paper.exit_code, paper.stderr) == (1, "Unknown paper 'A5': use one of A4, letter.\n")
    assert (no_extra.exit_code, no_extra.stderr) == (1, PDF_EXTRA_HINT + "\n")
    assert "pip install 'portfolio-cms[pdf]'" in PDF_EXTRA_HINT
    assert not (tmp_path / "cv.pdf").exists() and not (tmp_path / "x").exists()


def _needs(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing; CI must install it (.ci/run, the pdf extra)")
    pytest.skip(f"{what} is not installed: the PDF is not checked")


def _weasyprint_installed() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def test_render_cv_pdf_holds_the_published_cv_and_no_draft(
    cms: CliRunner, resumes: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    _needs(_weasyprint_installed(), "WeasyPrint (pip install -e '.[pdf]')")
    _needs(shutil.which("pdftotext") is not None, "pdftotext (Debian package poppler-utils)")
    published, everything = resumes
    target = tmp_path / "cv.pdf"

    result = cms.invoke(cli, ["render-cv", "--pdf", str(target), "--paper", "letter"])

    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF-")
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True)
    assert "(letter)" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(target), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    printed = _as_printed(text)
    assert _as_printed(published["basics"]["name"]) in printed
    for job in published["work"]:
        for value in (job["position"], job["name"]):
            assert _as_printed(value) in printed, value
    for draft in _drafts(everything):
        for value in _texts(draft):
            assert _as_printed(value) not in printed, value
