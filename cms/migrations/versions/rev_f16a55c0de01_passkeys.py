"""passkeys: WebAuthn credentials of owner accounts, and the challenges already answered

``admin_passkeys`` holds one row per registered passkey (credential id, COSE public key,
signature counter, transports, the owner's name for it, when it was made and last used).
``admin_passkey_challenges`` remembers the challenges that were answered until they expire, so
none is accepted twice.

Revision ID: f16a55c0de01
Revises: e15ed1a5e001
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f16a55c0de01"
down_revision: str | Sequence[str] | None = "e15ed1a5e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "admin_passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["admin_users.id"],
            name=op.f("fk_admin_passkeys_user_id_admin_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_admin_passkeys_credential_id")),
    )
    op.create_index(op.f("ix_admin_passkeys_user_id"), "admin_passkeys", ["user_id"], unique=False)
    op.create_table(
        "admin_passkey_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_passkey_challenges")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("admin_passkey_challenges")
    op.drop_index(op.f("ix_admin_passkeys_user_id"), table_name="admin_passkeys")
    op.drop_table("admin_passkeys")
