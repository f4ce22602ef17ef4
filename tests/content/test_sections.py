"""The section registry drives every face: no section can be missing from one of them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.sections import ALL_VIEWS
from cms.content.basics import BASICS, PROFILES
from cms.content.jsonresume import export_resume, import_resume, validate_resume
from cms.content.sections import LIST_SECTIONS, SECTIONS, sections_in_document
from cms.content.session import make_sessionmaker
from tests.content.documents import full_document, without_last_modified


def test_every_json_resume_section_has_a_record() -> None:
    official = {
        "basics", "work", "volunteer", "education", "awards", "certificates", "publications",
        "skills", "languages", "interests", "references", "projects",
    }  # fmt: skip
    assert {section.name for section in SECTIONS.values()} == official | {"profiles"}


def test_every_section_has_an_admin_view() -> None:
    assert {view.model for view in ALL_VIEWS} >= {section.table for section in SECTIONS.values()}


@pytest.mark.parametrize("section", SECTIONS.values(), ids=SECTIONS.keys())
def test_every_field_map_entry_names_a_column(section: Any) -> None:
    columns = set(section.table.__table__.columns.keys()) | {"technologies"}
    for field in section.resume:
        assert field.column in columns, field
        assert field.precision is None or field.precision in columns, field


async def test_every_section_is_served_by_the_api_and_round_trips(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    document = full_document()
    assert validate_resume(document) == []
    for section in sections_in_document():  # the document exercises every section
        assert document[section.name], section.name
    assert document["basics"]["profiles"]

    async with make_sessionmaker(engine)() as session, session.begin():
        await import_resume(session, document, actor="test")
    async with make_sessionmaker(engine)() as session:
        exported = await export_resume(session, include_drafts=True)
    assert without_last_modified(exported) == without_last_modified(document)

    for section in SECTIONS.values():
        if section is PROFILES:  # served inside personal-info
            body = (await client.get(f"/api/v1/{BASICS.path}")).json()
            served = body["profiles"]
        else:
            response = await client.get(f"/api/v1/{section.path}")
            assert response.status_code == 200, section.name
            served = response.json()
        if section is BASICS:
            assert served["name"] == document["basics"]["name"]
            continue
        published = [
            item
            for item in (
                document["basics"]["profiles"] if section is PROFILES else document[section.name]
            )
            if item.get("published", True)
        ]
        assert len(served) == len(published), section.name
        # Every field but the previews' draft flag, which public answers never carry.
        public_fields = set(section.public.model_fields) - {"published"}
        assert set(served[0]) == public_fields, section.name


def test_list_sections_are_ordered_and_published_entries() -> None:
    for section in LIST_SECTIONS:
        fields = section.table.model_fields
        assert "sort_order" in fields and "is_published" in fields, section.name
        assert section.order_date is None or section.order_date in section.precision_of
