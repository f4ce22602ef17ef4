"""The S3 target (``PUBLISH_S3_BUCKET``): each public path as an object, for CloudFront.

An object's key is its path (:func:`cms.staticpub.documents.object_key`) under
``PUBLISH_S3_PREFIX``: ``api/v1/resume``, ``api/resume``, ``cv``, ``media/<id>/640.webp``.
Each carries the API's ``Content-Type`` and ``Cache-Control``, and the API's ETag as the
metadata ``etag`` (a client reads it as the header ``x-amz-meta-etag``; S3's own ``ETag`` is
the MD5 of the bytes, just as strong for revalidating). New and changed objects are written
first, deletions after, then CloudFront is told which paths changed
(``PUBLISH_CLOUDFRONT_DISTRIBUTION_ID``). boto3 is imported on first use (the ``s3`` extra;
the Lambda runtime has it).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from cms.core.config import Settings
from cms.staticpub.documents import Document

__all__ = ["S3Target"]

_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
_INVALIDATION_PATHS = 50  # beyond this many changed paths, one wildcard is cheaper


class S3Target:
    """Static copies in one bucket under one prefix."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        distribution_id: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self.distribution_id = distribution_id
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Target:
        """The bucket ``settings`` name (``PUBLISH_S3_BUCKET`` must be set)."""
        if not settings.publish_s3_bucket:
            raise ValueError("PUBLISH_S3_BUCKET is not set")
        return cls(
            settings.publish_s3_bucket,
            prefix=settings.publish_s3_prefix,
            endpoint_url=settings.publish_s3_endpoint_url or None,
            distribution_id=settings.publish_cloudfront_distribution_id or None,
        )

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                # Short timeouts and one retry: the owner's save waits for the first attempt,
                # and the outbox retries a target that is down.
                config = Config(
                    connect_timeout=2,
                    read_timeout=10,
                    retries={"max_attempts": 2, "mode": "standard"},
                )
                endpoint = self.endpoint_url if service == "s3" else None
                self._clients[service] = boto3.client(service, endpoint_url=endpoint, config=config)
            return self._clients[service]

    def needed(self, documents: dict[str, Document], manifest: dict[str, str]) -> set[str]:
        """The keys whose objects must be written: new or changed since the last publish."""
        return {key for key, document in documents.items() if manifest.get(key) != document.etag}

    def publish(
        self,
        version: int,
        documents: dict[str, Document],
        needed: set[str],
        manifest: dict[str, str],
    ) -> tuple[int, int]:
        """Write the ``needed`` objects, then delete the ones gone since ``manifest``
        (blocking); the numbers of objects written and deleted."""
        s3 = self._client("s3")
        for key in sorted(needed):
            document = documents[key]
            if document.body is None:
                raise ValueError(f"no bytes for {key}")
            s3.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=document.body,
                ContentType=document.content_type,
                CacheControl=document.cache_control,
                Metadata={"etag": document.etag, "content-version": str(version)},
            )
        gone = sorted(set(manifest) - set(documents))
        refused: list[str] = []
        for start in range(0, len(gone), _DELETE_BATCH):
            batch = [{"Key": self.prefix + key} for key in gone[start : start + _DELETE_BATCH]]
            answer = s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            refused += [error.get("Key", "?") for error in answer.get("Errors", [])]
        if refused:
            raise RuntimeError(f"the bucket refused to delete {', '.join(refused)}")
        self._invalidate(sorted(needed | set(gone)))
        return len(needed), len(gone)

    def _invalidate(self, keys: list[str]) -> None:
        if not self.distribution_id or not keys:
            return
        paths = ["/" + key for key in keys] if len(keys) <= _INVALIDATION_PATHS else ["/*"]
        self._client("cloudfront").create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": f"cms-{time.time_ns()}",
            },
        )
