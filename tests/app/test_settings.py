"""Settings: every variable of DESIGN.md §4, bad values stop start-up with the name and why."""

import pytest

from app.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "DATABASE_URL",
        "BOT_TOKEN",
        "ADMIN_TELEGRAM_IDS",
        "WEB_PORT",
        "TIMEZONE",
        "DEFAULT_PHONE_REGION",
        "REMINDER_OFFSETS",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "DEFAULT_LANGUAGE",
        "LOG_LEVEL",
        "TELEGRAM_API_URL",
        "REDIS_URL",
        "WEB_HOST",
    ):
        monkeypatch.delenv(name, raising=False)


def test_it_has_working_defaults():
    settings = load_settings()
    assert settings.database_url == "sqlite://data/carnet.sqlite3"
    assert settings.bot_token is None
    assert settings.web_port == 8080
    assert settings.reminder_offsets == [15, 0]
    assert settings.admin_telegram_ids == []


def test_it_reads_lists_regions_and_secrets(monkeypatch):
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "12345, 67890")
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "fr")
    monkeypatch.setenv("REMINDER_OFFSETS", "60,15,0")
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings()
    assert settings.admin_telegram_ids == [12345, 67890]
    assert settings.default_phone_region == "FR"
    assert settings.reminder_offsets == [60, 15, 0]
    assert settings.bot_token is not None and "123:abc" not in repr(settings)
    assert settings.database_url == "postgres://u@h/db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADMIN_TELEGRAM_IDS", "12,bob", "ADMIN_TELEGRAM_IDS: must be Telegram user ids"),
        ("WEB_PORT", "70000", "WEB_PORT:"),
        ("TIMEZONE", "Mars/Base", "TIMEZONE: is not a known time zone"),
        ("DEFAULT_PHONE_REGION", "XX", "DEFAULT_PHONE_REGION: is not a two-letter country code"),
        ("REMINDER_OFFSETS", "15,7", "REMINDER_OFFSETS: each offset must be one of"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must start with sqlite:// or postgres://"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE:"),
        ("TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL: must start with http"),
        ("REDIS_URL", "nonsense", "REDIS_URL: must start with redis://, rediss:// or unix://"),
        ("REDIS_URL", "redis://", "REDIS_URL: must start with redis://"),
        # Bad ports used to pass here and fail at the first connection, naming no variable.
        ("REDIS_URL", "redis://h:notaport/0", "REDIS_URL: the port must be a number from 1 to"),
        ("REDIS_URL", "rediss://h:70000/0", "REDIS_URL: the port must be a number from 1 to"),
        ("DATABASE_URL", "postgres://u@h:99999/db", "DATABASE_URL: the port must be a number"),
        ("DATABASE_URL", "postgres://u:pw@h:x/db", "DATABASE_URL: the port must be a number"),
        ("DATABASE_URL", "asyncpg://u@h:0/db", "DATABASE_URL: the port must be a number"),
        ("WEB_HOST", "999.1.1.1", "WEB_HOST: must be an IP address"),
        ("WEB_HOST", "my host", "WEB_HOST: must be an IP address"),
        ("WEB_HOST", "-bad.example", "WEB_HOST: must be an IP address"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL:"),
        (
            "ADMIN_TELEGRAM_IDS",
            "1,99999999999999999999999",
            "ADMIN_TELEGRAM_IDS: each Telegram user id must be between 1 and 9223372036854775807",
        ),
    ],
)
def test_a_bad_value_names_the_variable_and_why(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert message in str(error.value)


def test_webhook_mode_needs_a_valid_secret(monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "https://crm.example.com/telegram/webhook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET: is required"):
        load_settings()
    monkeypatch.setenv("WEBHOOK_SECRET", "not valid!")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET: must be 1-256 characters"):
        load_settings()


def test_a_malformed_bot_token_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "not a token")
    with pytest.raises(SettingsError, match="^BOT_TOKEN: must look like"):
        load_settings()


def test_an_empty_bot_token_turns_the_bot_off(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "  ")
    assert load_settings().bot_token is None


@pytest.mark.parametrize("value", ["debug", "Debug", " warning ", "ERROR"])
def test_log_level_is_read_in_any_case(monkeypatch, value):
    monkeypatch.setenv("LOG_LEVEL", value)
    assert load_settings().log_level == value.strip().upper()


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("::", "::"),
        ("[::1]", "::1"),
        ("localhost", "localhost"),
        ("crm.example.com", "crm.example.com"),
    ],
)
def test_web_host_takes_addresses_and_host_names_without_resolving_them(monkeypatch, value, host):
    monkeypatch.setenv("WEB_HOST", value)
    assert load_settings().web_host == host


@pytest.mark.parametrize(
    "value", ["redis://localhost:6379/0", "rediss://:pw@cache.example:6380/1", "unix:///run/r.sock"]
)
def test_redis_url_takes_the_three_schemes(monkeypatch, value):
    monkeypatch.setenv("REDIS_URL", value)
    assert load_settings().redis_url == value


def test_an_empty_redis_url_means_no_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", " ")
    assert load_settings().redis_url is None
