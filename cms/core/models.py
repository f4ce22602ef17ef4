"""The system's own tables: content version, owner accounts, their sessions and passkeys,
throttling, audit log, rebuild state, documents, API tokens.

Also the column helpers and naming convention every table shares (the CV's tables are in
:mod:`cms.content.models`).
"""

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, BigInteger, DateTime, Index, LargeBinary, Text, func
from sqlmodel import Field, SQLModel

__all__ = [
    "AdminPasskey",
    "AdminSession",
    "AdminUser",
    "ApiToken",
    "AuditLog",
    "ContentVersion",
    "LoginAttempt",
    "LoginThrottle",
    "PasskeyChallenge",
    "RecoveryCode",
    "RebuildState",
    "Revision",
    "StoredResponse",
    "as_utc",
    "json_dict_field",
    "json_list_field",
    "timestamp_field",
    "utcnow",
]


# Named constraints: Alembic can then alter or drop them later (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now, for Python-side defaults."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC time: SQLite hands back naive datetimes, stored in UTC."""
    if value is None or value.tzinfo:
        return value
    return value.replace(tzinfo=UTC)


def timestamp_field(*, onupdate: bool = False) -> Any:
    """A timezone-aware timestamp column set on insert (and on update if asked)."""
    kwargs: dict[str, Any] = {"server_default": func.now()}
    if onupdate:
        kwargs["onupdate"] = func.now()
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs=kwargs,
    )


def json_list_field() -> Any:
    """A JSON column holding a list, empty by default."""
    return Field(default_factory=list, sa_type=JSON)


def json_dict_field() -> Any:
    """A JSON column holding an object, empty by default."""
    return Field(default_factory=dict, sa_type=JSON)


# --- content version -----------------------------------------------------------------


class ContentVersion(SQLModel, table=True):
    """A single row whose counter moves with every content write (cache validity, ETags)."""

    __tablename__ = "content_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    fingerprint: str | None = Field(default=None, max_length=64)
    """What rendered the version's public responses (``cms.content.publish.fingerprint``)."""
    updated_at: datetime = timestamp_field(onupdate=True)


# --- back office ---------------------------------------------------------------------


class AdminUser(SQLModel, table=True):
    """An owner account for the back office."""

    __tablename__ = "admin_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    last_login_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp_field()
    totp_secret: str | None = Field(default=None, max_length=255)
    """TOTP secret (RFC 6238), encrypted (``cms.core.encryption``); set while enrolling, used
    once ``totp_enabled``."""
    totp_enabled: bool = False
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    """Time step of the last code accepted: a code is never accepted twice."""

    def __str__(self) -> str:
        return self.username


class AdminSession(SQLModel, table=True):
    """A logged-in browser: the cookie's token names it; deleting the row ends the session."""

    __tablename__ = "admin_sessions"

    id: str = Field(primary_key=True, max_length=64)
    """SHA-256 of the secret in the token: a copy of this table opens no session."""
    user_id: int = Field(foreign_key="admin_users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    client: str = Field(max_length=100)
    user_agent: str = Field(default="", max_length=200)


class RecoveryCode(SQLModel, table=True):
    """A single-use recovery code for two-factor login, stored hashed."""

    __tablename__ = "admin_recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="admin_users.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AdminPasskey(SQLModel, table=True):
    """A passkey (WebAuthn credential) that logs its account in without password or code."""

    __tablename__ = "admin_passkeys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="admin_users.id", index=True, ondelete="CASCADE")
    credential_id: str = Field(max_length=1400, sa_column_kwargs={"unique": True})
    """The credential's id, base64url (at most 1023 bytes, as WebAuthn allows)."""
    public_key: bytes = Field(sa_type=LargeBinary)
    """The credential's COSE public key, as the authenticator gave it at registration."""
    sign_count: int = Field(default=0, sa_type=BigInteger)
    """The authenticator's signature counter (32 bits, unsigned) at the last login."""
    transports: list[str] = json_list_field()
    """How the browser reaches the authenticator (``internal``, ``usb``, ``hybrid``…)."""
    name: str = Field(max_length=100)
    created_at: datetime = timestamp_field()
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    def __str__(self) -> str:
        return self.name


class PasskeyChallenge(SQLModel, table=True):
    """A passkey challenge already answered: each one is accepted once (``cms.admin.passkeys``)."""

    __tablename__ = "admin_passkey_challenges"

    id: str = Field(primary_key=True, max_length=64)
    """SHA-256 hex of the challenge."""
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    """After this the challenge is refused anyway: the row may go."""


class LoginThrottle(SQLModel, table=True):
    """Login attempts counted per key in a fixed window, shared by every instance.

    Keys: ``user:NAME`` and ``client:ADDRESS`` for browsers without a device token,
    ``device:NONCE`` for a browser that logged in before (OWASP "device cookies").
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=200)
    username: str | None = Field(default=None, max_length=100, index=True)
    attempts: int = 0
    window_start: datetime = Field(sa_type=DateTime(timezone=True))


class LoginAttempt(SQLModel, table=True):
    """A failed login, kept in the database so throttling holds across instances."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, index=True)
    client: str = Field(max_length=100, index=True)
    created_at: datetime = timestamp_field()


class AuditLog(SQLModel, table=True):
    """Who changed which record, when, and what."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100)
    action: str = Field(max_length=20)
    table_name: str = Field(max_length=100)
    record_id: str | None = Field(default=None, max_length=100)
    record_label: str | None = Field(default=None, max_length=300)
    changes: dict[str, Any] = json_dict_field()
    created_at: datetime = timestamp_field()

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.table_name} #{self.record_id}"


class Revision(SQLModel, table=True):
    """One row as one content version changed it (``cms.content.revisions``).

    ``before`` and ``after`` hold the whole row when it was deleted or created, and only the
    changed columns when it was updated; ``row_key`` is its primary key (``"12"``, or
    ``"3:7"`` for a link row). Not content: writing it does not move the version.
    """

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_table_row", "table_name", "row_key"),)

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(index=True)
    """The content version the write made."""
    table_name: str = Field(max_length=100)
    row_key: str = Field(max_length=100)
    action: str = Field(max_length=10)
    """``create``, ``update`` or ``delete``."""
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    username: str = Field(max_length=100)
    created_at: datetime = timestamp_field()


# --- build hooks ----------------------------------------------------------------------


class RebuildState(SQLModel, table=True):
    """Where the build hooks stand: one row (id 1) shared by every instance (see cms.rebuild).

    Not content: writing it does not move the content version.
    """

    __tablename__ = "rebuild_state"

    id: int = Field(default=1, primary_key=True)
    rebuilt_version: int = 0
    """Content version every configured build hook has accepted."""
    hook_versions: dict[str, int] = json_dict_field()
    """Per hook (keyed by a hash of its URL, never the URL): the last version it accepted."""
    attempt_version: int | None = None
    last_attempt_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_success_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_status: str | None = Field(default=None, max_length=20)
    last_trigger: str | None = Field(default=None, max_length=20)
    last_results: list[dict[str, Any]] = json_list_field()
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """A lease: while it lies in the future, one instance is calling the hooks."""


# --- stored documents (the public read path) ----------------------------------------


class StoredResponse(SQLModel, table=True):
    """A public response rendered by the write that made its content (``cms.content.publish``).

    Keyed by path, locale and content version: the transaction that moves the version stores every
    public response under the new version (rendered if the write touched it, else carried
    over), and keeps the previous version's rows for readers that have not seen the new version
    yet. Read by :mod:`cms.public.readpath`. Not content: writing it does not move the version.
    """

    __tablename__ = "stored_responses"

    path: str = Field(primary_key=True, max_length=200)
    """A public path without query (``cms.content.publish.PUBLISHED``)."""
    locale: str = Field(primary_key=True, max_length=35)
    """The locale it is written in (``LOCALES``, ``?locale=``)."""
    version: int = Field(primary_key=True)
    """The content version this row belongs to."""
    status: int = 200
    """200, or 404 for a document that does not exist yet (personal info never entered)."""
    etag: str = Field(max_length=100)
    body: bytes = Field(sa_type=LargeBinary)
    """The response body; for a 404, the error message."""
    media_type: str = Field(max_length=100)
    rules: str | None = Field(default=None, sa_type=Text)
    """What requests may ask of it, as JSON (``cms.content.queries.Rules``)."""
    rendered_at: datetime = timestamp_field()


# --- API tokens ------------------------------------------------------------------------


class ApiToken(SQLModel, table=True):
    """A named token the owner gives a program (``cms.core.tokens``); only its hash is kept.

    Not content: creating, using or revoking one does not move the content version.
    """

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    scope: str = Field(max_length=20)
    """What the token may do: ``read-drafts`` or ``write-resume``."""
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    """SHA-256 hex of the token (``cms.core.tokenhash``): the lookup key, never the token."""
    prefix: str = Field(max_length=8)
    """The token's first characters, to tell tokens apart in lists."""
    created_at: datetime = timestamp_field()
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """Recorded at most once a minute: a busy token does not write on every request."""
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_by: str = Field(max_length=100)

    def __str__(self) -> str:
        return self.name
