"""One JSON error shape: the light builder, the full app's responses and their OpenAPI model."""

from __future__ import annotations

from cms.core.errors import ErrorResponse
from cms.core.jsonerror import error_body, error_response


def test_the_openapi_model_describes_the_body_every_error_gets() -> None:
    details = [{"loc": ["query", "featured"], "msg": "bad", "type": "value_error"}]
    body = error_body(422, "Invalid request", details=details)

    assert set(body) == set(ErrorResponse.model_fields)
    assert ErrorResponse.model_validate(body).model_dump() == body
    assert set(error_body(404, "Not Found")) == set(body) - {"details"}
    assert error_response(404, "Not Found").body.startswith(b'{"error":"Not Found"')
