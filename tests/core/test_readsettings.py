"""The read path's settings: read without pydantic-settings, the same values as ``Settings``."""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

import pytest

from cms.core.config import Settings
from cms.core.readsettings import ENVIRONMENTS, MEDIA_STORAGES, ReadSettings

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
        ("ENVIRONMENT", "staging", "one of dev, test, prod"),
    ],
)
def test_a_bad_value_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReadSettings.from_environ({name: value})


SHARED = [item.name for item in dataclasses.fields(ReadSettings)]
# Values people type, and values they should not: both halves must read each one alike.
ODD_VALUES = [
    "",
    " ",
    "TRUE",
    " yes ",
    "Off",
    "0",
    "2",
    "-1",
    " 60 ",
    "1_000",
    "60.0",
    "1e3",
    "nan",
    "null",
    "None",
    "[]",
    '["https://a.example", "b"]',
    "[1]",
    '"a"',
    "a,b",
    "prod",
    "PROD",
    "s3",
    "S3",
    "database",
    "  x  ",
    "ünïcode",
]
SECRET = "s" * 40  # lets ENVIRONMENT=prod through Settings' own secret rule


def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*SHARED, "secret_key"]:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)


def _both(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> tuple[Any, Any]:
    """What each half makes of ``environ``: its settings, or the type of its refusal."""
    _clean(monkeypatch)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        light: Any = ReadSettings.from_environ()
    except ValueError:
        light = ValueError
    try:
        full: Any = ReadSettings.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    except ValueError:  # pydantic's ValidationError is one
        full = ValueError
    return light, full


@pytest.mark.parametrize("name", SHARED)
def test_every_shared_setting_reads_odd_values_alike(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    for raw in ODD_VALUES:
        environ = {name.upper(): raw, "SECRET_KEY": SECRET, "MEDIA_S3_BUCKET": "photos"}
        light, full = _both(monkeypatch, environ)
        assert light == full, f"{name.upper()}={raw!r}: read path {light!r}, app {full!r}"


def test_names_are_case_insensitive_and_cross_setting_rules_agree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lower, lower_full = _both(monkeypatch, {"cache_max_age": "7", "Tracing": "on"})
    s3_without_bucket = _both(monkeypatch, {"MEDIA_STORAGE": "s3"})

    assert lower == lower_full and (lower.cache_max_age, lower.tracing) == (7, True)
    assert s3_without_bucket == (ValueError, ValueError)
    fields = Settings.model_fields
    assert get_args(fields["environment"].annotation) == ENVIRONMENTS
    assert get_args(fields["media_storage"].annotation) == MEDIA_STORAGES
