"""``PUT /api/v1/resume``: replace the CV from CI with a ``write-resume`` token.

The import rules of ``cms import`` apply: the document is checked (problems refuse it, values
kept as written come back as warnings), an empty document needs ``?allow_empty=true``, and the
current CV is backed up before the new one replaces it, all in one transaction. ``If-Match``
with the ETag of the current ``/api/v1/resume`` guards against overwriting a newer edit (412):
the check locks the content version it names until the write commits, so of concurrent PUTs
with one ETag one writes and the others get 412. ``?locale=de`` writes only the texts of that
locale (the translator's import, :mod:`cms.content.translating`); ``If-Match`` then names the
ETag of ``/api/v1/resume?locale=de``. ``?dry_run=true`` answers the changes without
writing. A body over ``RESUME_MAX_BYTES`` is refused with 413 before it is read
(:mod:`cms.core.bodylimit`). Without a token the read path answers 405, as for any write to
the public API.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlmodel import col

from cms.content import transfer
from cms.content.jsonresume import check_resume, render_resume
from cms.content.resume_schema import Problem, ResumeValidationError, load_document
from cms.content.translating import import_translation
from cms.core.db import current_content_version
from cms.core.deps import SessionDep
from cms.core.errors import ErrorResponse
from cms.core.etags import if_none_match
from cms.core.jsonerror import error_response
from cms.core.locales import Locales
from cms.core.models import ContentVersion, StoredResponse
from cms.core.tokenhash import WRITE_RESUME
from cms.public.openapi import RESUME_BODY, TOKEN, WRITE_RESPONSES
from cms.public.preview import NO_STORE, require_token

__all__ = ["RESUME", "ResumeSyncResult", "router"]

RESUME = "/api/v1/resume"
_BACKUP_FAILED = "The current CV could not be backed up to BACKUP_DIR; nothing was written"

logger = logging.getLogger(__name__)

router = APIRouter(tags=["resume"])


class ResumeSyncResult(BaseModel):
    """What a ``PUT /api/v1/resume`` did, or (dry run) would do."""

    written: bool
    changes: list[str]
    """Added, changed and removed entries per section."""
    warnings: list[dict[str, str]]
    """Values kept as written although the JSON Resume schema would refuse them."""
    backup: str | None = None
    """The file the previous CV was backed up to (``BACKUP_DIR``)."""
    etag: str | None = None
    """The ETag of ``/api/v1/resume`` after the write."""


async def _etag(session: SessionDep, version: int, locale: str) -> str | None:
    statement = select(col(StoredResponse.etag)).where(
        col(StoredResponse.path) == RESUME,
        col(StoredResponse.locale) == locale,
        col(StoredResponse.version) == version,
    )
    etag: str | None = await session.scalar(statement)
    return etag


async def _current_etag(session: SessionDep, locale: str) -> str | None:
    return await _etag(session, await current_content_version(session), locale)


async def _matches(session: SessionDep, if_match: str, locale: str, *, lock: bool) -> bool:
    """Whether ``If-Match`` names the current CV; with ``lock``, it stays current until commit.

    The lock is an update of the content version row on condition that it still holds the
    version checked: another transaction's update waits for ours (a row lock on PostgreSQL,
    the write lock on SQLite), then finds the version moved and changes nothing.
    """
    version = await current_content_version(session)
    if not if_none_match(if_match, await _etag(session, version, locale) or ""):
        return False
    if not lock:
        return True
    claimed = await session.execute(
        update(ContentVersion)
        .where(col(ContentVersion.id) == 1, col(ContentVersion.version) == version)
        .values(version=col(ContentVersion.version), updated_at=col(ContentVersion.updated_at))
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _problem(problem: Problem) -> dict[str, str]:
    return {"path": problem.path, "message": problem.message}


def _refused(message: str, problems: list[Problem]) -> JSONResponse:
    details = [_problem(problem) for problem in problems]
    return error_response(422, message, details=details, headers={"Cache-Control": NO_STORE})


@router.put(
    RESUME,
    response_model=ResumeSyncResult,
    operation_id="put_resume",
    summary="Replace the CV with a JSON Resume document",
    responses=WRITE_RESPONSES
    | {
        401: {"model": ErrorResponse, "description": "No valid write-resume token"},
        404: {"model": ErrorResponse, "description": "`?locale=` names no locale of the CV"},
        412: {"model": ErrorResponse, "description": "If-Match names an older CV"},
        422: {"model": ErrorResponse, "description": "Not a JSON Resume document"},
    },
    dependencies=TOKEN,
    openapi_extra={"requestBody": RESUME_BODY},
)
async def put_resume(
    request: Request,
    session: SessionDep,
    dry_run: Annotated[bool, Query(description="Answer the changes; write nothing.")] = False,
    allow_empty: Annotated[bool, Query(description="Accept a document with no CV.")] = False,
    if_match: Annotated[str | None, Header(description="The ETag of /api/v1/resume")] = None,
    locale: Annotated[
        str | None,
        Query(
            description="The document is the CV in this locale (not the default): only its "
            "texts are written, entries matched by position; its structure must be the CV's."
        ),
    ] = None,
) -> JSONResponse:
    """Replace the CV with a JSON Resume document (import rules, backup first), or write its
    texts in one locale."""
    actor = await require_token(request, session, WRITE_RESUME)
    settings = request.app.state.settings
    locales = Locales(settings.locales)
    tag = locales.find(locale)
    if tag is None:
        assert locale is not None
        return error_response(404, locales.unknown(locale), details=locales.unknown_details(locale))
    try:
        document = load_document(await request.body(), max_bytes=settings.resume_max_bytes)
    except ResumeValidationError as exc:
        return _refused("Not a JSON document; nothing was written", exc.problems)
    if tag != locales.default:
        if if_match is not None and not await _matches(session, if_match, tag, lock=not dry_run):
            raise HTTPException(412, "The CV changed since that ETag; fetch it again")
        return await _put_translation(session, document, tag, actor=actor, dry_run=dry_run)
    checked = check_resume(document)
    warnings = [_problem(warning) for warning in checked.warnings]
    if checked.problems:
        return _refused("Not a valid JSON Resume document; nothing was written", checked.problems)
    if transfer.is_empty(checked.content) and not allow_empty:
        raise HTTPException(422, "The document holds no CV (?allow_empty=true empties the CV)")
    current = await transfer.current_document(session)
    found = transfer.changes(current, render_resume(checked.content, include_drafts=True))
    result = ResumeSyncResult(
        written=False, changes=transfer.describe_changes(found), warnings=warnings
    )
    if if_match is not None and not await _matches(session, if_match, tag, lock=not dry_run):
        raise HTTPException(412, "The CV changed since that ETag; fetch it again")
    if not dry_run:  # the check above and the write: one transaction
        try:
            backup, _ = await transfer.replace_with_backup(
                session,
                document,
                backup_dir=Path(settings.backup_dir),
                keep=settings.backup_retention,
                actor=f"token {actor}",
            )
        except transfer.BackupError as exc:  # the server's setup, not the database: no 503
            logger.error("resume sync refused: %s", exc)
            raise HTTPException(500, _BACKUP_FAILED) from None
        await session.commit()
        result.written, result.backup = True, None if backup is None else backup.name
        result.etag = await _current_etag(session, tag)
    return JSONResponse(result.model_dump(), headers={"Cache-Control": NO_STORE})


async def _put_translation(
    session: SessionDep, document: object, tag: str, *, actor: str, dry_run: bool
) -> JSONResponse:
    """``?locale=``: the translator's import (:mod:`cms.content.translating`)."""
    try:
        found = await import_translation(
            session, document, tag, actor=f"token {actor}", write=not dry_run
        )
    except ResumeValidationError as exc:
        return _refused(f"Not the CV in {tag}; nothing was written", exc.problems)
    result = ResumeSyncResult(written=False, changes=found.describe(), warnings=[])
    if not dry_run:
        await session.commit()
        result.written = bool(found.writes)
        result.etag = await _current_etag(session, tag)
    return JSONResponse(result.model_dump(), headers={"Cache-Control": NO_STORE})
