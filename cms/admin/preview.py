""" "Preview on the site": a link from a record's form to the site's preview pages.

The site renders its preview pages on demand with a read-drafts token (the Astro example's
``/preview/`` routes, see ``examples/astro-site``), so a draft can be checked where it will
appear before it is published. Shown only when ``SITE_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from cms.content.models import Project
from cms.core.config import Settings

__all__ = ["preview_link", "preview_url"]


def preview_url(site_url: str, obj: Any) -> str:
    """The site's preview page for ``obj``: a project's own page, else the preview overview."""
    base = site_url.rstrip("/") + "/preview/"
    slug = getattr(obj, "slug", None) if isinstance(obj, Project) else None
    return f"{base}projects/{slug}/" if slug else base


def preview_link(settings: Settings) -> Callable[[Any], Markup]:
    """A template global: the "Preview on the site" link for a record, or nothing."""

    def link(obj: Any) -> Markup:
        if not settings.site_url or obj is None:
            return Markup("")
        return Markup(
            '<p class="cms-preview"><a href="{}" target="_blank" rel="noopener">'
            "Preview on the site</a> (drafts included)</p>"
        ).format(preview_url(settings.site_url, obj))

    return link
