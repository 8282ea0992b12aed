"""Settings: one pydantic-settings object read from the environment or `.env`, loaded once."""

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from redis.connection import parse_url
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError

from crm.config import CoreConfig
from crm.staff import MAX_TELEGRAM_ID

ALLOWED_REMINDER_OFFSETS = {0, 15, 30, 60, 120, 1440}
DB_SCHEMES = ("sqlite://", "postgres://", "asyncpg://", "psycopg://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# A host name as RFC 1123 writes it: dot-separated labels of letters, digits and inner hyphens,
# the last one not all digits (so 999.1.1.1 is a bad address, not a name). Syntax only: a name
# is not resolved here (DNS may be down at start-up); binding to it fails at `serve` time.
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$)({_LABEL}\.)*(?!\d+$){_LABEL}\.?")


class SettingsError(Exception):
    """A bad setting, named by its environment variable."""


def _check_port(url: str) -> None:
    """Refuse a URL whose port is not 1-65535 now, as this variable's error: the drivers would
    only refuse it at the first connection, with a ValueError naming no variable."""
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite://data/carnet.sqlite3"
    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    redis_url: str | None = None
    default_language: Literal["en", "fr"] = "en"
    timezone: str = "UTC"
    default_phone_region: str | None = None
    reminder_offsets: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [15, 0])
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    forms_secret: SecretStr | None = None
    forms_min_fill_seconds: float = Field(default=3.0, ge=0, le=3600)
    forms_rate_per_address: int = Field(default=20, ge=1, le=1_000_000)
    forms_rate_per_form: int = Field(default=300, ge=1, le=1_000_000)
    trust_proxy: bool = False

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("postgresql://"):
            value = "postgres://" + value.removeprefix("postgresql://")
        if not value.startswith(DB_SCHEMES):
            raise ValueError("must start with sqlite:// or postgres://")
        if not value.startswith("sqlite://"):
            _check_port(value)
        try:
            expand_db_url(value)  # what Tortoise will do with it at connect time
        except ConfigurationError as exc:  # its messages never repeat the URL (or a password)
            raise ValueError(f"is not a database URL Tortoise can read ({exc})") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("web_host")
    @classmethod
    def _web_host(cls, value: str) -> str:
        host = value.strip()
        try:
            ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
        except ValueError:
            if not HOST_NAME.fullmatch(host):
                raise ValueError(
                    "must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::) or a host name"
                ) from None
            return host
        return host.removeprefix("[").removesuffix("]")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip()
        if not url.startswith(REDIS_SCHEMES) or url in REDIS_SCHEMES:
            raise ValueError(
                "must start with redis://, rediss:// or unix://, e.g. redis://localhost:6379/0"
            )
        if not url.startswith("unix://"):
            _check_port(url)
        try:
            parse_url(url)  # what redis-py will do with it at the first command
        except ValueError:  # its messages may quote the URL: keep a password out of the log
            raise ValueError("is not a Redis URL, e.g. redis://localhost:6379/0") from None
        return url

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 12345,67890")
            value = [int(p) for p in parts]
        if isinstance(value, list) and any(
            isinstance(i, int) and not 0 < i <= MAX_TELEGRAM_ID for i in value
        ):
            raise ValueError(f"each Telegram user id must be between 1 and {MAX_TELEGRAM_ID}")
        return value

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _offsets(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("must be minutes separated by commas, e.g. 15,0")
            value = [int(p) for p in parts]
        if isinstance(value, list) and not set(value) <= ALLOWED_REMINDER_OFFSETS:
            allowed = ", ".join(map(str, sorted(ALLOWED_REMINDER_OFFSETS)))
            raise ValueError(f"each offset must be one of {allowed}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known time zone such as Europe/Paris") from exc
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        code = value.strip().upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("is not a two-letter country code such as FR")
        return code

    @field_validator("telegram_api_url", "public_url", "webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        # aiogram would refuse it later with a traceback; say what a token looks like instead.
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            raise ValueError("must look like 123456789:AAH… (the token @BotFather gives)")
        return SecretStr(token)

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        secret = value.get_secret_value()
        if not (1 <= len(secret) <= 256) or not all(c.isalnum() or c in "_-" for c in secret):
            raise ValueError("must be 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("forms_secret")
    @classmethod
    def _forms_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be at least 16 characters (e.g. `openssl rand -hex 32`)")
        return SecretStr(value.get_secret_value().strip())

    @property
    def sqlite_path(self) -> Path | None:
        if not self.database_url.startswith("sqlite://"):
            return None
        path = self.database_url.removeprefix("sqlite://").split("?", 1)[0]
        return None if path == ":memory:" else Path(path)


def load_settings() -> Settings:
    """Read settings once; a bad value raises SettingsError naming the variable and why."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise SettingsError("; ".join(problems)) from None
    if settings.webhook_url and not settings.webhook_secret:
        raise SettingsError("WEBHOOK_SECRET: is required when WEBHOOK_URL is set")
    return settings


def core_config(settings: Settings) -> CoreConfig:
    """The part of the settings the core reads (through `crm.config`)."""
    return CoreConfig(
        default_phone_region=settings.default_phone_region,
        default_language=settings.default_language,
        timezone=settings.timezone,
    )
