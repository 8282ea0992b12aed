"""Logging for `carnet`: one format, secrets kept out of every line, library chatter quieted."""

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from app.settings import Settings

REDACTED = "<redacted>"


class RedactSecrets(logging.Filter):
    """Replaces secrets (BOT_TOKEN, passwords in URLs...) in a record's message and traceback.

    Set on the handlers, so that it sees every record whichever logger wrote it: aiohttp puts
    the request URL, which holds the bot token, into its error messages, and aiogram and the
    outbox log those messages."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def redact_everywhere(secrets: Iterable[str]) -> RedactSecrets:
    """Put a RedactSecrets filter on every handler of the root logger (once per handler)."""
    redaction = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redaction)
    return redaction


def secrets_of(settings: "Settings") -> list[str]:
    """What must never be logged: the bot token, the webhook and forms secrets, and the
    passwords in DATABASE_URL and REDIS_URL."""
    found: list[str] = []
    for secret in (settings.bot_token, settings.webhook_secret, settings.forms_secret):
        if secret is not None:
            found.append(secret.get_secret_value())
    for url in (settings.database_url, settings.redis_url):
        if url:
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            if password:
                found += [password, unquote(password)]
    return found


class _OnlyOneLinePerRetry(logging.Filter):
    """aiogram logs a failed getUpdates twice (the error, then "Sleep for … and try again"):
    keep the first, which names the error, so an outage costs one line per attempt."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Sleep for")


def quiet_library_logs(level: str) -> None:
    """Library chatter that says a job ran or an update was handled, not what happened, goes
    below INFO: APScheduler's two lines per sweep (5,700 a day) and aiogram's line per update.
    At DEBUG the operator asked for everything, so nothing is hidden."""
    if logging.getLevelName(level) <= logging.DEBUG:
        return
    for name in ("apscheduler", "aiogram.event"):
        logging.getLogger(name).setLevel(logging.WARNING)
    dispatcher = logging.getLogger("aiogram.dispatcher")
    if not any(isinstance(f, _OnlyOneLinePerRetry) for f in dispatcher.filters):
        dispatcher.addFilter(_OnlyOneLinePerRetry())
