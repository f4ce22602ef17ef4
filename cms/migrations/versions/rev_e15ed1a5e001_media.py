"""media: uploaded images, their WebP variants, and entries that show one

``media`` holds one row per image (content-addressed id, size, placeholder colour, whether a
public entry shows it), ``media_variants`` one row per size (its bytes, or none when they are
in S3). Personal info and projects may refer to an uploaded image instead of an image URL, and
get a text alternative for either. Their public documents gain an ``image`` object: the stored
documents of the old shape are dropped, and ``cms db upgrade`` renders the current version's
set right after migrating.

Revision ID: e15ed1a5e001
Revises: d14a0ce5501e
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e15ed1a5e001"
down_revision: str | Sequence[str] | None = "d14a0ce5501e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ILLUSTRATED = ("basics", "projects")


def _drop_documents() -> None:
    """Forget the stored documents: their shape changes here (``cms db upgrade`` renders)."""
    op.execute(sa.text("DELETE FROM documents"))


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "media",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("placeholder", sa.String(length=16), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("original_bytes", sa.Integer(), nullable=False),
        sa.Column("stored_bytes", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_table(
        "media_variants",
        sa.Column("media_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=10), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_variants_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", "name", name=op.f("pk_media_variants")),
    )
    for table in _ILLUSTRATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("image_media_id", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("image_alt", sa.String(length=300), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_image_media_id_media"), "media", ["image_media_id"], ["id"]
            )
    _drop_documents()


def downgrade() -> None:
    """Downgrade schema."""
    for table in _ILLUSTRATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_image_media_id_media"), type_="foreignkey"
            )
            batch_op.drop_column("image_alt")
            batch_op.drop_column("image_media_id")
    op.drop_table("media_variants")
    op.drop_table("media")
    _drop_documents()
