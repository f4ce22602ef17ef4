"""The back office's "JSON Resume" page: upload → report and changes → confirm; downloads.

An upload is checked like ``cms import`` (problems refuse it, warnings keep values as written)
and compared with the CV: the page shows what would be added, changed and removed per section.
The confirmation lists every deletion per section (entries, drafts, uploaded images). Only a
second POST with the same document replaces the CV, in one transaction, audited, after the
same backup ``cms import`` writes (``BACKUP_DIR``), which the result page links. The published
CV and a full backup (drafts included) download as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqladmin import expose
from sqladmin.authentication import get_current_user_id
from starlette.datastructures import URL, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.pages import AppPage
from cms.content import transfer
from cms.content.jsonresume import (
    ResumeValidationError,
    check_resume,
    export_resume,
    load_document,
    render_resume,
)

__all__ = ["ResumeView"]

_TEMPLATE = "sqladmin/resume.html"


def _attachment(document: dict[str, Any], filename: str) -> Response:
    return Response(
        transfer.backup_bytes(document),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class ResumeView(AppPage):
    """Import a JSON Resume document in the browser; download the CV or a backup."""

    name = "JSON Resume"
    icon = "fa-solid fa-file-import"

    @expose("/json-resume", methods=["GET", "POST"], identity="json-resume")
    async def resume_page(self, request: Request) -> Response:
        """The upload form; on POST, the report (first step) or the replace (confirmed)."""
        if request.method == "GET":
            query = request.query_params
            download = query.get("download")
            if download in ("published", "backup"):
                return await self._download(download)
            if download == "previous":
                return self._previous(query.get("name", ""))
            done = {"imported": query.get("imported"), "backup": query.get("backup")}
            return await self._render(request, done)
        async with request.form() as form:  # closes the uploaded file's spool
            upload, text = form.get("document"), form.get("document_json")
            confirmed, allow_empty = form.get("confirm") == "yes", form.get("allow_empty") == "yes"
            if isinstance(upload, UploadFile):
                raw = await upload.read(self.settings.resume_max_bytes + 1)
            elif isinstance(text, str):
                raw = text.encode("utf-8")
            else:
                return await self._render(request, {"error": "Choose a JSON Resume file."}, 400)
        try:
            document = load_document(raw, max_bytes=self.settings.resume_max_bytes)
        except ResumeValidationError as exc:
            return await self._render(request, {"problems": exc.problems}, 400)
        checked = check_resume(document)
        empty = transfer.is_empty(checked.content)
        context: dict[str, Any] = {
            "problems": checked.problems,
            "warnings": checked.warnings,
            "empty": empty,
        }
        if checked.problems:
            return await self._render(request, context, 400)
        if confirmed and (allow_empty or not empty):
            return await self._replace(request, document)
        async with self.sessionmaker() as session:
            current = await transfer.current_document(session)
        new = render_resume(checked.content, include_drafts=True)
        context["changes"] = transfer.describe_changes(transfer.changes(current, new))
        context["deletions"] = transfer.describe_deletions(current, new)
        context["document_json"] = json.dumps(document, ensure_ascii=False)
        return await self._render(request, context)

    async def _download(self, kind: str) -> Response:
        """The published CV (what the API serves), or everything (a backup restore reads)."""
        async with self.sessionmaker() as session:
            if kind == "published":
                return _attachment(await export_resume(session), "resume.json")
            return _attachment(await transfer.current_document(session), "cv-backup.json")

    def _previous(self, name: str) -> Response:
        """A backup written before an import, by its file name."""
        data = transfer.read_backup(Path(self.settings.backup_dir), name)
        if data is None:
            return Response("No such backup.", status_code=404, media_type="text/plain")
        return Response(
            data,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _replace(self, request: Request, document: Any) -> Response:
        """Back up the CV as ``cms import`` does, then replace it, in one transaction."""
        actor = str(get_current_user_id(request) or "unknown")
        try:
            async with self.sessionmaker() as session, session.begin():
                backup, summary = await transfer.replace_with_backup(
                    session,
                    document,
                    backup_dir=Path(self.settings.backup_dir),
                    keep=self.settings.backup_retention,
                    actor=actor,
                )
        except transfer.BackupError as exc:
            error = f"{exc} (BACKUP_DIR): nothing was changed."
            return await self._render(request, {"error": error}, 500)
        url = URL(str(request.url_for("admin:view-json-resume")))
        url = url.include_query_params(imported=summary)
        if backup is not None:
            url = url.include_query_params(backup=backup.name)
        return RedirectResponse(url, status_code=303)

    async def _render(
        self, request: Request, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        context = {"title": self.name, "max_bytes": self.settings.resume_max_bytes, **context}
        response = await self.templates.TemplateResponse(request, _TEMPLATE, context)
        response.status_code = status_code
        return response
