"""Imports that cannot lose a CV: change summaries, confirmation, backups, restore, limits."""

from __future__ import annotations

import json
import stat
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
    # A message that says "kept as written" already is not told so twice.
    assert "warning: $.basics.image: Empty: kept as written (themes read it as no value).\n" in (
        imported.stderr
    )
    assert "(kept as written). (kept as written)" not in imported.stderr
    exported = json.loads(cms.invoke(app, ["export"]).stdout)
    assert exported["projects"][0]["url"] == "missdirection.example.com"
    assert exported["basics"]["image"] == ""


def test_importing_into_an_empty_cv_needs_no_confirmation(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    path = write_document(tmp_path, full_document())

    imported = cms.invoke(app, ["import", str(path)])  # no terminal, no --yes: nothing to replace

    assert imported.exit_code == 0, imported.output
    assert "Imported" in imported.stdout
    smaller = full_document()
    del smaller["work"][1]
    again = cms.invoke(app, ["import", str(write_document(tmp_path, smaller, "smaller.json"))])
    assert again.exit_code == 1  # this one removes an entry: it asks
    assert "needs confirmation" in again.stderr


def test_odd_json_and_script_links_are_refused_with_their_paths(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    before = state(database_url)
    nul = tmp_path / "nul.json"
    nul.write_text('{"basics": {"name": "A"}, "work": [{"name": "Acme\\u0000"}]}')
    deep = tmp_path / "deep.json"
    deep.write_text('{"basics": {"name": "A", "x": ' + "[" * 1000 + "]" * 1000 + "}}")
    script = full_document()
    script["basics"]["profiles"][0]["url"] = "JaVaScRiPt:alert(1)"

    refused = {
        "nul": cms.invoke(app, ["import", str(nul), "--yes"]),
        "deep": cms.invoke(app, ["import", str(deep), "--yes"]),
        "script": import_document(cms, tmp_path, script, "--yes"),
    }

    assert {name: result.exit_code for name, result in refused.items()} == {
        "nul": 1,
        "deep": 1,
        "script": 1,
    }
    assert refused["nul"].stderr.splitlines() == [
        "$.work[0].name: contains a NUL character (\\u0000), which cannot be stored",
        f"{nul}: 1 problem(s); nothing was written.",
    ]
    assert "$.basics.x[0][0]" in refused["deep"].stderr
    assert "nested deeper than 32 levels" in refused["deep"].stderr
    assert (
        "$.basics.profiles[0].url: Links with the javascript: scheme are not allowed: use https, "
        "http, mailto or tel." in refused["script"].stderr
    )
    assert state(database_url) == before


def test_backups_are_private_pruned_and_a_failed_one_writes_nothing(
    cms: CliRunner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKUP_RETENTION", "2")
    get_settings.cache_clear()
    for number in range(4):
        document = full_document()
        document["basics"]["name"] = f"Ada {number}"
        assert import_document(cms, tmp_path, document, "--yes").exit_code == 0

    backups = _backups(tmp_path)
    # Imports 1–3 backed up the CVs of imports 0–2 (the first found none); the newest 2 stay.
    names = {json.loads(path.read_text(encoding="utf-8"))["basics"]["name"] for path in backups}
    assert (len(backups), names) == (2, {"Ada 1", "Ada 2"})
    assert {path.stat().st_mode & 0o777 for path in backups} == {0o600}
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700

    (tmp_path / "in-the-way").write_text("a file, not a directory")
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "in-the-way" / "backups"))
    get_settings.cache_clear()
    before = state(database_url)

    failed = import_document(cms, tmp_path, full_document(), "--yes")

    assert failed.exit_code == 1
    assert f"Cannot write a backup to {tmp_path / 'in-the-way' / 'backups'}: " in failed.stderr
    assert "(BACKUP_DIR); nothing was written." in failed.stderr
    assert "Cannot reach the database" not in failed.stderr
    assert state(database_url) == before


def test_cms_backup_writes_a_file_only_its_owner_can_read(cms: CliRunner, tmp_path: Path) -> None:
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    fresh, existing = tmp_path / "fresh.json", tmp_path / "existing.json"
    existing.write_text("old")
    existing.chmod(0o644)

    for target in (fresh, existing):
        assert cms.invoke(app, ["backup", str(target)]).exit_code == 0

    for target in (fresh, existing):
        assert stat.S_IMODE(target.stat().st_mode) == 0o600, target
        assert json.loads(target.read_bytes())["basics"]["name"]
