"""The ``cms`` command's content commands: seed, import, export (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cms.cli import app
from cms.content.seeding import SEED_DIR
from cms.core.config import get_settings
from tests.cli.helpers import import_document, state, write_document
from tests.content.documents import full_document, without_last_modified

UNREACHABLE = "postgresql://x@127.0.0.1:1/x"
REPOSITORY = Path(__file__).resolve().parents[2]


def test_import_then_export_to_stdout_and_file(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    source = write_document(tmp_path, full_document())

    imported = cms.invoke(app, ["import", str(source), "--yes"])
    to_stdout = cms.invoke(app, ["export"])
    to_file = cms.invoke(app, ["export", str(tmp_path / "out.json")])

    assert imported.exit_code == 0, imported.output
    last = imported.stdout.splitlines()[-1]
    assert last.startswith(f"Imported {source}: 1 basics, 2 profiles, 2 work")
    assert to_stdout.exit_code == 0
    assert without_last_modified(json.loads(to_stdout.stdout)) == without_last_modified(
        full_document()
    )
    assert to_file.exit_code == 0
    assert to_file.stdout == ""
    assert "Exported the CV to" in to_file.stderr
    written = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert without_last_modified(written) == without_last_modified(full_document())


def test_import_of_an_invalid_document_lists_problems_and_writes_nothing(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    before = state(database_url)
    document = full_document()
    document["work"][1]["startDate"] = "2018-02-30"
    document["skills"][0]["rating"] = "5"

    result = cms.invoke(
        app, ["import", str(write_document(tmp_path, document, "bad.json")), "--yes"]
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "$.work[1].startDate: '2018-02-30' is not a real date (day is out of range for month)",
        "$.skills[0].rating: '5' is not of type 'integer'",
        f"{tmp_path / 'bad.json'}: 2 problem(s); nothing was written.",
    ]
    assert state(database_url) == before


def test_import_of_a_file_that_is_not_json(cms: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "cv.yaml"
    path.write_text("basics:\n  name: Ada\n", encoding="utf-8")

    result = cms.invoke(app, ["import", str(path)])

    assert result.exit_code == 1
    assert f"{path}: not valid JSON" in result.stderr
    assert "Traceback" not in result.output


def test_import_of_a_missing_file(cms: CliRunner, tmp_path: Path) -> None:
    result = cms.invoke(app, ["import", str(tmp_path / "nope.json")])

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_seed_twice_leaves_the_same_rows(cms: CliRunner, database_url: str) -> None:
    first = cms.invoke(app, ["seed"])
    after_first = state(database_url)
    second = cms.invoke(app, ["seed"])

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"Seeded from {SEED_DIR / 'resume.json'}: 1 basics,")
    assert "12 work" in first.stdout and "(3 drafts)" in first.stdout
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("No changes: the database already holds the seed")
    # Same ids, same content, same timestamps, and no new content version.
    assert state(database_url) == after_first
    assert after_first["version"] >= 1
    exported = json.loads(cms.invoke(app, ["export"]).stdout)
    assert exported["basics"]["name"] == "Ada Quill"


def test_seed_keeps_a_different_cv_unless_forced(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    before = state(database_url)

    kept = cms.invoke(app, ["seed"])
    after_kept = state(database_url)
    forced = cms.invoke(app, ["seed", "--force"])

    assert kept.exit_code == 0
    assert "differs from the seed" in kept.stdout and "cms seed --force" in kept.stdout
    assert after_kept == before
    assert forced.exit_code == 0
    assert forced.stdout.startswith("Seeded from")
    seeded = json.loads((SEED_DIR / "resume.json").read_text(encoding="utf-8"))
    exported = json.loads(cms.invoke(app, ["export"]).stdout)
    assert exported["basics"] == seeded["basics"]


def test_seed_from_a_folder_without_a_seed(cms: CliRunner, tmp_path: Path) -> None:
    result = cms.invoke(app, ["seed", str(tmp_path)])

    assert result.exit_code == 1
    assert f"No seed found: {tmp_path / 'resume.json'} does not exist." in result.stderr


def test_seed_that_is_invalid(cms: CliRunner, database_url: str, tmp_path: Path) -> None:
    before = state(database_url)
    write_document(
        tmp_path,
        {"basics": {"name": "X"}, "work": [{"name": "Y", "endDate": "soon"}]},
        "resume.json",
    )

    result = cms.invoke(app, ["seed", str(tmp_path)])

    assert result.exit_code == 1
    assert "$.work[0].endDate: 'soon' is not a date in the form" in result.stderr
    assert "The seed has 1 problem(s); nothing was written." in result.stderr
    assert state(database_url) == before


@pytest.mark.parametrize("command", [["export"], ["seed"], ["import", "{file}"]])
def test_unreachable_database_gives_a_clear_message(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("DATABASE_TIMEOUT", "2")
    get_settings.cache_clear()
    source = write_document(tmp_path, full_document())
    try:
        result = CliRunner().invoke(app, [arg.format(file=source) for arg in command])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no uncaught exception
    assert result.stderr.startswith("Cannot reach the database: ")
    assert "Traceback" not in result.output


def test_unreachable_database_from_a_real_shell(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": UNREACHABLE,
        "DATABASE_TIMEOUT": "2",
        "PYTHONPATH": str(REPOSITORY),
    }
    result = subprocess.run(
        [sys.executable, "-c", "from cms.cli import app; app()", "export"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["export"], ["db", "upgrade"], ["rebuild"], ["list-admins"]])
def test_invalid_settings_give_a_clear_message_without_the_secret(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "never.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ENVIRONMENT", "prod")
    monkeypatch.setenv("SECRET_KEY", "too-short-but-secret")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, command)
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no uncaught exception
    assert result.stderr.startswith("Invalid settings: ")
    assert "SECRET_KEY must be set to a random value of at least 32 characters" in result.stderr
    assert "too-short-but-secret" not in result.output
    assert not database.exists()


def test_database_errors_of_rebuild_give_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database nobody has migrated: the rebuild's first query fails.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unmigrated.db'}")
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["rebuild"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no uncaught exception
    assert result.stderr.startswith("Database error: no such table: ")
    assert "SELECT" not in result.output
