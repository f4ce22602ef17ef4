"""The Lambda handler with the events API Gateway (REST, HTTP API), Function URLs and ALB send."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from cms.core.config import Settings
from cms.core.stage import stage_prefix
from cms.main import create_app
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker

# ``lambda`` is a keyword: the package cannot be named in an import statement.
EVENT_KINDS: list[str] = helpers.EVENT_KINDS
STAGED_KINDS: dict[str, str] = helpers.STAGED_KINDS
load_event = helpers.load_event


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_health_through_each_integration(invoke: Invoker, kind: str) -> None:
    response = invoke(kind, "GET", "/health")
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "application/json"
    assert not response.base64_encoded
    assert response.json() == {"status": "ok"}  # the details need a read-drafts token


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_docs_page_points_at_openapi_under_the_stage_prefix(invoke: Invoker, kind: str) -> None:
    prefix = STAGED_KINDS.get(kind, "")
    page = invoke(kind, "GET", "/docs")
    assert page.status == 200
    assert f"'{prefix}/openapi.json'" in page.text
    assert f'src="{prefix}/docs/assets/swagger-ui-bundle.js"' in page.text
    script = invoke(kind, "GET", "/docs/assets/swagger-ui-bundle.js")
    assert script.status == 200
    assert "javascript" in script.headers["content-type"]
    schema = invoke(kind, "GET", "/openapi.json")
    assert schema.status == 200
    assert "/health" in schema.json()["paths"]


@pytest.mark.parametrize("kind", ["rest_api_v1_stage", "http_api_v2_stage"])
def test_redirects_keep_the_stage_prefix(invoke: Invoker, kind: str) -> None:
    response = invoke(kind, "GET", "/health/")
    assert response.status in (307, 308)
    location = response.headers["location"]
    assert location.endswith("/prod/health"), location


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_unknown_path_keeps_the_json_error_shape(invoke: Invoker, kind: str) -> None:
    response = invoke(kind, "GET", "/no/such/page")
    assert response.status == 404
    assert response.json()["status_code"] == 404


def test_query_string_and_headers_reach_the_app(invoke: Invoker) -> None:
    response = invoke(
        "http_api_v2_stage",
        "GET",
        "/openapi.json",
        query="a=1&a=2",
        headers={"If-None-Match": '"nope"'},
    )
    assert response.status == 200


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_each_event_s_scope_is_built_once_as_mangum_builds_it(invoke: Invoker, kind: str) -> None:
    from mangum import Mangum

    import lambda_handler

    event = helpers.make_event(kind, "GET", "/health", query="a=1", headers={"X-Test": "é"})
    handlers = lambda_handler.SCOPE_ONCE_HANDLERS
    ours = Mangum(invoke, lifespan="off", custom_handlers=handlers).infer(event, None)
    mangums = Mangum(invoke, lifespan="off").infer(event, None)
    assert type(ours).__mro__[1] is type(mangums)
    assert ours.scope is ours.scope
    assert ours.scope == mangums.scope
    assert invoke(kind, "GET", "/health").status == 200


def test_stage_prefix_rules() -> None:
    rest = load_event("rest_api_v1_stage")
    assert stage_prefix(rest, "/health") == ("/prod", "/health")
    # A custom domain without a base path: requestContext.path equals the path.
    rest["requestContext"]["path"] = "/health"
    assert stage_prefix(rest, "/health") == ("", "/health")
    # A custom domain mapped under a base path.
    rest["requestContext"]["path"] = "/cv/health"
    assert stage_prefix(rest, "/health") == ("/cv", "/health")
    http = load_event("http_api_v2_stage")
    assert stage_prefix(http, "/prod/health") == ("/prod", "/health")
    assert stage_prefix(http, "/prod") == ("/prod", "/")
    assert stage_prefix(http, "/production/x") == ("", "/production/x")
    assert stage_prefix(load_event("http_api_v2_default"), "/health") == ("", "/health")
    assert stage_prefix(load_event("function_url"), "/health") == ("", "/health")
    assert stage_prefix(load_event("alb"), "/health") == ("", "/health")


def _log_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for line in output.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


@pytest.mark.parametrize("kind", ["http_api_v2_default", "alb"])
def test_logs_and_metrics_are_emitted(
    invoke: Invoker, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import lambda_handler

    event = load_event(kind)
    # The Powertools handler keeps the stdout of import time; point it at this test's.
    stream = lambda_handler.logger.registered_handler
    previous = stream.setStream(sys.stdout)
    try:
        invoke(kind, "GET", "/health")
        invoke(kind, "GET", "/missing")
    finally:
        stream.setStream(previous)
    records = _log_lines(capsys.readouterr().out)
    # Only failures get a log line of their own; successes are in the API's access log.
    requests = [r for r in records if r.get("message") == "request failed"]
    assert [r["status"] for r in requests] == [404]
    expected = (
        event.get("requestContext", {}).get("requestId") or event["headers"]["x-amzn-trace-id"]
    )
    assert all(r["correlation_id"] == expected for r in requests)
    assert all(r["function_name"] == "portfolio-cms" for r in requests)
    emf = [r for r in records if "_aws" in r]
    namespaces = {m["Namespace"] for r in emf for m in r["_aws"]["CloudWatchMetrics"]}
    assert namespaces == {"PortfolioCMS"}
    # A success records no metric, so the warm path writes nothing (API Gateway counts requests).
    assert all("ClientErrors" in r or "ColdStart" in r for r in emf), emf
    assert _metric_total(emf, "ClientErrors") == 1
    assert _metric_total(emf, "ServerErrors") == 0


def _metric_total(records: list[dict[str, Any]], name: str) -> float:
    total = 0.0
    for record in records:
        value = record.get(name, 0)
        total += sum(value) if isinstance(value, list) else value
    return total


def test_each_handler_counts_its_own_cold_start_once(
    container: helpers.LambdaContainer,
    lambda_settings: Settings,
    engine: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = Invoker(container, create_app(lambda_settings))
    second = Invoker(container, create_app(lambda_settings))
    try:
        capsys.readouterr()
        for invoker in (first, second, first, second):
            invoker("function_url", "GET", "/health")
        emf = [r for r in _log_lines(capsys.readouterr().out) if "_aws" in r]
    finally:
        for invoker in (first, second):
            container.run(invoker.app.state.engine.dispose())
    # The flag lives in the handler: one process's handlers never share (or lose) a cold start.
    assert _metric_total(emf, "ColdStart") == 2
