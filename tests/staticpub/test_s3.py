"""The S3 target on moto's S3 server: objects as the API answers, deletions, a server down."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Project
from cms.content.session import make_sessionmaker
from cms.main import create_app
from cms.public.readpath import ReadPath
from cms.staticpub import publish_pending, static_copy_state
from tests.databases import make_settings
from tests.media.helpers import add_with_image, photo
from tests.servers import free_port
from tests.staticpub.conftest import seed, watching
from tests.staticpub.helpers import whole_cv_paths


def _objects(s3: Any, bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Every object under ``prefix``: its path, bytes and headers."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            answer = s3.get_object(Bucket=bucket, Key=item["Key"])
            found["/" + item["Key"].removeprefix(prefix)] = {
                "body": answer["Body"].read(),
                "content_type": answer["ContentType"],
                "cache_control": answer["CacheControl"],
                "etag": answer["Metadata"]["etag"],
                "modified": answer["LastModified"],
            }
    return found


async def _assert_as_the_api(client: httpx.AsyncClient, objects: dict[str, Any]) -> None:
    for path, stored in objects.items():
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert stored["body"] == answer.content, path
        assert stored["content_type"] == answer.headers["content-type"], path
        assert stored["cache_control"] == answer.headers["cache-control"], path
        assert stored["etag"] == answer.headers["etag"], path


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"cms-site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


async def test_every_object_as_the_api_answers_new_first_then_deletions(
    database_url: str,
    engine: AsyncEngine,
    s3_endpoint: str,
    s3: Any,
    bucket: str,
    app: ReadPath,
    client: httpx.AsyncClient,
) -> None:
    settings = make_settings(
        database_url,
        publish_s3_bucket=bucket,
        publish_s3_prefix="site/",
        publish_s3_endpoint_url=s3_endpoint,
    )
    writer = await watching(settings)
    try:
        await seed(writer)
        objects = _objects(s3, bucket, "site/")
        assert whole_cv_paths() <= set(objects)
        await _assert_as_the_api(client, objects)

        async with make_sessionmaker(writer)() as session:
            project = (
                await session.scalars(select(Project).where(Project.is_published).limit(1))
            ).one()
            gone = {f"/api/v1/projects/{project.slug}", f"/api/projects/{project.id}"}
            await session.delete(project)
            await session.commit()
        after = _objects(s3, bucket, "site/")
        assert gone <= set(objects) and not gone & set(after)
        # Unchanged objects are not written again.
        assert after["/api/v1/education"]["modified"] == objects["/api/v1/education"]["modified"]
        app.invalidate()  # the app heard of the write on another engine: ask it now
        await _assert_as_the_api(client, after)
        async with make_sessionmaker(writer)() as session:
            assert await static_copy_state(session, settings) == (0, None)
    finally:
        await writer.dispose()


async def test_a_save_while_the_bucket_is_down_is_published_at_the_next_retry(
    database_url: str, engine: AsyncEngine, s3_endpoint: str, client: httpx.AsyncClient
) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    name = f"cms-later-{uuid.uuid4().hex[:12]}"  # moto's buckets outlive its servers
    settings = make_settings(database_url, publish_s3_bucket=name, publish_s3_endpoint_url=endpoint)
    writer = await watching(settings)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        await seed(writer)  # no error for the owner
        assert (await client.get("/api/v1/resume")).status_code == 200
        async with make_sessionmaker(writer)() as session:
            behind, error = await static_copy_state(session, settings)
        assert behind and behind >= 1 and error and "EndpointConnectionError" in error

        server.start()
        import boto3

        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
        [outcome] = await publish_pending(writer)  # one retry
        assert outcome.ok and not outcome.skipped
        async with make_sessionmaker(writer)() as session:
            assert await static_copy_state(session, settings) == (0, None)
        s3 = boto3.client("s3", endpoint_url=endpoint)
        objects = _objects(s3, name, "")
        assert whole_cv_paths() <= set(objects)
        await _assert_as_the_api(client, objects)
    finally:
        server.stop()
        await writer.dispose()


async def test_changed_paths_are_invalidated_on_cloudfront(
    database_url: str,
    engine: AsyncEngine,
    s3_endpoint: str,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3

    # boto3 sends CloudFront's calls to moto's server too (a service's own endpoint setting).
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", s3_endpoint)
    cloudfront = boto3.client("cloudfront", endpoint_url=s3_endpoint)
    origin = {
        "Id": "site",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )["Distribution"]["Id"]
    settings = make_settings(
        database_url,
        publish_s3_bucket=bucket,
        publish_s3_endpoint_url=s3_endpoint,
        publish_cloudfront_distribution_id=distribution,
    )
    writer = await watching(settings)
    try:
        await seed(writer)
        listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
        assert listed["Quantity"] == 1
        batch = cloudfront.get_invalidation(
            DistributionId=distribution, Id=listed["Items"][0]["Id"]
        )["Invalidation"]["InvalidationBatch"]
        assert batch["Paths"]["Items"] == ["/*"]  # the first copy: every path

        async with make_sessionmaker(writer)() as session:
            project = (
                await session.scalars(select(Project).where(Project.is_published).limit(1))
            ).one()
            project.name = "Renamed"
            await session.commit()
        listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
        assert listed["Quantity"] == 2
        paths = {
            path
            for item in listed["Items"]
            for path in cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])[
                "Invalidation"
            ]["InvalidationBatch"]["Paths"]["Items"]
        }
        assert {"/api/v1/projects", "/api/projects", "/api/v1/resume", "/cv"} <= paths
        assert "/api/v1/education" not in paths
    finally:
        await writer.dispose()


async def test_images_kept_in_s3_are_copied_with_their_bytes(
    database_url: str, engine: AsyncEngine, s3_endpoint: str, s3: Any, bucket: str
) -> None:
    media = f"cms-media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=media)
    settings = make_settings(
        database_url,
        media_storage="s3",
        media_s3_bucket=media,
        media_s3_endpoint_url=s3_endpoint,
        publish_s3_bucket=bucket,
        publish_s3_endpoint_url=s3_endpoint,
    )
    writer = await watching(settings)
    app = create_app(settings, writer)
    try:
        async with make_sessionmaker(writer)() as session:
            await add_with_image(session, Project(name="Lens", slug="lens"), photo())
        objects = _objects(s3, bucket, "")
        variants = {path for path in objects if path.startswith("/media/")}
        assert variants == {f"/media/{photo().id}/{v.name}.webp" for v in photo().variants}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await _assert_as_the_api(client, objects)
    finally:
        await app.database.close()
        await writer.dispose()
