"""Settings reach the forms adapter: FORMS_SECRET, FORMS_MIN_FILL_SECONDS, TRUST_PROXY."""

import pytest

from app.runtime import forms_config
from app.settings import SettingsError, load_settings


def test_forms_settings_reach_the_adapter(monkeypatch):
    monkeypatch.setenv("FORMS_SECRET", "s3cret-s3cret-s3cret")
    monkeypatch.setenv("FORMS_MIN_FILL_SECONDS", "1.5")
    monkeypatch.setenv("TRUST_PROXY", "true")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    config = forms_config(load_settings())
    assert config.secret == "s3cret-s3cret-s3cret"
    assert (config.min_fill_seconds, config.trust_proxy) == (1.5, True)
    assert config.redis_url == "redis://127.0.0.1:6379/3"
    assert "s3cret" not in repr(config)


def test_forms_defaults_are_safe(monkeypatch):
    for name in ("FORMS_SECRET", "FORMS_MIN_FILL_SECONDS", "TRUST_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no .env
    config = forms_config(load_settings())
    assert (config.secret, config.min_fill_seconds, config.trust_proxy) == (None, 3.0, False)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FORMS_SECRET", "short", "FORMS_SECRET: must be at least 16 characters"),
        ("FORMS_MIN_FILL_SECONDS", "-1", "FORMS_MIN_FILL_SECONDS"),
        ("TRUST_PROXY", "maybe", "TRUST_PROXY"),
    ],
)
def test_a_bad_forms_setting_is_named(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_a_missing_secret_is_warned_about(caplog):
    from app.web import build_app

    build_app()
    assert "FORMS_SECRET is not set" in caplog.text


def test_without_forms_secret_the_key_kept_in_the_database_is_used(monkeypatch):
    monkeypatch.delenv("FORMS_SECRET", raising=False)
    monkeypatch.chdir("/")  # no .env
    assert forms_config(load_settings(), "k" * 64).secret == "k" * 64
    monkeypatch.setenv("FORMS_SECRET", "s3cret-s3cret-s3cret")
    assert forms_config(load_settings(), "k" * 64).secret == "s3cret-s3cret-s3cret"
