"""A local S3-compatible server (moto's server mode) and buckets on it, for the S3 backend."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.core.config import Settings
from cms.core.db import create_engine
from tests.databases import make_settings

moto_server = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1, with dummy credentials for boto3 (it checks none)."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_PROFILE", raising=False)
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client of the test server, to create buckets and look at objects."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket."""
    name = f"cms-media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_settings(database_url: str, s3_endpoint: str, bucket: str) -> Settings:
    """Settings storing images in ``bucket`` on the test server."""
    return make_settings(
        database_url,
        media_storage="s3",
        media_s3_bucket=bucket,
        media_s3_prefix="cv/",
        media_s3_endpoint_url=s3_endpoint,
    )


@pytest.fixture
async def s3_engine(s3_settings: Settings, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine on the database under test whose writes keep images in the bucket."""
    s3_engine = create_engine(s3_settings)
    yield s3_engine
    await s3_engine.dispose()
