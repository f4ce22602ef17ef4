"""``cms seed``: load the sample CV from ``seed/``, idempotently.

The seed is one JSON Resume document with our extensions (``seed/resume.json``), so seeding is
an import, with two differences:

* It compares first: the database's CV, drafts included, is rendered exactly as the seed
  would be after an import. When they are equal nothing is written, so a second run keeps
  every row, id and the content version as they are.
* It leaves a different CV alone (edited in the admin, or imported) unless ``force=True``:
  seeding a production database by mistake, or ``cms dev`` after the owner edited the CV,
  must not wipe it. The report says so.

Comparing whole documents instead of upserting by natural keys keeps one code path for
writes (:func:`cms.content.write.replace_cv`) and makes "the database equals the seed" exact.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from cms.content import write
from cms.content.jsonresume import parse_resume, render_resume
from cms.content.read import load_cv

__all__ = [
    "SEED_DIR",
    "SEED_FILE",
    "SeedError",
    "SeedReport",
    "SeedStatus",
    "seed_database",
]

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
"""The repository's ``seed/`` folder."""

SEED_FILE = "resume.json"
"""The seed document inside a seed folder."""

SEED_ACTOR = "cms seed"
"""Who the audit log says wrote the seed."""


class SeedError(Exception):
    """The seed cannot be loaded (missing or unreadable file)."""


class SeedStatus(enum.StrEnum):
    """The outcome of a seed run."""

    loaded = "loaded"
    unchanged = "unchanged"
    kept = "kept"
    """The database holds a different CV, left as it was (no ``force``)."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What a seed run did."""

    source: Path
    status: SeedStatus
    summary: str
    """What the seed holds, e.g. ``"1 basics, 12 work, ..."``."""

    def __str__(self) -> str:
        if self.status is SeedStatus.unchanged:
            return f"No changes: the database already holds the seed {self.source}."
        if self.status is SeedStatus.kept:
            return (
                f"No changes: the database holds a CV that differs from the seed {self.source}, "
                "so it was kept. To replace it, back it up with `cms backup FILE` (drafts "
                "included), then run `cms seed --force`."
            )
        return f"Seeded from {self.source}: {self.summary}."


def _read_seed(directory: Path) -> tuple[Path, object]:
    path = directory / SEED_FILE
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(f"No seed found: {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SeedError(f"Cannot read the seed {path}: {exc}") from None


async def seed_database(
    session: AsyncSession, directory: Path, *, force: bool = False
) -> SeedReport:
    """Load the seed in ``directory`` into an empty database (or any database with ``force``).

    Writes nothing when the database already holds the seed. Raises :class:`SeedError` for a
    missing or unreadable seed and :class:`~cms.content.jsonresume.ResumeValidationError` for an
    invalid one.
    """
    path, document = _read_seed(directory)
    content = parse_resume(document)
    wanted = render_resume(content, include_drafts=True)
    current = render_resume(await load_cv(session, include_drafts=True), include_drafts=True)
    if current == wanted:
        return SeedReport(source=path, status=SeedStatus.unchanged, summary=content.summary())
    if current and not force:
        return SeedReport(source=path, status=SeedStatus.kept, summary=content.summary())
    await write.replace_cv(session, content=content, actor=SEED_ACTOR)
    return SeedReport(source=path, status=SeedStatus.loaded, summary=content.summary())
