"""Static publishing: the public API copied as files after every committed write.

To a folder (``PUBLISH_DIR``: nginx, Caddy, any static host) and/or an S3 bucket
(``PUBLISH_S3_*``, with CloudFront invalidations), at the paths clients already use, with the
API's bytes and headers. :mod:`~cms.staticpub.documents` says what is published and where,
:mod:`~cms.staticpub.folder` and :mod:`~cms.staticpub.s3` are the targets, and
:mod:`~cms.staticpub.outbox` publishes what is pending, so a target that is down never fails
a write and catches up later.
"""

from cms.staticpub.outbox import (
    Outcome,
    publish_lifespan,
    publish_pending,
    static_copy_state,
    targets_of,
    watch_commits,
)

__all__ = [
    "Outcome",
    "publish_lifespan",
    "publish_pending",
    "targets_of",
    "static_copy_state",
    "watch_commits",
]
