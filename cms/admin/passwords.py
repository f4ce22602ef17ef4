"""The password policy of owner accounts: one rule for the admin, ``cms create-admin``,
``cms set-password`` and the dev account.

A password is refused when it is short or blank, contains the username, is a leaked password
(the shipped list below, or a known example passphrase), is one with a few digits or symbols
stuck to either end (``Summer2024!!``), or when zxcvbn rates it below "safely unguessable"
(score 3: about 10^8 guesses, with the username among the words it knows).

The leaked list is SecLists' ``10-million-password-list-top-100000`` (data/README.md says
where it comes from), compared case-insensitively with spaces removed.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

__all__ = [
    "MIN_SCORE",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "breached_passwords",
    "password_problem",
]

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024  # argon2 takes any length; this only bounds the work per attempt
MIN_SCORE = 3
"""zxcvbn's scale: 3 is "safely unguessable" (about 10^8 guesses), 4 "very unguessable"."""

_BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords-top-100000.txt.gz"
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters decide
_MAX_AFFIX = 6  # "2024!!", "123!": what guessing rules append to a word
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AFFIXED = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")
_ADVICE = "Three or four unrelated words, e.g. from a diceware list, make a strong passphrase."

_EXAMPLE_PASSPHRASES = frozenset(
    {
        # Published as examples of strong passwords, and leaked many times since.
        "correcthorsebatterystaple",
        "correcthorsebattery",
        "tr0ub4dor&3",
        "thequickbrownfoxjumpsoverthelazydog",
        "thequickbrownfox",
        "loremipsumdolorsitamet",
        # This product's own names.
        "portfoliocms",
        "portfolio-cms",
    }
)


def _fold(text: str) -> str:
    return "".join(text.lower().split())


@cache
def breached_passwords() -> frozenset[str]:
    """The shipped leaked passwords plus the example passphrases, lower-case, without spaces."""
    with gzip.open(_BREACHED_LIST, "rb") as lines:
        leaked = {_fold(line.decode("utf-8", "replace")) for line in lines}
    return frozenset(leaked - {""}) | _EXAMPLE_PASSPHRASES


def _names(username: str) -> list[str]:
    name = "".join(ch for ch in username.lower() if ch.isalnum())
    local = "".join(ch for ch in username.lower().partition("@")[0] if ch.isalnum())
    return [n for n in dict.fromkeys((name, local)) if len(n) >= 3]


def _contains_username(password: str, username: str) -> bool:
    folded = "".join(ch for ch in password.lower() if ch.isalnum())
    return any(name in folded for name in _names(username))


def _is_leaked(password: str) -> tuple[bool, bool]:
    """Whether ``password`` is leaked as it is, and whether it is one with a short affix."""
    leaked = breached_passwords()
    folded = _fold(password)
    if folded in leaked:
        return True, False
    match = _AFFIXED.match(folded)
    core = match.group(1) if match else folded
    affixed = core != folded and len(folded) - len(core) <= _MAX_AFFIX and core in leaked
    return False, affixed


def _guessable(password: str, username: str) -> str | None:
    # Imported here: building zxcvbn's dictionaries takes ~50 ms, which the login page (it
    # imports this module's limits) should not pay on a cold start.
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=_names(username) or None)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    reasons = " ".join([feedback["warning"], *feedback["suggestions"]]).strip()
    return f"This password is too easy to guess. {reasons} {_ADVICE}".replace("  ", " ")


def password_problem(password: str, *, username: str) -> str | None:
    """Why ``password`` may not protect ``username``'s account (with what to do), or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Password must be at least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Password must be at most {PASSWORD_MAX_LENGTH} characters."
    if not password.strip():
        return "Password must not be only spaces."
    if _CONTROL.search(password):
        return "Password must not contain control characters."
    if _contains_username(password, username):
        return (
            "Password must not contain the username: it is the first thing guessed. "
            f"Choose one unrelated to the account. {_ADVICE}"
        )
    leaked, affixed = _is_leaked(password)
    if leaked:
        return (
            "This password appears in lists of leaked passwords, which attackers try first. "
            f"Choose one you have not used anywhere. {_ADVICE}"
        )
    if affixed:
        return (
            "This is a leaked password with a few digits or symbols added at the start or end; "
            f"attackers try those variations first. {_ADVICE}"
        )
    return _guessable(password, username)
