"""Malformed events never raise out of the handler: a JSON 400, counted (finding 10)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import FakeLambdaContext, Invoker


def _rest_without_method() -> dict[str, Any]:
    event = helpers.make_event("rest_api_v1_stage", "GET", "/health")
    del event["httpMethod"]
    return event


def _bad_base64() -> dict[str, Any]:
    event = helpers.make_event("http_api_v2_default", "POST", "/admin/login", body=b"x")
    event["body"] = "!!! not base64 !!!"
    return event


def _null_headers() -> dict[str, Any]:
    event = helpers.make_event("rest_api_v1_stage", "GET", "/admin/login")
    event["headers"] = None
    event["multiValueHeaders"] = None
    return event


MALFORMED = {
    "empty object": lambda: {},
    "null": lambda: None,
    "list": lambda: [],
    "string": lambda: "GET /health",
    "headers not an object": lambda: {**helpers.make_event("function_url"), "headers": [1, 2]},
    "REST without httpMethod": _rest_without_method,
    "bad base64 body": _bad_base64,
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_events_get_a_json_400_counted_as_client_errors(
    invoke: Invoker, name: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    capsys.readouterr()
    caplog.clear()
    raw = invoke.container.call(invoke.handler, MALFORMED[name](), FakeLambdaContext())
    assert raw["statusCode"] == 400
    assert raw["headers"]["content-type"] == "application/json"
    assert json.loads(raw["body"])["status_code"] == 400
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    metrics = [line for line in lines if "_aws" in line]
    assert any(line.get("ClientErrors") == [1.0] for line in metrics), lines
    failures = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert len(failures) == 1


def test_null_headers_are_read_as_no_headers(invoke: Invoker) -> None:
    raw = invoke.container.call(invoke.handler, _null_headers(), FakeLambdaContext())
    assert raw["statusCode"] == 200


def test_a_bad_event_answers_in_the_apps_error_shape(invoke: Invoker) -> None:
    raw = invoke.container.call(invoke.handler, {}, FakeLambdaContext())
    from_app = invoke("function_url", "GET", "/no/such/page").json()

    body = json.loads(raw["body"])
    assert set(body) == set(from_app) == {"error", "status_code", "timestamp"}
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
