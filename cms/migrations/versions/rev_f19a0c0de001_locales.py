"""locales: each section's translations, stored responses keyed by locale too

Every section table gets a ``translations`` JSON object (``{"de": {"summary": "…"}}``): a new
locale is a setting, never a migration. ``stored_responses`` gets ``locale`` in its primary
key; the rows already there are the default locale's (``en`` unless ``LOCALES`` says otherwise:
``cms db upgrade`` renders every locale's set again right after, the code being new).

Revision ID: f19a0c0de001
Revises: f18a0b0c0d01
Create Date: 2026-12-06 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f19a0c0de001"
down_revision: str | Sequence[str] | None = "f18a0b0c0d01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SECTION_TABLES = (
    "basics",
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
    """Upgrade schema."""
    for table in _SECTION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("translations", sa.JSON(), nullable=False, server_default="{}")
            )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("translations", server_default=None)
    with op.batch_alter_table("stored_responses") as batch:
        batch.add_column(
            sa.Column("locale", sa.String(length=35), nullable=False, server_default="en")
        )
        batch.drop_constraint("pk_stored_responses", type_="primary")
        batch.create_primary_key("pk_stored_responses", ["path", "locale", "version"])
    with op.batch_alter_table("stored_responses") as batch:
        batch.alter_column("locale", server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    # Derived data, and (path, version) would repeat across locales: the older release's
    # deploy step renders its set again.
    op.execute(sa.text("DELETE FROM stored_responses"))
    with op.batch_alter_table("stored_responses") as batch:
        batch.drop_constraint("pk_stored_responses", type_="primary")
        batch.create_primary_key("pk_stored_responses", ["path", "version"])
        batch.drop_column("locale")
    for table in _SECTION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("translations")
