"""The translator's loop from the shell: ``cms export --locale``, ``cms import --locale``,
``cms render-cv --locale``, and backups that carry every locale (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cms.cli import app
from cms.core.config import get_settings
from tests.cli.helpers import import_document, state, write_document
from tests.content.documents import full_document


@pytest.fixture
def cms_de(cms: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """``cms`` with LOCALES=en,de and the full test CV imported."""
    monkeypatch.setenv("LOCALES", "en,de")
    get_settings.cache_clear()
    assert import_document(cms, tmp_path, full_document(), "--yes").exit_code == 0
    return cms


def _export(cms: CliRunner, *options: str) -> dict[str, Any]:
    result = cms.invoke(app, ["export", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _translated(document: dict[str, Any]) -> dict[str, Any]:
    document["basics"]["label"] = "Full-Stack-Entwickler"
    document["basics"]["location"]["city"] = "Lissabon"
    document["work"][0]["position"] = "Leitender Ingenieur"
    document["work"][0]["highlights"] = ["Kosten um 58 % gesenkt", "Vier Leute begleitet"]
    return document


def test_export_in_a_locale_is_the_default_text_until_translated(
    cms_de: CliRunner, tmp_path: Path
) -> None:
    default = _export(cms_de)
    german = _export(cms_de, "--locale", "de")

    assert german["meta"]["locale"] == "de"
    assert "locale" not in default.get("meta", {})
    german["meta"].pop("locale")
    assert german == default  # nothing translated: every text falls back


def test_import_in_a_locale_writes_only_its_texts(
    cms_de: CliRunner, database_url: str, tmp_path: Path
) -> None:
    document = _translated(_export(cms_de, "--locale", "de"))
    source = write_document(tmp_path, document, "cv.de.json")
    before = state(database_url)

    dry = cms_de.invoke(app, ["import", "--locale", "de", str(source), "--dry-run"])
    assert state(database_url) == before
    done = cms_de.invoke(app, ["import", "--locale", "de", str(source), "--yes"])
    again = cms_de.invoke(app, ["import", "--locale", "de", str(source), "--yes"])

    assert dry.exit_code == 0, dry.output
    assert "  basics: 1 changed\n  work: 1 changed\n" in dry.stdout
    assert "Dry run: nothing was written." in dry.stdout
    assert done.exit_code == 0, done.output
    assert f"Imported the de texts from {source}." in done.stdout
    assert "already these" in again.stdout
    german = _export(cms_de, "--locale", "de")
    default = _export(cms_de)
    assert german["work"][0]["position"] == "Leitender Ingenieur"
    assert german["basics"]["location"]["city"] == "Lissabon"
    assert german["work"][0]["startDate"] == default["work"][0]["startDate"]
    assert default["work"][0]["position"] == "Staff Engineer"  # the default is untouched
    assert default["basics"]["location"]["city"] == "Lisbon"


def test_a_document_of_another_structure_is_refused_with_its_paths(
    cms_de: CliRunner, database_url: str, tmp_path: Path
) -> None:
    document = _translated(_export(cms_de, "--locale", "de"))
    document["work"][0]["startDate"] = "2020-01"
    document["work"][0]["url"] = "https://elsewhere.example.com"
    document["skills"].pop()
    before = state(database_url)

    result = cms_de.invoke(
        app, ["import", "--locale", "de", str(write_document(tmp_path, document)), "--yes"]
    )

    assert result.exit_code == 1
    assert "$.work[0].url: differs from the CV" in result.stderr
    assert "$.work[0].startDate: differs from the CV" in result.stderr
    assert "$.skills: has" in result.stderr
    assert "nothing was written" in result.stderr
    assert state(database_url) == before


def test_the_default_and_unknown_locales_are_refused(cms_de: CliRunner, tmp_path: Path) -> None:
    source = write_document(tmp_path, _export(cms_de))

    default = cms_de.invoke(app, ["import", "--locale", "en", str(source), "--yes"])
    unknown = cms_de.invoke(app, ["export", "--locale", "fr"])

    assert default.exit_code == 1 and "default locale" in default.stderr
    assert unknown.exit_code == 1
    assert "Unknown locale 'fr': this CV is written in en, de" in unknown.stderr


def test_backup_restore_backup_keeps_every_locale_byte_for_byte(
    cms_de: CliRunner, database_url: str, tmp_path: Path
) -> None:
    source = write_document(tmp_path, _translated(_export(cms_de, "--locale", "de")), "de.json")
    assert cms_de.invoke(app, ["import", "--locale", "de", str(source), "--yes"]).exit_code == 0
    first, second = tmp_path / "one.json", tmp_path / "two.json"

    assert cms_de.invoke(app, ["backup", str(first)]).exit_code == 0
    assert cms_de.invoke(app, ["restore", str(first)]).exit_code == 0
    assert cms_de.invoke(app, ["backup", str(second)]).exit_code == 0

    assert first.read_bytes() == second.read_bytes()
    carried = json.loads(first.read_text(encoding="utf-8"))["meta"]["cmsTranslations"]
    assert carried["work"][0] == {
        "de": {
            "position": "Leitender Ingenieur",
            "highlights": ["Kosten um 58 % gesenkt", "Vier Leute begleitet"],
        }
    }
    assert _export(cms_de, "--locale", "de")["basics"]["location"]["city"] == "Lissabon"


def test_a_backup_with_broken_translations_is_refused(cms_de: CliRunner, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    assert cms_de.invoke(app, ["backup", str(backup)]).exit_code == 0
    document = json.loads(backup.read_text(encoding="utf-8"))
    document["meta"]["cmsTranslations"] = {"work": [{"de": {"url": "https://x.de"}}]}

    result = cms_de.invoke(app, ["restore", str(write_document(tmp_path, document))])

    assert result.exit_code == 1
    assert "$.meta.cmsTranslations.work" in result.stderr


def test_render_cv_in_a_locale(cms_de: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "cv.de.html"

    result = cms_de.invoke(app, ["render-cv", "--locale", "de", "--html", str(page)])

    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert '<html lang="de">' in html
    assert ">Berufserfahrung</h2>" in html and "Juni 2021" in html


def test_importing_the_default_document_keeps_the_translations_of_kept_entries(
    cms_de: CliRunner, tmp_path: Path
) -> None:
    source = write_document(tmp_path, _translated(_export(cms_de, "--locale", "de")), "de.json")
    assert cms_de.invoke(app, ["import", "--locale", "de", str(source), "--yes"]).exit_code == 0
    edited = full_document()
    edited["work"][0]["summary"] = "Leads the platform team and its on-call."
    edited["work"][1]["name"] = "Renamed Ltd"  # another entry now: no German texts to keep

    result = import_document(cms_de, tmp_path, edited, "--yes")

    assert result.exit_code == 0, result.output
    german = _export(cms_de, "--locale", "de")
    assert german["work"][0]["position"] == "Leitender Ingenieur"
    assert german["work"][0]["summary"] == "Leads the platform team and its on-call."
    assert german["basics"]["location"]["city"] == "Lissabon"
