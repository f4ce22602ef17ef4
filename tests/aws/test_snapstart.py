"""SnapStart runtime hooks, called directly in a fresh process as the runtime would call them."""

from __future__ import annotations

from typing import Any

from tests.aws import lambda_helpers as helpers
from tests.databases import POSTGRES_ADMIN_URL


def test_hooks_leave_no_connection_in_the_snapshot_and_recover(postgresql_url: str) -> None:
    name = "cms-snapstart-test"
    env = helpers.container_env(DATABASE_URL=postgresql_url, ENVIRONMENT="test", SERVICE_NAME=name)
    health: dict[str, Any] = {"event": helpers.make_event("http_api_v2_default")}
    count = {"connections": name, "admin_url": POSTGRES_ADMIN_URL}
    actions = [
        health,
        count,
        {"call": "before_snapshot"},
        count,
        {"call": "after_restore"},
        count,
        health,
        count,
    ]
    results = helpers.container_results(helpers.start_container(env, actions))
    assert results[0]["status"] == 200
    assert results[1]["connections"] == 1, "one pooled connection after a request"
    assert results[3]["connections"] == 0, "no connection may be frozen into the snapshot"
    assert results[5]["connections"] == 0
    assert results[6]["status"] == 200, "the restored copy connects afresh"
    assert results[7]["connections"] == 1


def test_handler_module_imports_offline_without_snapshot_library() -> None:
    env = helpers.container_env(
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        ENVIRONMENT="test",
        DATABASE_TIMEOUT="1",
    )
    actions = [
        {"call": "before_snapshot"},
        {"call": "after_restore"},
        {"event": helpers.make_event("function_url")},
    ]
    results = helpers.container_results(helpers.start_container(env, actions))
    assert results[2]["status"] == 503  # degraded health, not a crash, with no database
