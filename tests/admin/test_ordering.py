"""Reordering a list from the back office: ``POST /admin/<section>/reorder`` and the list page.

The new order is what the public API serves, in one transaction with one content version and
an audit entry per moved row; an order that changes nothing, a malformed request and a GET
write nothing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Project, Work
from cms.content.session import make_sessionmaker
from tests.admin.helpers import OWNER, audit_entries, content_version


async def _projects(engine: AsyncEngine, *orders: int) -> list[int]:
    """Published projects named P0, P1, … with these sort orders; their ids."""
    async with make_sessionmaker(engine)() as session, session.begin():
        rows = [
            Project(name=f"P{n}", slug=f"p{n}", sort_order=order, is_published=True)
            for n, order in enumerate(orders)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows if row.id is not None]


async def _public_ids(client: httpx.AsyncClient, path: str = "/api/v1/projects") -> list[int]:
    response = await client.get(path)
    assert response.status_code == 200
    return [item["id"] for item in response.json()]


async def _sort_orders(engine: AsyncEngine, table: Any) -> dict[int, int]:
    async with make_sessionmaker(engine)() as session:
        rows = (await session.scalars(select(table))).all()
        return {row.id: row.sort_order for row in rows}


async def test_reorder_is_the_public_order_in_one_version(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second, third = await _projects(engine, 0, 0, 0)
    # Equal orders: the newest comes first.
    assert await _public_ids(admin_client) == [third, second, first]
    version = await content_version(engine)
    entries = len(await audit_entries(engine))

    response = await admin_client.post(
        "/admin/project/reorder", json={"ids": [first, third, second]}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "changed": 2,
        "message": "Order saved.",
        "sort_orders": {str(third): 1, str(second): 2},
    }
    assert await _public_ids(admin_client) == [first, third, second]
    assert await content_version(engine) == version + 1
    # Tied values become 0, 1, 2 in the new order; only the rows whose number moved are audited.
    assert await _sort_orders(engine, Project) == {first: 0, third: 1, second: 2}
    audited = (await audit_entries(engine))[entries:]
    assert sorted((e.record_id, e.action, e.username, e.changes) for e in audited) == sorted(
        [
            (str(third), "update", OWNER, {"sort_order": [0, 1]}),
            (str(second), "update", OWNER, {"sort_order": [0, 2]}),
        ]
    )


async def test_distinct_numbers_are_traded_and_other_rows_keep_theirs(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The owner numbered by tens; the list shows the first three (a form post, ids in one field).
    first, second, third, hidden = await _projects(engine, 10, 20, 30, 40)

    response = await admin_client.post(
        "/admin/project/reorder", data={"ids": f"{third},{first},{second}"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == 3
    orders = await _sort_orders(engine, Project)
    assert orders == {third: 10, first: 20, second: 30, hidden: 40}
    assert await _public_ids(admin_client) == [third, first, second, hidden]


async def test_rows_not_shown_keep_their_places(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # Tied jobs ordered by start date; a search shows two of them, which trade places.
    async with make_sessionmaker(engine)() as session, session.begin():
        jobs = [
            Work(company=name, position="Engineer", start_date=date(year, 1, 1))
            for name, year in [("Delta", 2024), ("Cobalt", 2023), ("Beta", 2022), ("Alpha", 2021)]
        ]
        session.add_all(jobs)
        await session.flush()
        delta, cobalt, beta, alpha = (job.id for job in jobs)
    assert await _public_ids(admin_client, "/api/v1/experience") == [delta, cobalt, beta, alpha]
    listed = await admin_client.get("/admin/work/list?search=a")  # Delta, Cobalt, Beta, Alpha
    assert listed.status_code == 200

    response = await admin_client.post("/admin/work/reorder", json={"ids": [alpha, cobalt]})

    assert response.status_code == 200, response.text
    assert await _public_ids(admin_client, "/api/v1/experience") == [delta, alpha, beta, cobalt]


async def test_an_unchanged_order_writes_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ids = await _projects(engine, 0, 0, 0)
    shown = await _public_ids(admin_client)
    assert shown == ids[::-1]
    version = await content_version(engine)
    entries = len(await audit_entries(engine))

    response = await admin_client.post("/admin/project/reorder", json={"ids": shown})

    assert response.status_code == 200
    assert response.json() == {
        "changed": 0,
        "message": "Nothing to change: the order already was this.",
        "sort_orders": {},
    }
    assert await content_version(engine) == version
    assert len(await audit_entries(engine)) == entries
    assert await _sort_orders(engine, Project) == dict.fromkeys(ids, 0)


async def _nothing_written(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, request: dict[str, Any]
) -> dict[str, Any]:
    """Send ``request`` to reorder projects; check that it wrote nothing; its JSON error."""
    version = await content_version(engine)
    entries = len(await audit_entries(engine))
    before = await _public_ids(admin_client)

    response = await admin_client.post("/admin/project/reorder", **request)

    body: dict[str, Any] = response.json()
    assert body["status_code"] == response.status_code
    assert body["error"].startswith("Not reordered")
    assert await content_version(engine) == version
    assert len(await audit_entries(engine)) == entries
    assert await _public_ids(admin_client) == before
    return body


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "JSON"),
        ({"json": {"order": [1, 2]}}, 'send {"ids": [...]}'),
        ({"json": [1, 2]}, 'send {"ids": [...]}'),
        ({"json": {"ids": "1,2"}}, 'send {"ids": [...]}'),
        ({"json": {"ids": ["first", "second"]}}, "whole number"),
        ({"json": {"ids": [1.5]}}, "whole number"),
        ({"json": {"ids": [True]}}, "whole number"),
        ({"data": {"ids": "1,two"}}, "whole number"),
        ({"data": {"order": "1,2"}}, "send the field ids"),
    ],
)
async def test_malformed_requests_are_400(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    request_kwargs: dict[str, Any],
    message: str,
) -> None:
    await _projects(engine, 0, 0, 0)
    body = await _nothing_written(admin_client, engine, request_kwargs)
    assert body["status_code"] == 400
    assert message in body["error"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", "no entries were sent"),
        ("duplicate", "more than once"),
        ("unknown", "no longer exist"),
        ("beyond integer", "no longer exist"),
        ("another section", "no longer exist"),
    ],
)
async def test_impossible_orders_are_422(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, case: str, message: str
) -> None:
    first, second, third = await _projects(engine, 0, 0, 0)
    async with make_sessionmaker(engine)() as session, session.begin():
        jobs = [Work(company=f"Acme {n}", position="Engineer") for n in range(4)]
        session.add_all(jobs)
    # Tables number their rows apart: a job whose id no project has.
    job = next(job for job in jobs if job.id not in {first, second, third})
    ids = {
        "empty": [],
        "duplicate": [first, third, first],
        "unknown": [third, first, 999_999],
        "beyond integer": [third, first, 2**63],
        "another section": [third, job.id],
    }[case]

    body = await _nothing_written(admin_client, engine, {"json": {"ids": ids}})

    assert body["status_code"] == 422
    assert message in body["error"]


async def test_reorder_answers_post_only(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second = await _projects(engine, 0, 0)
    version = await content_version(engine)

    response = await admin_client.get(f"/admin/project/reorder?ids={first},{second}")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "Drag the rows of the list" in response.text
    assert await content_version(engine) == version


async def test_reorder_needs_the_owner_and_the_same_site(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second = await _projects(engine, 0, 0)
    version = await content_version(engine)
    body = {"ids": [first, second]}

    cross_site = await admin_client.post(
        "/admin/project/reorder", json=body, headers={"Origin": "https://elsewhere.example"}
    )
    admin_client.cookies.clear()
    logged_out = await client.post("/admin/project/reorder", json=body)

    assert cross_site.status_code == 403
    assert logged_out.status_code in (302, 303)
    assert "/admin/login" in logged_out.headers["location"]
    assert await content_version(engine) == version


def _list_state(html: str) -> tuple[str | None, bool]:
    """The reorder URL a list page offers and whether dragging is off there."""
    found = re.search(r'<div class="cms-ordering" data-reorder-url="([^"]+)"([^>]*)>', html)
    if found is None:
        return None, False
    return found.group(1), "data-reorder-off" in found.group(2)


def _listed_names(html: str) -> list[str]:
    cells = (
        re.sub(r"<[^>]+>|\s+", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    )
    return [cell for cell in cells if re.fullmatch(r"P\d", cell)]


async def test_the_list_offers_dragging_in_its_own_order_only(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second, third = await _projects(engine, 0, 0, 0)
    await admin_client.post("/admin/project/reorder", json={"ids": [second, first, third]})

    own = await admin_client.get("/admin/project/list")
    ascending = await admin_client.get("/admin/project/list?sortBy=sort_order&sort=asc")
    by_name = await admin_client.get("/admin/project/list?sortBy=name&sort=desc&search=P")
    searched = await admin_client.get("/admin/project/list?search=P")

    assert _list_state(own.text) == ("http://testserver/admin/project/reorder", False)
    assert "/admin/assets/ordering.js" in own.text
    # The list shows the public order, the one dragging changes.
    assert _listed_names(own.text) == ["P1", "P0", "P2"]
    assert _list_state(ascending.text)[1] is False
    assert _list_state(by_name.text)[1] is True
    assert "Show the public order" in by_name.text
    assert 'href="http://testserver/admin/project/list?search=P"' in by_name.text
    assert "Entries not shown here keep their places." in searched.text
    assert "Entries not shown here keep their places." not in own.text


async def test_a_list_of_one_row_and_other_tables_offer_no_dragging(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await _projects(engine, 0)

    one = await admin_client.get("/admin/project/list")
    technologies = await admin_client.get("/admin/technology/list")

    assert one.status_code == technologies.status_code == 200
    assert _list_state(one.text) == (None, False)
    assert _list_state(technologies.text) == (None, False)
