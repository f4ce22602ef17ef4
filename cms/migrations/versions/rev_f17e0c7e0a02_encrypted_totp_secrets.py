"""encrypted totp secrets: two-factor secrets encrypted at rest under SECRET_KEY

``admin_users.totp_secret`` widens to hold a ``v1:`` Fernet token and every plain secret is
encrypted with the key derived from the ``SECRET_KEY`` of the settings in force (the same key
the app then reads them with). The downgrade decrypts them again.

Revision ID: f17e0c7e0a02
Revises: f16a55c0de01
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from cms.core.db import engine_settings
from cms.core.encryption import decrypt, encrypt, is_encrypted

# revision identifiers, used by Alembic.
revision: str = "f17e0c7e0a02"
down_revision: str | Sequence[str] | None = "f16a55c0de01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = sa.table(
    "admin_users",
    sa.column("id", sa.Integer()),
    sa.column("totp_secret", sa.String()),
)


def _rewrite(change: Callable[[str], str | None]) -> None:
    """Store ``change(secret)`` for every account with a secret (``None``: leave it)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_USERS.c.id, _USERS.c.totp_secret).where(_USERS.c.totp_secret.is_not(None))
    ).all()
    for user_id, stored in rows:
        new = change(stored)
        if new is not None:
            bind.execute(sa.update(_USERS).where(_USERS.c.id == user_id).values(totp_secret=new))


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
    key = engine_settings(op.get_bind()).secret_key
    _rewrite(lambda stored: None if is_encrypted(stored) else encrypt(stored, secret_key=key))


def downgrade() -> None:
    """Downgrade schema."""
    key = engine_settings(op.get_bind()).secret_key
    _rewrite(lambda stored: decrypt(stored, secret_key=key) if is_encrypted(stored) else None)
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
