"""AWS Lambda entry point: the read path and the full app behind Mangum and Powertools.

Everything here runs once per container (at import): the read path's settings, the read path,
one event loop. The read path (:mod:`cms.public.readpath`) answers every public read from
stored documents and builds the full app (``create_full_app``) on the first request it does not
answer, so a cold public read imports neither FastAPI nor SQLAlchemy nor pydantic.
Powertools costs a warm request next to nothing: metrics are flushed only when an invocation
recorded one (the cold start, an error), and the Lambda context and correlation id are added to
the logger only when a line is written.
Mangum runs with ``lifespan="off"`` (with it on, startup and shutdown would run on every
invocation), and every invocation runs on the loop created here, so the engine's asyncpg
connections never meet a foreign loop. The engine pre-pings pooled connections, which
survives the container being frozen and the server dropping idle connections meanwhile.
Events from the EventBridge schedule (template.yaml) skip Mangum: they apply scheduled
publishing and run the rebuild check (:func:`cms.main.on_schedule`) on the same loop and return
the result.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import time
import warnings
from collections.abc import Callable
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from mangum import Mangum
from mangum.handlers import ALB, APIGateway, HTTPGateway, LambdaAtEdge

from cms.admin.loginpage import answer_before_build
from cms.core.jsonerror import error_body
from cms.core.outage import OutageGuard
from cms.core.readsettings import ReadSettings
from cms.core.stage import StagePrefixMiddleware
from cms.public.readpath import ReadPath

if TYPE_CHECKING:  # FastAPI stays off the cold path: the read path builds it when needed
    from fastapi import FastAPI

__all__ = [
    "SCOPE_ONCE_HANDLERS",
    "after_restore",
    "app",
    "before_snapshot",
    "handler",
    "is_scheduled_event",
    "make_handler",
]

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _event_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop, created if there is none (without 3.12's deprecation path)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            return asyncio.get_event_loop()
    except (RuntimeError, DeprecationWarning):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop


settings = ReadSettings.from_environ()
logger = Logger(service=settings.service_name)
metrics = Metrics(namespace=settings.metrics_namespace, service=settings.service_name)
tracer: Any = None
# Tracer raises without the SDK, and costs every request: on only when asked for (TRACING).
if settings.tracing and importlib.util.find_spec("aws_xray_sdk") is not None:
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=settings.service_name)

loop = _event_loop()


def _main() -> ModuleType:
    """``cms.main``, imported on first need: FastAPI and SQLAlchemy stay off a cold public read."""
    import cms.main

    return cms.main


def _full_app() -> FastAPI:
    return _main().create_full_app()


# The back office's login page (and its files) is answered without the full app until something
# else needs it: opening the back office on a cold container waits for neither SQLAlchemy nor
# SQLAdmin.
app = ReadPath(settings, build_app=_full_app, before_build=answer_before_build)


def is_scheduled_event(event: dict[str, Any]) -> bool:
    """Whether ``event`` comes from an EventBridge schedule (a rule's "Scheduled Event")."""
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


def _scheduled_rebuild(asgi_app: FastAPI | ReadPath) -> dict[str, Any]:
    """The scheduled work (:func:`cms.main.on_schedule`): the Lambda stand-in for what
    ``cms serve`` does at start and in its poller."""
    result = loop.run_until_complete(_main().on_schedule(asgi_app.state))
    # The metric names predate "rebuild" and stay: CloudWatch dashboards and alarms read them.
    metrics.add_metric(name="PublishChecks", unit=MetricUnit.Count, value=1)
    if result["status"] in {"failed", "partial"}:
        metrics.add_metric(name="PublishFailures", unit=MetricUnit.Count, value=1)
    logger.info("scheduled rebuild", status=result["status"], reason=result["reason"])
    due = result["publish_due"]
    if due["applied"] or due["failed"]:
        metrics.add_metric(
            name="ScheduledChanges", unit=MetricUnit.Count, value=len(due["applied"])
        )
        metrics.add_metric(
            name="ScheduledFailures", unit=MetricUnit.Count, value=len(due["failed"])
        )
        logger.info("scheduled publishing", applied=due["applied"], failed=due["failed"])
    return result


def _bad_event(status: int, message: str) -> dict[str, Any]:
    """An answer API Gateway (either version), a Function URL or an ALB can relay."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(error_body(status, message)),
        "isBase64Encoded": False,
    }


def _request_fields(event: Any) -> dict[str, Any]:
    """Method and path of an event for the log line, whatever shape it has."""
    if not isinstance(event, dict):
        return {"event_type": type(event).__name__}
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = event.get("httpMethod") or (http.get("method") if isinstance(http, dict) else None)
    path = event.get("rawPath") or event.get("path")
    return {
        "method": str(method)[:10] if method else None,
        "path": str(path)[:200] if path else None,
    }


def _scope_once(handler: type[Any]) -> type[Any]:
    """Mangum's ``handler`` building an event's ASGI scope once, not at each access.

    Mangum's handlers rebuild the scope (every header decoded and encoded again) each time it is
    read, and Mangum reads it twice per request: once to run the app, once to tell the event's
    version when it writes the answer (Kludex/mangum#296). Given to Mangum as a custom handler,
    which it tries before its own.
    """
    built = cached_property(lambda self: handler.scope.fget(self))
    return type(handler.__name__, (handler,), {"scope": built})


SCOPE_ONCE_HANDLERS = [
    _scope_once(handler) for handler in (HTTPGateway, APIGateway, ALB, LambdaAtEdge)
]


def make_handler(asgi_app: FastAPI | ReadPath) -> LambdaHandler:
    """Wrap ``asgi_app`` into a Lambda handler with logging, metrics and (if present) tracing.

    The handler never raises: an event no integration could have sent (not an object,
    ``headers: null``, a REST event without ``httpMethod``, a body that is not base64) is a
    JSON 400, a database outage a JSON 503 with ``Retry-After`` (:mod:`cms.core.outage`), any
    other failure a JSON 500; each is one log line and counted in the metrics.
    """
    guarded = OutageGuard(StagePrefixMiddleware(asgi_app))
    adapter = Mangum(guarded, lifespan="off", custom_handlers=SCOPE_ONCE_HANDLERS)
    cold = True  # this handler's first invocation is the container's cold start

    def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not isinstance(event.get("headers", {}), dict | type(None)):
            return _bad_event(400, "Malformed event: headers")
        if event.get("headers", {}) is None and "multiValueHeaders" not in event:
            event = {**event, "headers": {}}
        try:
            return adapter(event, context)
        except (KeyError, TypeError, ValueError, AttributeError, RuntimeError):
            # Mangum could not read the event (unknown shape, missing fields, bad base64).
            return _bad_event(400, "Malformed event")

    def handle_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = answer(event, context)
        except Exception:
            _log_context(event, context)
            logger.exception("request failed", **_request_fields(event))
            response = _bad_event(500, "Internal server error")
            started = -1.0
        status = int(response.get("statusCode", 500)) if isinstance(response, dict) else 500
        if 400 <= status:
            _count_error(status)
            if started >= 0:
                _log_context(event, context)
                logger.info(
                    "request failed",
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    **_request_fields(event),
                )
        # Successes are in the API's access log (same request id): logging them here too
        # would cost each warm invocation about as much as answering it.
        return response

    def handle(event: Any, context: Any) -> dict[str, Any]:
        nonlocal cold
        if cold:
            cold = False
            metrics.provider.add_cold_start_metric(context)
        try:
            if not isinstance(event, dict):
                _count_error(400)
                _log_context({}, context)
                logger.info("request failed", status=400, **_request_fields(event))
                return _bad_event(400, "Malformed event: not a JSON object")
            if is_scheduled_event(event):
                return _scheduled_rebuild(asgi_app)
            return handle_request(event, context)
        finally:
            if metrics.metric_set:  # nothing recorded, nothing written: the warm path
                metrics.flush_metrics()

    if tracer is not None:
        return tracer.capture_lambda_handler(handle)  # type: ignore[no-any-return]
    return handle


def _correlation_id(event: dict[str, Any]) -> str | None:
    """REST, HTTP API and Function URL events carry a request id; ALB events a trace header."""
    context = event.get("requestContext")
    request_id = context.get("requestId") if isinstance(context, dict) else None
    headers = event.get("headers")
    trace = headers.get("x-amzn-trace-id") if isinstance(headers, dict) else None
    return request_id or trace


def _log_context(event: dict[str, Any], context: Any) -> None:
    """Put the invocation's Lambda context and correlation id on the log lines that follow."""
    logger.append_keys(
        function_name=getattr(context, "function_name", None),
        function_memory_size=getattr(context, "memory_limit_in_mb", None),
        function_arn=getattr(context, "invoked_function_arn", None),
        function_request_id=getattr(context, "aws_request_id", None),
    )
    logger.set_correlation_id(_correlation_id(event))


def _count_error(status: int) -> None:
    name = "ServerErrors" if status >= 500 else "ClientErrors"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


handler = make_handler(app)


def before_snapshot() -> None:
    """SnapStart: close pooled connections so no socket is frozen into the snapshot."""
    loop.run_until_complete(app.dispose())


def after_restore() -> None:
    """SnapStart: new randomness, no inherited connections, and a content version re-read.

    A snapshot may be restored long after it was taken: the response cache must ask the
    database before trusting what it held at snapshot time.
    """
    random.seed()
    loop.run_until_complete(app.dispose())
    app.invalidate()


try:  # present only in Lambda's Python runtimes (3.12+), where SnapStart may call these
    from snapshot_restore_py import (  # type: ignore[import-not-found]
        register_after_restore,
        register_before_snapshot,
    )
except ImportError:
    pass
else:
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
