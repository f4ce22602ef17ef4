"""stored responses: the published set records its query rules and what rendered it

``documents`` becomes ``stored_responses`` (the word "document" is kept for JSON Resume
documents) with a ``rules`` column (what requests may ask of each response), and the content
version records the fingerprint of the code that rendered its set. The stored responses are
derived data: they are dropped here and rendered again by ``cms db upgrade``.

Revision ID: f18a0b0c0d01
Revises: f17e0c7e0a02
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f18a0b0c0d01"
down_revision: str | Sequence[str] | None = "f17e0c7e0a02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(name: str, *, rules: bool) -> None:
    extra = [sa.Column("rules", sa.Text(), nullable=True)] if rules else []
    op.create_table(
        name,
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        *extra,
        sa.Column(
            "rendered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("path", "version", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_table("documents")
    _create("stored_responses", rules=True)
    with op.batch_alter_table("content_version") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("content_version") as batch:
        batch.drop_column("fingerprint")
    op.drop_table("stored_responses")
    _create("documents", rules=False)
