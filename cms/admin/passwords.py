"""The passwords guessing lists try first, among those long enough to pass the length rule.

Taken from the most frequent entries of public breach corpora (RockYou, the "10k most common"
lists) that have at least 12 characters, plus the shapes they share: one short run repeated,
or a keyboard or digit sequence. Compared case-insensitively, spaces ignored.
"""

from __future__ import annotations

__all__ = ["COMMON_PASSWORDS", "is_common_password"]

COMMON_PASSWORDS: frozenset[str] = frozenset(
    """
    123456789012 1234567890123 12345678901234 123456789123 1234567890qwerty 123456123456
    123123123123 111111111111 000000000000 121212121212 123412341234 112233445566
    987654321098 098765432109 147258369147 123321123321 159753159753 102030405060
    password1234 password123456 password12345 passwordpassword password1234567 mypassword123
    qwertyuiopas qwertyuiop123 qwerty123456 qwertyqwerty 1q2w3e4r5t6y 1qaz2wsx3edc
    qazwsxedcrfv zaq12wsxcde3 asdfghjkl123 asdfasdfasdf qwertyuiopasdfgh 1qazxsw23edc
    iloveyou1234 iloveyouiloveyou iloveyou123456 ilovemyself123 letmein12345 letmeinletmein
    welcome12345 welcome123456 welcomewelcome changeme1234 changemenow123 adminadmin123
    administrator admin1234567 administrator1 administrator123 rootroot1234 superman1234
    batman123456 starwars1234 football1234 baseball1234 basketball12 basketball123
    princess1234 sunshine1234 monkey123456 dragon123456 shadow123456 michael12345
    jennifer1234 pokemon12345 charlie12345 trustno11234 whatever1234 abcdefghijkl
    abcdefghijklmn abcdef123456 abc123abc123 abcd1234abcd aaaaaaaaaaaa myspace12345
    computer1234 internet1234 samsung12345 liverpool123 chelsea12345 manchester12
    1234qwerasdf qwer1234asdf passw0rd1234 p@ssw0rd1234 p@ssword1234 pa55word1234
    thequickbrownfox correcthorse secretpassword mysecretpassword supersecret123
    opensesame123 nopassword123 temppassword temporarypassword defaultpassword
    changethispassword pleasechangeme portfoliocms portfolio1234
    """.split()
)
"""Lower-case, without spaces."""

_SEQUENCES = (
    "01234567890123456789",
    "98765432109876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm",
)


def is_common_password(password: str) -> bool:
    """Whether ``password`` is on the list, one short run repeated, or a plain sequence."""
    folded = "".join(password.lower().split())
    if folded in COMMON_PASSWORDS or len(set(folded)) <= 3:
        return True
    for size in range(1, 7):  # "abcabcabcabc", "passpasspass…"
        if len(folded) % size == 0 and folded[:size] * (len(folded) // size) == folded:
            return True
    return any(folded in sequence for sequence in _SEQUENCES)
