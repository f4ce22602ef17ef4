"""Passkeys (WebAuthn, checked by py_webauthn): the relying party a request names, the two
ceremonies' options and checks, single-use challenges, and the owner's stored credentials.

The relying party is the address the browser used: its host name (``ALLOWED_HOSTS`` must name
it) is the RP id, its scheme (``X-Forwarded-Proto`` only from ``TRUSTED_PROXIES``) and host the
expected origin. A challenge travels in a signed, five-minute, HttpOnly cookie; once answered,
its hash is stored until it expires (:mod:`cms.admin.passkey_store`), so an answer replayed on
any instance is refused. Both
ceremonies require user verification: a passkey proves possession and the owner's PIN or
biometric, which is why it replaces password and code together.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request

from cms.core.config import Settings
from cms.core.hosts import host_allowed, request_host, request_scheme
from cms.core.models import AdminPasskey, AdminUser
from cms.core.security import InvalidTokenError, create_access_token, decode_access_token

if TYPE_CHECKING:
    from webauthn.helpers.structs import (
        AuthenticationCredential,
        PublicKeyCredentialDescriptor,
        RegistrationCredential,
    )

__all__ = [
    "BODY_MAX_BYTES",
    "CHALLENGE_AUDIENCE",
    "CHALLENGE_COOKIE",
    "CHALLENGE_LIFETIME",
    "NAME_MAX",
    "Ceremony",
    "PasskeyRefused",
    "RelyingParty",
    "authentication_options",
    "base64url",
    "challenge_token",
    "expected_challenge",
    "parse_assertion",
    "parse_registration",
    "read_json",
    "registration_options",
    "relying_party",
    "user_handle",
    "valid_name",
    "verify_assertion",
    "verify_registration",
]

Ceremony = Literal["login", "register"]

CHALLENGE_COOKIE = "cms_admin_passkey"
CHALLENGE_LIFETIME = timedelta(minutes=5)
CHALLENGE_AUDIENCE = "portfolio-cms-passkey"
BODY_MAX_BYTES = 64 * 1024
"""The largest ceremony answer read: a credential id is at most 1023 bytes, keys are small."""
NAME_MAX = 100
RP_NAME = "Portfolio CMS"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# What the standard library under py_webauthn raises on a malformed answer; with the library's
# own WebAuthnException (:func:`_malformed`). py_webauthn, its ASN.1 modules and pyOpenSSL are
# imported by the ceremonies that need them, not by the login page (a cold start's first page).
_STDLIB_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


def _malformed() -> tuple[type[Exception], ...]:
    """What the library (or the standard library under it) raises on a malformed answer."""
    from webauthn.helpers.exceptions import WebAuthnException

    return (WebAuthnException, *_STDLIB_MALFORMED)


class PasskeyRefused(Exception):
    """A ceremony refused: ``message`` is shown to the owner, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkey is for: the RP id (a host name) and the origin the browser must report."""

    id: str
    origin: str


def relying_party(request: Request, settings: Settings) -> RelyingParty:
    """The relying party of the address this request was sent to."""
    host = request_host(request.headers)
    if not host or not host_allowed(host, settings.allowed_hosts):
        raise PasskeyRefused("This address is not served here.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise PasskeyRefused(
            "Passkeys need the back office's host name in the address bar, not an IP address."
        )
    scheme = request_scheme(request.scope, settings.trusted_proxies)
    authority = request.headers.get("host", "").strip().lower()
    name, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if port == _DEFAULT_PORTS[scheme]:
        authority = name
    return RelyingParty(id=host, origin=f"{scheme}://{authority}")


def base64url(data: bytes) -> str:
    """``data`` in unpadded base64url, as WebAuthn writes credential ids and challenges."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def user_handle(user: AdminUser) -> bytes:
    """The account's WebAuthn user handle: stable, opaque, and no personal data."""
    return hashlib.sha256(f"portfolio-cms-admin:{user.id}".encode()).digest()


def valid_name(raw: object) -> str:
    """The owner's name for a passkey, trimmed; refused if empty, too long or not text."""
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not name:
        raise PasskeyRefused("Give the passkey a name, e.g. the device it lives on.")
    if len(name) > NAME_MAX or not name.isprintable():
        raise PasskeyRefused(f"A passkey's name has at most {NAME_MAX} printable characters.")
    return name


async def read_json(request: Request) -> Any:
    """The request's JSON body, refused unread beyond :data:`BODY_MAX_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_MAX_BYTES:
        raise PasskeyRefused("The request is too large.", 413)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > BODY_MAX_BYTES:
            raise PasskeyRefused("The request is too large.", 413)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise PasskeyRefused("The request is not JSON.") from None


# --- challenges ------------------------------------------------------------------------


def challenge_token(
    settings: Settings, ceremony: Ceremony, challenge: bytes, user_id: int | None = None
) -> str:
    """The signed cookie value that carries ``challenge`` to the answer's request."""
    claims: dict[str, Any] = {"chl": base64url(challenge)}
    if user_id is not None:
        claims["uid"] = user_id
    return create_access_token(
        subject=ceremony,
        secret_key=settings.secret_key,
        lifetime=CHALLENGE_LIFETIME,
        claims=claims,
        audience=CHALLENGE_AUDIENCE,
    )


def expected_challenge(
    request: Request, settings: Settings, ceremony: Ceremony, user_id: int | None = None
) -> str:
    """The challenge this browser was given for ``ceremony`` (base64url); refused if expired."""
    token = request.cookies.get(CHALLENGE_COOKIE, "")
    again = "Sign-in" if ceremony == "login" else "Registration"
    missing = PasskeyRefused(f"{again} was not started in this browser. Please try again.")
    if not token or len(token) > 4096:
        raise missing
    try:
        claims = decode_access_token(
            token, secret_key=settings.secret_key, audience=CHALLENGE_AUDIENCE
        )
    except InvalidTokenError as exc:
        if str(exc) == "ExpiredSignatureError":
            raise PasskeyRefused(
                f"{again} took longer than 5 minutes and expired. Please try again."
            ) from None
        raise missing from None
    challenge = claims.get("chl")
    if claims.get("sub") != ceremony or claims.get("uid") != user_id:
        raise missing
    if not isinstance(challenge, str) or not 0 < len(challenge) <= 200:
        raise missing
    return challenge


def _check_client_data(
    client_data_json: bytes, rp: RelyingParty, *, challenge: str, kind: str
) -> None:
    """The answer's own claims, checked first for a precise message (the library re-checks)."""
    from webauthn.helpers import parse_client_data_json

    try:
        client = parse_client_data_json(client_data_json)
    except _malformed():
        raise PasskeyRefused("The passkey's answer is malformed.") from None
    if client.type != kind or base64url(client.challenge) != challenge:
        raise PasskeyRefused("The passkey answered another request. Please try again.")
    if client.origin != rp.origin:
        raise PasskeyRefused(
            f"The passkey answered for another address; use the back office at {rp.origin}."
        )


# --- registration ------------------------------------------------------------------------


def _descriptor(passkey: AdminPasskey) -> PublicKeyCredentialDescriptor:
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    transports = {t.value for t in AuthenticatorTransport}
    known = [AuthenticatorTransport(t) for t in passkey.transports if t in transports]
    raw = base64url_to_bytes(passkey.credential_id)
    return PublicKeyCredentialDescriptor(id=raw, transports=known or None)


def registration_options(
    rp: RelyingParty, user: AdminUser, existing: Sequence[AdminPasskey]
) -> tuple[str, bytes]:
    """``navigator.credentials.create`` options as JSON, and their challenge."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_name=user.username,
        user_id=user_handle(user),
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in existing],
    )
    return options_to_json(options), options.challenge


def parse_registration(credential: object) -> RegistrationCredential:
    """The browser's answer to ``create()``, parsed; refused if it is not one."""
    from webauthn.helpers import parse_registration_credential_json

    try:
        return parse_registration_credential_json(credential)  # type: ignore[arg-type]
    except _malformed():
        raise PasskeyRefused("That is not a passkey's answer.") from None


def verify_registration(
    rp: RelyingParty, credential: RegistrationCredential, challenge: str
) -> tuple[bytes, bytes, int]:
    """Check a new passkey; its credential id, COSE public key and signature counter."""
    from webauthn import verify_registration_response
    from webauthn.helpers import base64url_to_bytes

    _check_client_data(
        credential.response.client_data_json, rp, challenge=challenge, kind="webauthn.create"
    )
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except _malformed() as exc:
        raise PasskeyRefused(f"The passkey was not accepted: {exc}") from None
    return verified.credential_id, verified.credential_public_key, verified.sign_count


# --- authentication ----------------------------------------------------------------------


def authentication_options(rp: RelyingParty) -> tuple[str, bytes]:
    """``navigator.credentials.get`` options (any passkey of this site), and their challenge."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options), options.challenge


def parse_assertion(credential: object) -> AuthenticationCredential:
    """The browser's answer to ``get()``, parsed; refused if it is not one."""
    from webauthn.helpers import parse_authentication_credential_json

    try:
        return parse_authentication_credential_json(credential)  # type: ignore[arg-type]
    except _malformed():
        raise PasskeyRefused("That is not a passkey's answer.") from None


def verify_assertion(
    rp: RelyingParty,
    credential: AuthenticationCredential,
    challenge: str,
    passkey: AdminPasskey,
    user: AdminUser,
) -> int:
    """Check a sign-in with ``passkey`` of ``user``; the authenticator's new signature counter."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes

    _check_client_data(
        credential.response.client_data_json, rp, challenge=challenge, kind="webauthn.get"
    )
    handle = credential.response.user_handle
    if handle is not None and handle != user_handle(user):
        raise PasskeyRefused("This passkey does not belong to the account it names.", 401)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except _malformed():
        raise PasskeyRefused("The passkey's signature was not accepted.", 401) from None
    return int(verified.new_sign_count)
