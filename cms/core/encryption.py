"""Secrets kept at rest (TOTP secrets): Fernet under a key derived from ``SECRET_KEY``.

HKDF-SHA256 turns ``SECRET_KEY`` into a 32-byte key with a fixed label, so the same
``SECRET_KEY`` that signs cookies never serves as an encryption key itself. A stored value is
``v1:`` followed by the Fernet token (AES-128-CBC with HMAC-SHA256, authenticated). Values
without a version marker are the plain secrets stored before encryption; they still read.
cryptography's modules are imported by the first value encrypted or read, not with the app.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

__all__ = ["VERSION", "DecryptionError", "decrypt", "encrypt", "is_encrypted"]

VERSION = "v1:"
_INFO = b"portfolio-cms/stored-secrets/v1"


class DecryptionError(Exception):
    """The value was encrypted under another key, or altered (it says nothing of the secret)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def is_encrypted(stored: str) -> bool:
    """Whether ``stored`` carries a version marker (else it is a plain legacy value)."""
    return stored.startswith(VERSION)


def encrypt(plain: str, *, secret_key: str) -> str:
    """``plain`` encrypted under ``secret_key``, with the version marker in front."""
    return VERSION + _fernet(secret_key).encrypt(plain.encode()).decode("ascii")


def decrypt(stored: str, *, secret_key: str) -> str:
    """The plain value of ``stored``; raises :class:`DecryptionError` under the wrong key."""
    if not is_encrypted(stored):
        return stored
    from cryptography.fernet import InvalidToken

    fernet = _fernet(secret_key)
    try:
        return fernet.decrypt(stored[len(VERSION) :].encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise DecryptionError("not encrypted under this SECRET_KEY") from None
