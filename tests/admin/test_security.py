"""Password hashing and JWT handling, without the app."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt

from cms.core.security import (
    InvalidTokenError,
    create_access_token,
    decode_access_token,
    hash_password,
    verify_password,
)

KEY = "k" * 48


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_passwords_are_hashed_with_argon2_and_verified() -> None:
    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert "a long enough password" not in hashed
    assert verify_password("a long enough password", hashed)
    assert not verify_password("a long enough passworD", hashed)


def test_unknown_user_and_garbage_hash_fail_closed() -> None:
    assert not verify_password("whatever password", None)
    assert not verify_password("whatever password", "not-a-hash")


def test_token_round_trip_carries_claims_and_expiry() -> None:
    now = datetime.now(UTC)
    token = create_access_token(
        subject="owner", secret_key=KEY, lifetime=timedelta(minutes=30), claims={"uid": 7}, now=now
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = decode_access_token(token, secret_key=KEY)
    assert claims["sub"] == "owner"
    assert claims["uid"] == 7
    assert claims["exp"] - claims["iat"] == 30 * 60


def test_expired_token_is_refused() -> None:
    token = create_access_token(
        subject="owner",
        secret_key=KEY,
        lifetime=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(minutes=6),
    )
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)


def test_token_signed_with_another_key_is_refused() -> None:
    token = create_access_token(subject="owner", secret_key="x" * 48, lifetime=timedelta(hours=1))
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)


def test_tampered_payload_is_refused() -> None:
    token = create_access_token(subject="owner", secret_key=KEY, lifetime=timedelta(hours=1))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "attacker"
    with pytest.raises(InvalidTokenError):
        decode_access_token(f"{header}.{_b64(claims)}.{signature}", secret_key=KEY)


def test_alg_none_token_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "owner", "aud": "portfolio-cms-admin", "iat": now, "exp": now + 600}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    with pytest.raises(InvalidTokenError):
        decode_access_token(unsigned, secret_key=KEY)


def test_other_hmac_algorithm_with_the_right_key_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "owner", "aud": "portfolio-cms-admin", "iat": now, "exp": now + 600}
    token = jwt.encode(claims, KEY, algorithm="HS512")
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)


def test_token_without_expiry_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode(
        {"sub": "owner", "aud": "portfolio-cms-admin", "iat": now}, KEY, algorithm="HS256"
    )
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)


def test_non_ascii_algorithm_is_refused_as_an_invalid_token() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "owner", "aud": "portfolio-cms-admin", "iat": now, "exp": now + 600}
    token = f"{_b64({'alg': 'HS256é', 'typ': 'JWT'})}.{_b64(claims)}.c2ln"
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret_key=KEY)
