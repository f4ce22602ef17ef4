"""one word per meaning: published_documents → documents, publish_state → rebuild_state

"Published" is the draft flag of a CV entry; rendered responses are documents and the build
hooks' bookkeeping is the rebuild state (its published_version becomes rebuilt_version).

Revision ID: 7c1d2e3f4a5b
Revises: 535fff8b801f
Create Date: 2026-12-03 06:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7c1d2e3f4a5b"
down_revision: str | Sequence[str] | None = "535fff8b801f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RENAMES = (("published_documents", "documents"), ("publish_state", "rebuild_state"))


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE "{new}" RENAME CONSTRAINT "pk_{old}" TO "pk_{new}"')


def upgrade() -> None:
    """Upgrade schema."""
    for old, new in _RENAMES:
        _rename(old, new)
    op.execute("ALTER TABLE rebuild_state RENAME COLUMN published_version TO rebuilt_version")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("ALTER TABLE rebuild_state RENAME COLUMN rebuilt_version TO published_version")
    for old, new in _RENAMES:
        _rename(new, old)
