"""Images through the Lambda handler: base64 bodies with their type, 304s, and a light path."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Basics, Project
from cms.content.session import make_sessionmaker
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker
from tests.media.helpers import add_with_image, screenshot

ROOT = Path(__file__).resolve().parents[2]
EVENT_KINDS: list[str] = helpers.EVENT_KINDS


@pytest.mark.parametrize("kind", EVENT_KINDS)
async def test_a_variant_comes_back_base64_encoded_with_its_type(
    invoke: Invoker, engine: AsyncEngine, kind: str
) -> None:
    image = screenshot()
    async with make_sessionmaker(engine)() as session:
        await add_with_image(session, Basics(name="Ada"), image)
    variant = image.variants[-1]

    response = invoke(kind, "GET", f"/media/{image.id}/{variant.name}.webp")

    assert response.status == 200, response.body[:200]
    assert response.base64_encoded
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["etag"] == variant.etag
    assert response.body == variant.data

    again = invoke(
        kind,
        "GET",
        f"/media/{image.id}/{variant.name}.webp",
        headers={"If-None-Match": variant.etag},
    )
    assert again.status == 304 and again.body == b""


async def test_a_drafts_image_is_a_404_through_the_handler(
    invoke: Invoker, engine: AsyncEngine
) -> None:
    image = screenshot()
    async with make_sessionmaker(engine)() as session:
        await add_with_image(session, Project(name="Shop", slug="shop", is_published=False), image)

    response = invoke("http_api_v2_stage", "GET", f"/media/{image.id}/full.webp")

    assert response.status == 404
    assert response.json()["status_code"] == 404


CHILD = """
import base64, json, sys, types
sys.path.insert(0, {root!r})
import lambda_handler
heavy = ("fastapi", "sqlalchemy", "sqlmodel", "pydantic", "PIL", "boto3", "sqladmin")
context = types.SimpleNamespace(function_name="cms", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:cms",
    aws_request_id="test")
response = lambda_handler.handler(json.loads(sys.stdin.read()), context)
print("RESULT " + json.dumps({{"status": response["statusCode"],
    "base64": response.get("isBase64Encoded"), "type": response["headers"].get("content-type"),
    "body": response["body"], "heavy": [m for m in heavy if m in sys.modules]}}))
"""


async def test_a_cold_container_serves_an_image_without_the_full_stack(
    engine: AsyncEngine, database_url: str
) -> None:
    image = screenshot()
    async with make_sessionmaker(engine)() as session:
        await add_with_image(session, Basics(name="Ada"), image)
    event = helpers.make_event("rest_api_v1_stage", "GET", f"/media/{image.id}/320.webp")
    env = helpers.container_env(DATABASE_URL=database_url, ENVIRONMENT="test")

    answer = await helpers.child_result(CHILD.format(root=str(ROOT)), event, env)
    assert (answer["status"], answer["base64"], answer["type"]) == (200, True, "image/webp")
    assert base64.b64decode(answer["body"]) == image.variants[-1].data
    assert answer["heavy"] == [], "an image is served without FastAPI, SQLAlchemy or Pillow"
