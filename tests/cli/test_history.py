"""``cms history`` and ``cms revert``: the versions, and the CV as of one (confirmed, backed up)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from cms.cli import app
from tests.cli.helpers import import_document, state
from tests.content.documents import full_document


def _backups(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "backups").glob("cv-backup-*.json"))


def _two_versions(cms: CliRunner, tmp_path: Path) -> dict[str, object]:
    """Import the full document, then a smaller one; the first one's export."""
    assert import_document(cms, tmp_path, full_document(), "-y").exit_code == 0
    first = json.loads(cms.invoke(app, ["export", "--include-drafts"]).stdout)
    smaller = full_document()
    del smaller["work"][1]
    smaller["projects"].append({"name": "New", "slug": "new"})
    assert import_document(cms, tmp_path, smaller, "-y").exit_code == 0
    return first  # type: ignore[no-any-return]


def test_history_prints_version_time_who_and_summary(cms: CliRunner, tmp_path: Path) -> None:
    assert cms.invoke(app, ["history"]).stdout.strip() == "No content changes recorded yet."
    _two_versions(cms, tmp_path)

    lines = cms.invoke(app, ["history"]).stdout.splitlines()
    limited = cms.invoke(app, ["history", "--limit", "1"]).stdout.splitlines()

    assert len(lines) == 2 and limited == lines[:1]
    newest = lines[0].split("\t")
    assert newest[0] == "2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", newest[1])
    assert newest[2] == "cms import"
    # An import replaces rows (new ids on PostgreSQL, reused ones on SQLite): rows are counted.
    assert re.search(r"work: [^;]*removed", newest[3]) and re.search(
        r"projects: \d+ added", newest[3]
    )


def test_revert_needs_confirmation_and_a_dry_run_writes_nothing(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    _two_versions(cms, tmp_path)
    before, backups = state(database_url), _backups(tmp_path)

    unconfirmed = cms.invoke(app, ["revert", "1"])  # no terminal: no one to ask
    dry = cms.invoke(app, ["revert", "1", "--dry-run"])

    assert unconfirmed.exit_code == 1
    assert "needs confirmation: run on a terminal, or pass --yes" in unconfirmed.stderr
    assert dry.exit_code == 0, dry.output
    assert "work: 1 added" in dry.stdout and "projects: 1 removed" in dry.stdout
    assert "Dry run: nothing was written." in dry.stdout
    assert state(database_url) == before and _backups(tmp_path) == backups


def test_revert_backs_up_and_restores_the_cv_as_one_new_version(
    cms: CliRunner, tmp_path: Path
) -> None:
    first = _two_versions(cms, tmp_path)
    backups_before = _backups(tmp_path)

    done = cms.invoke(app, ["revert", "1", "--yes"])

    assert done.exit_code == 0, done.output
    assert "Backed up the previous CV to" in done.stdout
    assert re.search(r"Restored the CV as of version 1: \d+ row\(s\), now version 3\.", done.stdout)
    assert len(_backups(tmp_path)) == len(backups_before) + 1
    after = json.loads(cms.invoke(app, ["export", "--include-drafts"]).stdout)
    after.get("meta", {}).pop("lastModified", None)
    first.get("meta", {}).pop("lastModified", None)  # type: ignore[union-attr]
    assert after == first
    newest = cms.invoke(app, ["history", "--limit", "1"]).stdout.split("\t")
    assert newest[0] == "3" and newest[2] == "cms revert"
    again = cms.invoke(app, ["revert", "1", "--yes"])
    assert "already is as of version 1: nothing was written" in again.stdout


def test_revert_refuses_versions_it_cannot_know(cms: CliRunner, tmp_path: Path) -> None:
    _two_versions(cms, tmp_path)

    future = cms.invoke(app, ["revert", "9", "--yes"])

    assert future.exit_code == 1
    assert "Version 9 does not exist (the current version is 2)." in future.stderr
