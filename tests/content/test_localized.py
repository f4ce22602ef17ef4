"""Locales without a database: the setting, the query parameter, the records' translatable
fields, the fallback of a translated row, and Babel's names and dates."""

from __future__ import annotations

import pytest

from cms.content.localedata import format_full_date, format_month_year, locale_name
from cms.content.localized import Translated, count_translations, localized, reading_in
from cms.content.models import Work
from cms.content.record import AdminHints, Section, resume_field
from cms.content.sections import SECTIONS
from cms.core.config import Settings
from cms.core.locales import Locales, canonical_tag, parse_locales, split_locale
from cms.core.readsettings import ReadSettings


@pytest.mark.parametrize(
    ("raw", "tags"),
    [
        ("en", ("en",)),
        ("en,de", ("en", "de")),
        (" en , de-at ,pt_br", ("en", "de-AT", "pt-BR")),
        ('["en","de"]', ("en", "de")),
        ("zh-hant-tw", ("zh-Hant-TW",)),
    ],
)
def test_locales_are_read_as_a_list_or_json_and_made_canonical(
    raw: str, tags: tuple[str, ...]
) -> None:
    assert parse_locales(raw) == tags
    assert ReadSettings.from_environ({"LOCALES": raw}).locales == tags
    assert Settings(locales=raw).locales == list(tags)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["", "en,EN", "english!", '["en", 1]', "en,,x"])
def test_bad_locales_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_locales(raw)


def test_the_default_is_english_and_a_list_works_too() -> None:
    assert ReadSettings().locales == ("en",)
    assert Settings().locales == ["en"]
    assert Settings(locales=["de", "EN"]).locales == ["de", "en"]
    with pytest.raises(ValueError):
        canonical_tag("not a tag")


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", (None, "")),
        ("featured=true", (None, "featured=true")),
        ("locale=de", ("de", "")),
        ("featured=true&locale=de", ("de", "featured=true")),
        ("locale=en&locale=de-AT&x=1", ("de-AT", "x=1")),
        ("locale=", ("", "")),
    ],
)
def test_the_locale_is_taken_out_of_the_query(query: str, found: tuple[str, str]) -> None:
    assert split_locale(query) == found


def test_a_request_names_a_locale_in_any_case() -> None:
    locales = Locales(["en", "de-AT"])

    assert locales.find(None) == "en"
    assert locales.find("DE-at") == locales.find("de_at") == "de-AT"
    assert locales.find("fr") is None
    assert "en, de-AT (default en)" in locales.unknown("fr")


def test_only_texts_are_translatable() -> None:
    with pytest.raises(ValueError, match="only texts are translatable, not url"):
        Section(
            "x",
            Work,
            Work,
            resume=(resume_field("url", kind="url"),),
            admin=AdminHints("X", "", "", (), ()),
            translatable=("url",),
        )
    for section in SECTIONS.values():
        kinds = {f.column: f.kind for f in section.resume}
        assert all(kinds[name] in ("text", "list") for name in section.translatable)
    assert "position" in SECTIONS["work"].translatable
    assert "slug" not in SECTIONS["projects"].translatable


def test_a_translated_row_falls_back_to_the_default_text() -> None:
    work = Work(
        company="ACME",
        position="Developer",
        highlights=["One"],
        translations={"de": {"position": "Entwicklerin", "highlights": [], "summary": " "}},
    )

    outside = localized(work)
    with reading_in("de", default=False):
        german = localized(work)
    with reading_in("en", default=True):
        english = localized(work)

    assert outside is work and english is work
    assert isinstance(german, Translated)
    assert (german.position, german.company, german.highlights) == ("Entwicklerin", "ACME", ["One"])
    assert german.summary is None


def test_translations_are_counted_per_locale() -> None:
    rows = {
        "work": [
            Work(company="A", position="P", translations={"de": {"position": "Q"}}),
            Work(company="B"),
        ]
    }

    (german, french) = count_translations(rows, ["de", "fr"])

    assert str(german) == "de: 1 of 3"
    assert str(french) == "fr: 0 of 3"


def test_babel_names_and_dates() -> None:
    assert [locale_name(tag) for tag in ("en", "de", "fr", "pt-BR")] == [
        "English",
        "Deutsch",
        "français",
        "português (Brasil)",
    ]
    assert format_month_year("2024-03", "de") == "März 2024"
    assert format_month_year("2024-03-09", "en") == "Mar 2024"
    assert format_month_year("2024", "de") == "2024"
    assert format_full_date("2023-06-14", "de") == "14.06.2023"
    assert format_full_date("2023-06-14", "en-GB") == "14 Jun 2023"
    assert format_month_year("someday", "de") == "someday"
    assert format_month_year("2024-05", "xx-unknown") == "May 2024"


def test_a_locale_without_babel_data_falls_back_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As on Lambda when LOCALES names a tag the zip was built without (its language ships).
    with caplog.at_level("WARNING", logger="cms.content.localedata"):
        assert locale_name("de-XY") == "Deutsch"
        assert format_full_date("2023-06-14", "de-XY") == "14.06.2023"
        assert format_month_year("2024-05", "zz-QQ") == "May 2024"
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "No Babel locale data for 'de-XY' (build the Lambda zip with --locales naming every "
        "tag of LOCALES); falling back to 'de'",
        "No Babel locale data for 'zz' (build the Lambda zip with --locales naming every "
        "tag of LOCALES); falling back to English dates and the tag as its name",
        "No Babel locale data for 'zz-QQ' (build the Lambda zip with --locales naming every "
        "tag of LOCALES); falling back to English dates and the tag as its name",
    ]
