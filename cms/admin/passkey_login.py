"""Signing in with a passkey: no username, no password, no code (``static/passkeys.js``).

``POST /admin/passkey/options`` hands the browser a challenge for any passkey of this site
(a discoverable credential names its own account); ``POST /admin/passkey/login`` takes the
answer. Every answer is charged to the login throttle before it is checked, exactly like a
password, and a failure is recorded like one. Success opens the same server-side session a
password and code open: the passkey required user verification, so it stands for both.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cms.admin.auth import JWTCookieAuth, client_address
from cms.admin.loginpage import PASSKEY_LOGIN_PATH, PASSKEY_OPTIONS_PATH
from cms.admin.passkey_store import consume_challenge, find_passkey, record_use
from cms.admin.passkeys import (
    CHALLENGE_COOKIE,
    CHALLENGE_LIFETIME,
    PasskeyRefused,
    authentication_options,
    base64url,
    challenge_token,
    expected_challenge,
    parse_assertion,
    read_json,
    relying_party,
    verify_assertion,
)
from cms.admin.throttle import reserve, throttle_keys
from cms.core.jsonerror import error_response

__all__ = ["PasskeyLogin"]

logger = logging.getLogger(__name__)


class PasskeyLogin:
    """The two endpoints of a passkey sign-in, on one admin app's authentication backend."""

    def __init__(self, auth: JWTCookieAuth) -> None:
        self.auth = auth
        self.settings = auth.settings

    def routes(self) -> list[Route]:
        """The endpoints, to be added to the admin's router (they need no session)."""
        return [
            Route(PASSKEY_OPTIONS_PATH, self.options, methods=["POST"], name="passkey-options"),
            Route(PASSKEY_LOGIN_PATH, self.login, methods=["POST"], name="passkey-login"),
        ]

    def _refused(self, request: Request, refusal: PasskeyRefused) -> Response:
        response = error_response(refusal.status, refusal.message)
        self.auth.clear_cookie(response, request, CHALLENGE_COOKIE)
        return response

    async def options(self, request: Request) -> Response:
        """A challenge for any of this site's passkeys, as ``navigator.credentials.get`` wants."""
        try:
            rp = relying_party(request, self.settings)
        except PasskeyRefused as refusal:
            return self._refused(request, refusal)
        options, challenge = authentication_options(rp)
        response = Response(options, media_type="application/json")
        token = challenge_token(self.settings, "login", challenge)
        age = int(CHALLENGE_LIFETIME.total_seconds())
        self.auth.set_cookie(response, request, CHALLENGE_COOKIE, token, age)
        return response

    async def login(self, request: Request) -> Response:
        """Check the passkey's answer; on success open a session and go to the dashboard."""
        try:
            rp = relying_party(request, self.settings)
            credential = parse_assertion(await read_json(request))
            challenge = expected_challenge(request, self.settings, "login")
        except PasskeyRefused as refusal:
            return self._refused(request, refusal)
        sessionmaker = self.auth.sessionmaker
        credential_id = base64url(credential.raw_id)
        async with sessionmaker() as session:
            found = await find_passkey(session, credential_id)
        username = found[1].username if found is not None else ""
        client = client_address(request, self.settings)
        device = self.auth.device_nonce(request, username) if username else None
        keys = throttle_keys(username=username, client=client, device=device)
        wait = await reserve(sessionmaker, keys, self.auth.limits)
        if wait:
            logger.warning("passkey login refused: too many attempts from %s", client)
            minutes = max(1, -(-wait // 60))
            plural = "s" if minutes != 1 else ""
            message = f"Too many failed login attempts. Try again in {minutes} minute{plural}."
            response = self._refused(request, PasskeyRefused(message, 429))
            response.headers["Retry-After"] = str(wait)
            return response
        async with sessionmaker() as session:
            try:
                if not await consume_challenge(session, challenge):
                    raise PasskeyRefused("This sign-in request was used already. Please try again.")
                await session.commit()
                found = await find_passkey(session, credential_id)
                if found is None or not found[1].is_active:
                    raise PasskeyRefused("This passkey is not registered here.", 401)
                passkey, user = found
                sign_count = verify_assertion(rp, credential, challenge, passkey, user)
                if not await record_use(session, passkey, sign_count):
                    raise PasskeyRefused("This passkey was used at the same moment elsewhere.", 401)
            except PasskeyRefused as refusal:
                await session.rollback()
                await self.auth.record_failure(session, username, client)
                logger.info("passkey login refused (%d) from %s", refusal.status, client)
                return self._refused(request, refusal)
            response = await self.auth.finish_login(session, request, user, keys, client)
        self.auth.clear_cookie(response, request, CHALLENGE_COOKIE)
        return response
