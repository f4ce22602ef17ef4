"""Imports that cannot lose a CV: change summaries, confirmation, backups, restore, limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cms.cli import app
from cms.core.config import get_settings
from tests.cli.helpers import import_document, state, write_document
from tests.content.documents import SCHEMA_COPY, full_document


def _backups(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "backups").glob("cv-backup-*.json"))


def test_an_empty_document_needs_allow_empty(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    before = state(database_url)
    empty = write_document(tmp_path, {}, "empty.json")

    refused = cms.invoke(app, ["import", str(empty), "--yes"])

    assert refused.exit_code == 1
    assert "holds no CV; nothing was written (--allow-empty empties the CV)" in refused.stderr
    assert state(database_url) == before

    emptied = cms.invoke(app, ["import", str(empty), "--yes", "--allow-empty"])
    assert emptied.exit_code == 0, emptied.output
    assert json.loads(cms.invoke(app, ["export"]).stdout) == {}


def test_replacing_needs_confirmation_and_a_dry_run_writes_nothing(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    before = state(database_url)
    smaller = full_document()
    del smaller["work"][1]
    smaller["skills"][0]["rating"] = 3
    smaller["projects"].append({"name": "New", "slug": "new"})
    path = write_document(tmp_path, smaller, "smaller.json")

    unconfirmed = cms.invoke(app, ["import", str(path)])  # no terminal: no one to ask
    dry = cms.invoke(app, ["import", str(path), "--dry-run"])

    assert unconfirmed.exit_code == 1
    assert "needs confirmation: run on a terminal, or pass --yes" in unconfirmed.stderr
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "  work: 1 removed",
        "  skills: 1 changed",
        "  projects: 1 added",
        "Dry run: nothing was written.",
    ]
    assert state(database_url) == before
    assert _backups(tmp_path) == []


def test_an_import_backs_up_the_cv_it_replaces(cms: CliRunner, tmp_path: Path) -> None:
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    before = cms.invoke(app, ["backup", str(tmp_path / "before.json")])
    assert before.exit_code == 0, before.output

    other = write_document(tmp_path, {"basics": {"name": "B"}}, "other.json")
    replaced = cms.invoke(app, ["import", str(other), "-y"])

    assert replaced.exit_code == 0, replaced.output
    (backup,) = _backups(tmp_path)
    assert f"Backed up the previous CV to {backup}." in replaced.stdout
    assert backup.read_bytes() == (tmp_path / "before.json").read_bytes()


def test_backup_restore_backup_gives_the_same_bytes(cms: CliRunner, tmp_path: Path) -> None:
    document = full_document()
    document["work"][0]["published"] = False  # drafts travel too
    document["projects"][0]["url"] = "cms.example.com"  # and values kept as written
    assert import_document(cms, tmp_path, document, "-y").exit_code == 0
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert cms.invoke(app, ["backup", str(first)]).exit_code == 0
    empty = write_document(tmp_path, {}, "empty.json")
    assert cms.invoke(app, ["import", str(empty), "-y", "--allow-empty"]).exit_code == 0
    assert json.loads(cms.invoke(app, ["export"]).stdout) == {}

    restored = cms.invoke(app, ["restore", str(first)])
    assert cms.invoke(app, ["backup", str(second)]).exit_code == 0

    assert restored.exit_code == 0, restored.output
    assert restored.stdout.startswith(f"Restored {first}: 1 basics")
    assert second.read_bytes() == first.read_bytes()
    backed_up = json.loads(first.read_text(encoding="utf-8"))
    assert backed_up["work"][0]["published"] is False
    assert backed_up["projects"][0]["url"] == "cms.example.com"


def test_export_with_drafts(cms: CliRunner, tmp_path: Path) -> None:
    document = full_document()
    document["skills"][1]["published"] = False
    assert import_document(cms, tmp_path, document, "-y").exit_code == 0

    public = json.loads(cms.invoke(app, ["export"]).stdout)
    everything = json.loads(cms.invoke(app, ["export", "--include-drafts"]).stdout)

    assert [s["name"] for s in public["skills"]] == ["Python"]
    assert everything["skills"][1] == document["skills"][1]


def test_an_oversize_document_is_refused(
    cms: CliRunner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESUME_MAX_BYTES", "1000")
    get_settings.cache_clear()
    before = state(database_url)
    big = full_document()
    big["basics"]["summary"] = "x" * 2000

    refused = cms.invoke(app, ["import", str(write_document(tmp_path, big)), "--yes"])

    assert refused.exit_code == 1
    assert "at most 1,000 bytes are accepted (RESUME_MAX_BYTES); nothing was written." in (
        refused.stderr
    )
    assert state(database_url) == before


def test_a_summary_longer_than_the_admin_allows_is_refused(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    before = state(database_url)
    long = full_document()
    long["basics"]["summary"] = "x" * 10_001

    refused = cms.invoke(app, ["import", str(write_document(tmp_path, long)), "--yes"])

    assert refused.exit_code == 1
    assert "$.basics.summary: String should have at most 10000 characters." in refused.stderr
    assert state(database_url) == before


def test_the_official_sample_imports_with_warnings(cms: CliRunner, tmp_path: Path) -> None:
    sample = SCHEMA_COPY.parent / "sample.resume.json"

    imported = cms.invoke(app, ["import", str(sample), "--yes"])

    assert imported.exit_code == 0, imported.output
    assert (
        "warning: $.projects[0].url: Must be an absolute http(s) URL, e.g. https://example.com. "
        "(kept as written)" in imported.stderr
    )
    exported = json.loads(cms.invoke(app, ["export"]).stdout)
    assert exported["projects"][0]["url"] == "missdirection.example.com"
    assert exported["basics"]["image"] == ""
