"""Images in the back office: upload, preview, replace and remove an entry's image.

A section whose records have an image (:class:`cms.content.fields.Illustrated`: personal info,
projects) gets a plain ``<input type="file">`` next to its image URL and description fields
(no script needed); the edit page shows the current image with a "Remove" box. A save reads
the upload (at most ``MEDIA_MAX_BYTES``), processes it (:mod:`cms.media.processing`, in a
thread) and checks the form as any save does; a refused file is shown next to the field with
the reason, and nothing is written. An accepted one becomes ``media`` rows through the write
path (:func:`cms.content.write.new_images`), attached to the record and inserted in SQLAdmin's
own transaction (with S3, its bytes are uploaded just before). Replacing or removing an image
leaves the old one to the write rules, which delete it once nothing shows it; an upload also
clears the image URL the entry had, so the first save shows the new image.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar, NamedTuple

from markupsafe import Markup
from sqladmin import expose
from sqlalchemy import select
from sqlmodel import col
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from wtforms import FileField, Form
from wtforms.fields.core import UnboundField

from cms.admin.views import CMSModelView
from cms.content import write
from cms.core.db import engine_settings
from cms.media.image import ACCEPTED_FORMATS, ImageRefused, describe_size
from cms.media.models import MediaVariant
from cms.media.storage import read_variant

__all__ = [
    "REMOVE",
    "UPLOAD",
    "IllustratedView",
    "ImageUploadField",
    "Preview",
    "UploadedFile",
    "image_preview",
    "preview_formatter",
]

UPLOAD = "image_upload"
"""The form field of the file (also a class attribute of illustrated rows: SQLAdmin reads it)."""
REMOVE = "image_remove"
"""The check box asking to remove the current image."""

_MEDIA_ID = re.compile(r"[0-9a-f]{32}")
_ACCEPT = ",".join(f"image/{kind.lower()}" for kind in ACCEPTED_FORMATS)


class UploadedFile(NamedTuple):
    """What the file field received: the file's name and at most ``max_bytes + 1`` of it."""

    name: str
    content: bytes
    size: int | None
    """The whole file's size, as the request said."""


class Preview(NamedTuple):
    """The current image as the edit form shows it."""

    url: str
    alt: str


class ImageUploadWidget:
    """A file input, after the current image and a box to remove it when there is one."""

    def __call__(self, field: ImageUploadField, **kwargs: Any) -> Markup:
        classes = str(kwargs.pop("class_", kwargs.pop("class", "form-control")))
        invalid = " is-invalid" if "is-invalid" in classes.split() else ""
        parts = [Markup('<div class="cms-image{}">').format(invalid)]
        preview = field.preview
        if preview is not None:
            parts.append(
                Markup(
                    '<figure class="cms-image-current"><img class="cms-image-preview" src="{}" '
                    'alt="{}"><figcaption><label class="form-check">'
                    '<input class="form-check-input" type="checkbox" name="{}" value="1"> '
                    '<span class="form-check-label">Remove this image</span></label>'
                    "</figcaption></figure>"
                ).format(preview.url, preview.alt, REMOVE)
            )
        parts.append(
            Markup('<input type="file" class="{}" id="{}" name="{}" accept="{}">').format(
                classes, field.id, field.name, _ACCEPT
            )
        )
        parts.append(Markup("</div>"))
        return Markup("").join(parts)


class ImageUploadField(FileField):
    """The image file of a record; its data is an :class:`UploadedFile`, or ``None``."""

    widget = ImageUploadWidget()  # type: ignore[assignment]
    preview: Preview | None = None
    """Set by :func:`image_preview` on the edit page."""

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the file (one byte past the limit tells it is too big) and close it.

        SQLAdmin hands the request's own upload to the form and never closes it: read here,
        once, so the temporary file is closed whatever the save does next.
        """
        self.data = None
        for value in valuelist:
            if isinstance(value, UploadFile):
                try:
                    content = value.file.read(self.max_bytes + 1)
                finally:
                    value.file.close()
                if content or value.filename:
                    self.data = UploadedFile(value.filename or "", content, value.size)


def _preview_path(media_id: str) -> str:
    return f"image/{media_id}"


def image_preview(form: Form, obj: Any, request: Request) -> str:
    """Show ``obj``'s current image in the edit form (called by ``sqladmin/edit.html``)."""
    field = form[UPLOAD] if UPLOAD in form else None
    media_id = getattr(obj, "image_media_id", None)
    if isinstance(field, ImageUploadField) and media_id:
        identity = request.path_params["identity"]
        # The path only: the page never echoes the request's Host header back.
        url = request.url_for(f"admin:view-{identity}-image_file", media_id=media_id).path
        alt = obj.image_alt or "The current image"
        field.preview = Preview(url, alt)
    return ""


def preview_formatter(model: Any, _attribute: Any) -> Markup:
    """The details page's image: a small preview (a path relative to the details page)."""
    media_id = model.image_media_id
    if not media_id:
        return Markup("")
    return Markup('<img class="cms-image-preview" src="../{}" alt="{}">').format(
        _preview_path(media_id), model.image_alt or ""
    )


class IllustratedView(CMSModelView):
    """A view whose records have an image: the upload field, previews and the save of a file."""

    upload_help: ClassVar[str] = (
        "JPEG, PNG or WebP, at most {size}. Published as WebP in several sizes (up to 2560 px), "
        "without the file's metadata (camera, location). Leave empty to keep the current image."
    )

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """SQLAdmin's form plus the file field, right after the image's description."""
        form_class = await super().scaffold_form(rules)
        max_bytes = engine_settings(self._bind()).media_max_bytes
        upload = ImageUploadField(
            "Image file",
            description=self.upload_help.format(size=describe_size(max_bytes)),
            max_bytes=max_bytes,
        )
        alt = getattr(form_class, "image_alt", None)
        if isinstance(alt, UnboundField):  # same place, name after "image_alt": right after it
            upload.creation_counter = alt.creation_counter
        setattr(form_class, UPLOAD, upload)
        return form_class

    def _bind(self) -> Any:
        return self.session_maker.kw.get("bind")  # type: ignore[union-attr]

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Process an upload, then check and stage the save as any save (see module doc)."""
        upload = data.pop(UPLOAD, None)
        remove = bool((await request.form()).get(REMOVE))
        settings = engine_settings(self._bind())
        processed = None
        refusal: str | None = None
        if isinstance(upload, UploadedFile):
            from cms.media.processing import process_image  # Pillow: loaded by the first upload

            try:
                processed = await asyncio.to_thread(
                    process_image,
                    upload.content,
                    name=upload.name,
                    size=upload.size,
                    max_bytes=settings.media_max_bytes,
                    max_pixels=settings.media_max_pixels,
                    max_webp_pixels=settings.media_max_webp_pixels,
                )
            except ImageRefused as exc:
                refusal = str(exc)
        current = None if is_created else model.image_media_id
        data["image_media_id"] = processed.id if processed else None if remove else current
        if processed is not None:
            # The upload replaces the image the entry showed, given as a URL too.
            data[self.model.image_url_field] = None
        try:
            await super().on_model_change(data, model, is_created, request)
        except write.WriteError as exc:
            if refusal is None and processed is None:
                raise
            # A browser never sends a file again by itself: say so next to the field.
            again = "The image is fine: choose it again once the other fields are fixed."
            problems = {**exc.problems, UPLOAD: [refusal or again]}
            request.state.write_problems = problems
            raise write.WriteError(problems) from None
        if refusal is not None:
            request.state.write_problems = {UPLOAD: [refusal]}
            raise write.WriteError({UPLOAD: [refusal]})
        if processed is not None:
            async with self.session_maker() as lookup:
                rows = await write.new_images(lookup, [processed])
            if rows:  # new to the database: inserted with the record, in its transaction
                model.image_media = rows[0]

    @expose("/image/{media_id}", methods=["GET"])
    async def image_file(self, request: Request) -> Response:
        """The smallest variant of an image, for previews (drafts' images too; owner only)."""
        media_id = str(request.path_params["media_id"])
        if not _MEDIA_ID.fullmatch(media_id):
            raise HTTPException(status_code=404, detail="No such image.")
        async with self.session_maker() as session:
            statement = (
                select(col(MediaVariant.name))
                .where(col(MediaVariant.media_id) == media_id)
                .order_by(col(MediaVariant.width))
                .limit(1)
            )
            name = await session.scalar(statement)
            data = None if name is None else await read_variant(session, media_id, name)
        if data is None:
            raise HTTPException(status_code=404, detail="No such image.")
        headers = {
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(data, media_type="image/webp", headers=headers)
