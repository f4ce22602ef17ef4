"""Image variants in an S3 bucket (``MEDIA_STORAGE=s3``), through boto3.

Light on purpose: the public read path uses it when it serves variants from the bucket, so it
imports neither SQLAlchemy nor Pillow, and boto3 only when a bucket is first used (the Lambda
runtime ships boto3; elsewhere install the ``s3`` extra). Objects are written with the headers
a CDN keeps: ``Content-Type`` and ``Cache-Control: public, max-age=31536000, immutable`` (keys
are content-addressed: an object never changes).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from cms.media.urls import object_key

__all__ = ["IMMUTABLE", "S3Objects"]

IMMUTABLE = "public, max-age=31536000, immutable"
"""``Cache-Control`` of every variant, in the bucket and from ``/media``."""

_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


class S3Objects:
    """The variants' objects in one bucket under one prefix."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> S3Objects:
        """The bucket ``settings`` (full or read path's) name."""
        if not settings.media_s3_bucket:
            raise ValueError("MEDIA_S3_BUCKET must be set when MEDIA_STORAGE=s3")
        return cls(
            settings.media_s3_bucket,
            prefix=settings.media_s3_prefix,
            endpoint_url=settings.media_s3_endpoint_url or None,
        )

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (boto3 clients are thread-safe)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                # Short timeouts and few retries: an admin save waits on these calls.
                config = Config(
                    connect_timeout=5,
                    read_timeout=15,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                self._client = boto3.client("s3", endpoint_url=self.endpoint_url, config=config)
            return self._client

    def key(self, media_id: str, variant: str) -> str:
        """The object key of one variant."""
        return object_key(self.prefix, media_id, variant)

    def put(self, media_id: str, variant: str, data: bytes, content_type: str) -> None:
        """Store one variant (blocking: call it from a thread in async code)."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key(media_id, variant),
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def exists(self, media_id: str, variant: str) -> bool:
        """Whether one variant's object is in the bucket (blocking)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(media_id, variant))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def get(self, media_id: str, variant: str) -> bytes:
        """One variant's bytes (blocking)."""
        answer = self.client.get_object(Bucket=self.bucket, Key=self.key(media_id, variant))
        body = answer["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def delete(self, keys: Iterable[tuple[str, str]]) -> None:
        """Delete the objects of these (media id, variant) pairs (blocking).

        Raises :class:`RuntimeError` naming the keys the bucket refused to delete.
        """
        wanted = [{"Key": self.key(media_id, variant)} for media_id, variant in keys]
        refused: list[str] = []
        for start in range(0, len(wanted), _DELETE_BATCH):
            batch = wanted[start : start + _DELETE_BATCH]
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            refused += [error.get("Key", "?") for error in answer.get("Errors", [])]
        if refused:
            raise RuntimeError(f"the bucket refused to delete {', '.join(refused)}")
