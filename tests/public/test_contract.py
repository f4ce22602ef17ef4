"""The API contract as a client sees it: OpenAPI document and the JSON error shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from cms.main import create_app
from cms.public.readpath import ReadPath
from tests.databases import make_settings

OPERATIONS = {
    "/api/v1/personal-info": "get_personal_info",
    "/api/v1/experience": "list_experience",
    "/api/v1/experience/{experience_id}": "get_experience",
    "/api/v1/projects": "list_projects",
    "/api/v1/projects/{id_or_slug}": "get_project",
    "/api/v1/skills": "list_skills",
    "/api/v1/education": "list_education",
    "/api/v1/volunteer": "list_volunteer",
    "/api/v1/awards": "list_awards",
    "/api/v1/certificates": "list_certificates",
    "/api/v1/publications": "list_publications",
    "/api/v1/languages": "list_languages",
    "/api/v1/interests": "list_interests",
    "/api/v1/references": "list_references",
    "/api/v1/technologies": "list_technologies",
    "/api/v1/resume": "get_resume",
    "/api/v1/locales": "list_locales",
}
ITEM_ROUTES = {
    "/api/v1/personal-info",
    "/api/v1/experience/{experience_id}",
    "/api/v1/projects/{id_or_slug}",
}


def _json_schema(response: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


async def test_openapi_documents_every_api_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    api_paths = {path: ops for path, ops in document["paths"].items() if path.startswith("/api")}

    assert set(api_paths) == set(OPERATIONS)
    for path, operations in api_paths.items():
        # Besides reads, only the token-guarded resume sync (cms.public.sync).
        assert set(operations) == {"get"} | ({"put"} if path == "/api/v1/resume" else set()), path
        operation = operations["get"]
        assert operation["operationId"] == OPERATIONS[path]
        assert operation["description"].strip(), path
        ok = _json_schema(operation["responses"]["200"])
        assert ok.get("$ref") or ok.get("items", {}).get("$ref"), path
        invalid = _json_schema(operation["responses"]["422"])
        assert invalid == {"$ref": "#/components/schemas/ErrorResponse"}, path
        refused = _json_schema(operation["responses"]["401"])  # a token that is not valid
        assert refused == {"$ref": "#/components/schemas/ErrorResponse"}, path
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"x-api-key", "authorization", "if-none-match"}, path
        assert "304" in operation["responses"], path
        unavailable = operation["responses"]["503"]
        assert _json_schema(unavailable) == {"$ref": "#/components/schemas/ErrorResponse"}, path
        assert "Retry-After" in unavailable["headers"], path
        if path in ITEM_ROUTES:
            missing = _json_schema(operation["responses"]["404"])
            assert missing == {"$ref": "#/components/schemas/ErrorResponse"}, path


async def test_openapi_response_models_name_the_public_fields(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    experience = schemas["ExperiencePublic"]
    assert set(experience["required"]) >= {"id", "company", "technologies", "is_current"}
    assert experience["properties"]["technologies"] == {
        "items": {"type": "string"},
        "title": "Technologies",
        "type": "array",
    }
    assert "is_published" not in experience["properties"]
    assert "extra" not in schemas["ProjectPublic"]["properties"]
    assert {"featured", "category"} <= {
        parameter["name"]
        for parameter in (await client.get("/openapi.json")).json()["paths"]["/api/v1/skills"][
            "get"
        ]["parameters"]
    }
    assert "$schema" in schemas["ResumePublic"]["properties"]


async def test_openapi_declares_the_token_schemes_where_they_apply(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    schemes = document["components"]["securitySchemes"]
    assert all(scheme.pop("description").strip() for scheme in schemes.values())
    assert schemes == {
        "bearer": {"type": "http", "scheme": "bearer"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            security = operation.get("security")
            if method == "get":  # anonymous stays valid; a token shows drafts
                assert sorted(map(str, security)) == sorted(
                    ["{}", "{'bearer': []}", "{'apiKey': []}"]
                ), path
            else:
                assert security == [{"bearer": []}, {"apiKey": []}], (path, method)


async def test_openapi_declares_the_resume_put_and_all_its_answers(
    client: httpx.AsyncClient,
) -> None:
    put = (await client.get("/openapi.json")).json()["paths"]["/api/v1/resume"]["put"]

    body = put["requestBody"]
    assert body["required"] is True
    assert body["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/ResumePublic"}}
    }
    assert "RESUME_MAX_BYTES" in body["description"]
    assert "5,242,880" in body["description"]
    assert {p["name"] for p in put["parameters"] if p["in"] == "query"} == {
        "dry_run",
        "allow_empty",
        "locale",
    }
    assert {"200", "401", "404", "405", "412", "413", "422", "503"} <= set(put["responses"])
    for status in ("401", "405", "412", "413", "422", "503"):
        error = _json_schema(put["responses"][status])
        assert error == {"$ref": "#/components/schemas/ErrorResponse"}, status
    assert "Allow" in put["responses"]["405"]["headers"]
    assert "Retry-After" in put["responses"]["503"]["headers"]


async def test_the_printable_cv_documents_its_errors_as_json(client: httpx.AsyncClient) -> None:
    page = (await client.get("/openapi.json")).json()["paths"]["/cv"]["get"]
    refused = await client.get("/cv", headers={"Authorization": "Bearer cms_not-a-live-token"})

    assert set(page["responses"]["200"]["content"]) == {"text/html"}
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/json"
    for status in ("401", "422", "500", "503"):
        assert set(page["responses"][status]["content"]) == {"application/json"}, status


def _assert_error_shape(body: dict[str, Any], status: int) -> None:
    assert set(body) - {"details"} == {"error", "status_code", "timestamp"}
    assert body["status_code"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None


async def test_error_shape_for_404_405_422(client: httpx.AsyncClient) -> None:
    not_found = await client.get("/api/v1/projects/nothing-here")
    not_allowed = await client.post("/api/v1/projects")
    invalid = await client.get("/api/v1/skills", params={"featured": "sometimes"})

    _assert_error_shape(not_found.json(), 404)
    _assert_error_shape(not_allowed.json(), 405)
    _assert_error_shape(invalid.json(), 422)
    assert invalid.json()["details"] == [
        {
            "loc": ["query", "featured"],
            "msg": "Input should be a valid boolean, unable to interpret input",
            "type": "bool_parsing",
        }
    ]


async def test_unexpected_error_is_a_json_500_without_internals(app: ReadPath) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internals: SELECT * FROM admin_users")

    app.app.add_api_route("/boom", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    _assert_error_shape(response.json(), 500)
    assert "secret" not in response.text and "SELECT" not in response.text


async def test_database_down_is_a_json_503_without_sql_or_url() -> None:
    url = "postgresql://cms:hunter2@127.0.0.1:1/none"
    app = create_app(make_settings(url, database_timeout=1.0))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/api/v1/experience")
    finally:
        await app.state.engine.dispose()

    assert response.status_code == 503
    _assert_error_shape(response.json(), 503)
    for leak in ("SELECT", "hunter2", "127.0.0.1", "Traceback"):
        assert leak not in response.text
