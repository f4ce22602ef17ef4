"""The read path's settings: read without pydantic-settings, the same values as ``Settings``."""

from __future__ import annotations

import pytest

from cms.core.config import Settings
from cms.core.readsettings import ReadSettings

ENVIRONMENT = {
    "DATABASE_URL": "postgresql://cms@db.example/cms",
    "DATABASE_POOLER": "true",
    "DATABASE_TIMEOUT": "2.5",
    "CORS_ORIGINS": '["https://cv.example", "https://www.cv.example"]',
    "ALLOWED_HOSTS": '["api.cv.example"]',
    "CACHE_MAX_AGE": "60",
    "CACHE_VERSION_CHECK_INTERVAL": "1.5",
    "TRACING": "yes",
    "MEDIA_S3_BUCKET": "photos",
}


def test_both_read_the_same_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    light = ReadSettings.from_environ()

    assert light == ReadSettings.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert light.cors_origins == ("https://cv.example", "https://www.cv.example")
    assert (light.database_pooler, light.tracing, light.cache_max_age) == (True, True, 60)


def test_defaults_are_written_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)

    assert ReadSettings.from_environ({}) == ReadSettings.from_settings(
        Settings(_env_file=None)  # type: ignore[call-arg]
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CACHE_MAX_AGE", "soon", "CACHE_MAX_AGE"),
        ("DATABASE_POOLER", "maybe", "true or false"),
        ("CORS_ORIGINS", "https://cv.example", "JSON list"),
    ],
)
def test_a_bad_value_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReadSettings.from_environ({name: value})
