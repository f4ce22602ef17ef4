"""The SAM template's settings for a function whose only writable place is ``/tmp``."""

from __future__ import annotations

import re
from pathlib import Path

from cms.core.config import Settings

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def _variables() -> dict[str, str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    block = text.split("        Variables:\n", 1)[1]
    found = re.findall(r"^          ([A-Z_]+): (.+)$", block, flags=re.MULTILINE)
    return {name: value.strip().strip('"') for name, value in found}


def test_backups_go_to_tmp_and_are_pruned() -> None:
    variables = _variables()

    assert variables["BACKUP_DIR"].startswith("/tmp/")
    settings = Settings(backup_retention=variables["BACKUP_RETENTION"])  # type: ignore[arg-type]
    assert 1 <= settings.backup_retention <= 20
