"""The one link rule: web, mail and phone links and our images; no other scheme, anywhere."""

from __future__ import annotations

import pytest

from cms.content.links import RefusedLinkError, check_link, is_link

MEDIA = "/media/0123456789abcdef0123456789abcdef/640.webp"


@pytest.mark.parametrize(
    "link",
    [
        "",
        "https://example.com/a?b#c",
        "HTTP://EXAMPLE.COM",
        "mailto:ze@example.com",
        "tel:+44",
        MEDIA,
    ],
)
def test_web_mail_phone_links_and_our_images_pass(link: str) -> None:
    assert check_link(link) == link
    assert is_link(link) is bool(link)  # "" says "no link"


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " \x01javascript:alert(1)",
        "java\tscr\nipt:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.com/cv.pdf",
        "file:///etc/passwd",
    ],
)
def test_every_other_scheme_is_refused_as_a_browser_reads_it(link: str) -> None:
    with pytest.raises(RefusedLinkError, match="scheme are not allowed"):
        check_link(link)
    assert not is_link(link)


@pytest.mark.parametrize(
    "link",
    [
        "missdirection.example.com",
        "//example.com",
        "/media/other.png",
        "https://",
        "https://a b",
        "tel:",
    ],
)
def test_links_without_a_scheme_or_malformed_are_format_errors_only(link: str) -> None:
    with pytest.raises(ValueError) as raised:
        check_link(link)
    assert not isinstance(raised.value, RefusedLinkError)
    assert not is_link(link)
