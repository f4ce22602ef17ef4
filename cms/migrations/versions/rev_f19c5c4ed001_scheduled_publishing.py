"""scheduled publishing: every list entry can carry publish_at and unpublish_at

Both are UTC times at which the entry's published state changes; ``cms publish-due``, the
server's tick and the Lambda's schedule apply them and clear them.

Revision ID: f19c5c4ed001
Revises: f19b0a1e5701
Create Date: 2026-12-06 09:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f19c5c4ed001"
down_revision: str | Sequence[str] | None = "f19b0a1e5701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_TABLES = (
    "profiles",
    "work",
    "projects",
    "skills",
    "volunteer",
    "education",
    "awards",
    "certificates",
    "publications",
    "languages",
    "interests",
    "cv_references",
)


def upgrade() -> None:
    for table in ENTRY_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("unpublish_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ENTRY_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("unpublish_at")
            batch.drop_column("publish_at")
