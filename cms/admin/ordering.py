"""Dragging list rows into order: what a list page needs, and what a reorder request sends.

The write itself is :func:`cms.content.write.reorder`; the endpoint is
:meth:`cms.admin.views.EntryView.reorder`; the page's script is ``static/ordering.js``.
"""

from __future__ import annotations

from typing import NamedTuple

from starlette.requests import Request

__all__ = ["NOT_NARROWING", "Ordering", "ids_sent", "in_own_order"]


class Ordering(NamedTuple):
    """What a list page needs to let its rows be dragged into order (``sqladmin/list.html``)."""

    url: str
    """Where the new order is POSTed."""
    own_order_url: str | None = None
    """The list back in its own order, when it is sorted by another column (dragging is off)."""
    subset: bool = False
    """A search or a filter hides some entries (they keep their places)."""


NOT_NARROWING = frozenset({"sortBy", "sort", "page", "pageSize", "outcome", "error"})
"""Query parameters that do not hide entries from a list."""


def in_own_order(request: Request) -> bool:
    """Whether the list shows its public order (no column picked, or the order ascending)."""
    sort_by = request.query_params.get("sortBy") or "sort_order"
    return sort_by == "sort_order" and request.query_params.get("sort") != "desc"


async def ids_sent(request: Request) -> list[int]:
    """The ids of a reorder request, in order; :class:`ValueError` says what is wrong."""
    not_ids = "Not reordered: every id must be a whole number."
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ValueError("Not reordered: the body is not valid JSON.") from None
        sent = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(sent, list):
            raise ValueError('Not reordered: send {"ids": [...]}, the ids in their new order.')
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in sent):
            raise ValueError(not_ids)
        return sent
    values = (await request.form()).getlist("ids")
    if not values or not all(isinstance(value, str) for value in values):
        raise ValueError("Not reordered: send the field ids, the ids in their new order.")
    parts = [part.strip() for value in values for part in str(value).split(",") if part.strip()]
    try:
        return [int(part) for part in parts]
    except ValueError:
        raise ValueError(not_ids) from None
