"""The admin's forms: one date control per date at its precision, round trips that write
nothing, and technologies listed as names."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.dates import DatePrecision
from cms.content.jsonresume import import_resume
from cms.content.models import Award, Project, Work
from cms.content.session import make_sessionmaker
from cms.core.models import AuditLog
from tests.admin.helpers import (
    audit_entries,
    content_version,
    count,
    error_next_to,
    form_errors,
    work_form,
)

AWARD_FORM = {
    "title": "Best paper",
    "date": "2019",
    "date_precision": "year",
    "awarder": "PyCon",
    "summary": "",
    "sort_order": "0",
    "is_published": "y",
    "save": "Save",
}


async def _only(engine: AsyncEngine, model: type) -> Any:
    async with make_sessionmaker(engine)() as session:
        return (await session.scalars(select(model))).one()


def _date_input(html: str, name: str) -> dict[str, str]:
    """The attributes of the date input ``name`` and the precision selected beside it."""
    (tag,) = re.findall(rf'<input [^>]*\bname="{name}"[^>]*>', html)
    attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
    group = html[html.rindex("data-partial-date>", 0, html.index(tag)) : html.index(tag)]
    (attributes["precision"],) = re.findall(
        r'<option [^>]*\bselected\b[^>]*value="([a-z]+)"', group
    )
    return attributes


class _FormValues(HTMLParser):
    """What a browser submits for the create or edit form of a page, as it was rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in {"submit", "checkbox"}:
            self.values.append((name, attributes.get("value", "")))
        elif tag == "input" and name and attributes.get("type") == "checkbox":
            if "checked" in attributes:
                self.values.append((name, attributes.get("value") or "on"))
        elif tag == "select" and name:
            self._select = name
            # The technology picker's current choices are filled in by SQLAdmin's script.
            for choice in json.loads(attributes.get("data-json") or "[]"):
                self.values.append((name, str(choice["id"])))
        elif tag == "option" and self._select and "selected" in attributes:
            self.values.append((self._select, attributes.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A newline right after <textarea> is not part of its value.
            self.values.append((self._textarea, re.sub(r"^\r?\n", "", self._text)))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


def _submitted(html: str) -> list[tuple[str, str]]:
    form = html[html.index('<fieldset class="form-fieldset">') :]
    parser = _FormValues()
    parser.feed(form[: form.index("</form>")])
    return [*parser.values, ("save", "Save")]


async def test_a_month_is_stored_as_its_first_day_and_edited_in_a_month_input(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    form = work_form(start_date="2024-01", start_precision="month")
    created = await admin_client.post("/admin/work/create", data=form)
    assert created.status_code == 302, form_errors(created.text)
    work = await _only(engine, Work)
    assert (work.start_date, work.start_precision) == (date(2024, 1, 1), DatePrecision.month)

    page = await admin_client.get(f"/admin/work/edit/{work.id}")

    start = _date_input(page.text, "start_date")
    assert (start["type"], start["value"], start["precision"]) == ("month", "2024-01", "month")
    assert 'name="start_precision"' in page.text
    # The empty end date stays an empty day input with its precision select.
    end = _date_input(page.text, "end_date")
    assert (end["type"], end["value"], end["precision"]) == ("date", "", "day")


async def test_a_year_only_entry(admin_client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    created = await admin_client.post("/admin/award/create", data=AWARD_FORM)
    assert created.status_code == 302, form_errors(created.text)
    award = await _only(engine, Award)
    assert (award.date, award.date_precision) == (date(2019, 1, 1), DatePrecision.year)

    page = await admin_client.get(f"/admin/award/edit/{award.id}")

    field = _date_input(page.text, "date")
    assert (field["type"], field["value"], field["precision"]) == ("number", "2019", "year")
    assert (field["min"], field["max"]) == ("1900", "2100")
    public = (await admin_client.get("/api/v1/awards")).json()
    assert [item["date"] for item in public] == ["2019"]


@pytest.mark.parametrize(
    ("sent", "precision", "stored"),
    [
        ("2024-01-15", "day", date(2024, 1, 15)),
        ("2024-03-01", "month", date(2024, 3, 1)),  # a day picker's value at month precision
        ("2024-01-01", "year", date(2024, 1, 1)),
        (" 2024-05 ", "month", date(2024, 5, 1)),
    ],
)
async def test_a_longer_value_that_adds_only_the_periods_start_is_accepted(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    sent: str,
    precision: str,
    stored: date,
) -> None:
    form = work_form(start_date=sent, start_precision=precision)
    response = await admin_client.post("/admin/work/create", data=form)
    assert response.status_code == 302, form_errors(response.text)
    work = await _only(engine, Work)
    assert (work.start_date, str(work.start_precision)) == (stored, precision)


async def test_without_the_precision_select_the_value_says_how_precise_it_is(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    form = work_form(start_date="2023-07", start_precision=None)
    response = await admin_client.post("/admin/work/create", data=form)
    assert response.status_code == 302, form_errors(response.text)
    work = await _only(engine, Work)
    assert (work.start_date, work.start_precision) == (date(2023, 7, 1), DatePrecision.month)


@pytest.mark.parametrize(
    ("sent", "precision", "message"),
    [
        ("2024-01", "day", "Enter a date like 2024-05-17."),
        ("2024-01-15", "month", "Enter a month like 2024-05."),
        ("2024-05", "year", "Enter a year like 2024."),
        ("2024-13", "month", "Enter a month like 2024-05."),
        ("2023-02-30", "day", "Enter a date like 2024-05-17."),
        ("May 2024", "month", "Enter a month like 2024-05."),
    ],
)
async def test_a_value_that_disagrees_with_its_precision_is_refused_next_to_it(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    sent: str,
    precision: str,
    message: str,
) -> None:
    version = await content_version(engine)
    form = work_form(start_date=sent, start_precision=precision)

    response = await admin_client.post("/admin/work/create", data=form)

    assert response.status_code == 400
    assert error_next_to(response.text, "start_date") == [message]
    # The form comes back at the chosen precision, keeping the other fields.
    assert _date_input(response.text, "start_date")["precision"] == precision
    assert 'value="Acme Analytics"' in response.text
    assert await count(engine, Work) == 0
    assert await count(engine, AuditLog) == 0
    assert await content_version(engine) == version


async def test_an_unknown_precision_is_refused_even_without_a_date(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    form = work_form(end_date="", end_precision="week")
    response = await admin_client.post("/admin/work/create", data=form)
    assert response.status_code == 400
    assert error_next_to(response.text, "end_date") == [
        "Choose whether the CV shows a year, a month or a day."
    ]
    assert await count(engine, Work) == 0


async def test_an_unchanged_save_writes_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    document = {
        "basics": {"name": "A"},
        "work": [
            {
                "name": "Acme",
                "position": "Engineer",
                "startDate": "2024-01",
                "endDate": "2025",
                "highlights": ["Shipped it"],
                "keywords": ["Python", "FastAPI"],
            }
        ],
    }
    async with make_sessionmaker(engine)() as session, session.begin():
        await import_resume(session, document, actor="test")
    work = await _only(engine, Work)
    version = await content_version(engine)
    entries = len(await audit_entries(engine))
    page = await admin_client.get(f"/admin/work/edit/{work.id}")
    sent = _submitted(page.text)
    assert ("start_date", "2024-01") in sent and ("end_date", "2025") in sent

    saved = await admin_client.post(f"/admin/work/edit/{work.id}", data=_pairs(sent))

    assert saved.status_code == 302, form_errors(saved.text)
    assert await content_version(engine) == version
    assert len(await audit_entries(engine)) == entries
    again = await _only(engine, Work)
    assert (again.start_date, again.start_precision) == (date(2024, 1, 1), DatePrecision.month)
    assert (again.end_date, again.end_precision) == (date(2025, 1, 1), DatePrecision.year)


def _pairs(sent: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Form pairs as httpx takes them: a name sent more than once maps to a list."""
    data: dict[str, str | list[str]] = {}
    for name, value in sent:
        if name in data:
            previous = data[name]
            data[name] = [*([previous] if isinstance(previous, str) else previous), value]
        else:
            data[name] = value
    return data


@pytest.mark.parametrize(("identity", "model"), [("work", Work), ("project", Project)])
async def test_technologies_are_listed_by_name(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, identity: str, model: type
) -> None:
    tags = ["Python", "FastAPI"]
    document = {
        "basics": {"name": "A"},
        "work": [{"name": "Acme", "position": "Engineer", "keywords": tags}],
        "projects": [{"name": "CMS", "keywords": tags}],
    }
    async with make_sessionmaker(engine)() as session, session.begin():
        await import_resume(session, document, actor="test")
    row = await _only(engine, model)

    listed = (await admin_client.get(f"/admin/{identity}/list")).text
    details = (await admin_client.get(f"/admin/{identity}/details/{row.id}")).text

    assert "<td>Python, FastAPI</td>" in details
    # The list shows them as chips on one line, named in full by the title.
    assert '<span class="cms-chips" title="Python, FastAPI">' in listed
    assert '<span class="cms-chip">Python</span><span class="cms-chip">FastAPI</span>' in listed
    for html in (listed, details):
        assert "(Python)" not in html and "(FastAPI)" not in html
