"""The admin and the JSON Resume import refuse the same records with the same words."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cms.content.jsonresume import validate_resume
from tests.admin.helpers import error_next_to, project_form, skill_form, work_form

BASICS_FORM = {
    "name": "Ada Lovelace",
    "label": "",
    "email": "",
    "phone": "",
    "url": "",
    "save": "Save",
}

# (name, admin identity, admin form, JSON Resume document, admin field, JSON path)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, str]] = [
    (
        "end before start",
        "work",
        work_form(start_date="2022-05-01", end_date="2021-01-01", start_precision="day"),
        {
            "basics": {"name": "A"},
            "work": [{"name": "Acme", "startDate": "2022-05-01", "endDate": "2021-01-01"}],
        },
        "end_date",
        "$.work[0].endDate",
    ),
    (
        "postal code too long",
        "basics",
        {**BASICS_FORM, "postal_code": "9" * 21},
        {"basics": {"name": "A", "location": {"postalCode": "9" * 21}}},
        "postal_code",
        "$.basics.location.postalCode",
    ),
    (
        "slug format",
        "project",
        project_form(slug="My Project!"),
        {"basics": {"name": "A"}, "projects": [{"name": "P", "slug": "My Project!"}]},
        "slug",
        "$.projects[0].slug",
    ),
    (
        "rating above 5",
        "skill",
        skill_form(level="9"),
        {"basics": {"name": "A"}, "skills": [{"name": "Python", "rating": 9}]},
        "level",
        "$.skills[0].rating",
    ),
    (
        "negative years",
        "skill",
        skill_form(years_experience="-1"),
        {"basics": {"name": "A"}, "skills": [{"name": "Python", "yearsExperience": -1}]},
        "years_experience",
        "$.skills[0].yearsExperience",
    ),
    (
        "level text too long",
        "skill",
        skill_form(level_label="x" * 51),
        {"basics": {"name": "A"}, "skills": [{"name": "Python", "level": "x" * 51}]},
        "level_label",
        "$.skills[0].level",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("identity", "form", "document", "field", "path"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_admin_and_import_give_the_same_message_for_the_same_field(
    admin_client: httpx.AsyncClient,
    identity: str,
    form: dict[str, Any],
    document: dict[str, Any],
    field: str,
    path: str,
) -> None:
    response = await admin_client.post(f"/admin/{identity}/create", data=form)
    assert response.status_code == 400
    in_admin = error_next_to(response.text, field)

    in_import = [problem.message for problem in validate_resume(document) if problem.path == path]

    assert in_admin and in_admin == in_import
