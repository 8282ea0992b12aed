"""Translations (Fluent catalogues) and locale-aware dates and numbers, for every adapter (F16).

The core owns this because the texts it queues for staff (lead alerts, reminders) are written
in the recipient's language; adapters add their own catalogue directories.
"""

import html
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fluent.runtime import FluentBundle, FluentResource

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr")
CORE_LOCALES = Path(__file__).parent / "locales"


class Markup(str):
    """Text that is already safe HTML (rendered by us), passed into a message unescaped."""


def escape(value: Any) -> str:
    """HTML-escape user text for Telegram's HTML parse mode and web pages.

    Telegram understands only &lt; &gt; &amp; &quot; by name; an apostrophe stays as it is
    (it never delimits our attributes).
    """
    if isinstance(value, Markup):
        return value
    return html.escape(str(value), quote=False).replace('"', "&quot;")


def pick_language(code: str | None, default: str = "en") -> str:
    """The supported language closest to an IETF tag such as 'fr-CA' (else the default)."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else default


def zone(name: str | None) -> ZoneInfo:
    """A time zone by name; UTC when the name is unknown (a bad profile never breaks a reply)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Translator:
    """Messages and formats for one language and time zone."""

    language: str
    timezone: str
    _bundles: tuple[FluentBundle, ...]

    def __call__(self, key: str, /, **args: Any) -> str:
        """The message `key` as HTML: string arguments are escaped, `Markup` ones are not."""
        safe = {name: self._arg(value) for name, value in args.items()}
        for bundle in self._bundles:
            if bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    break
                text, errors = bundle.format_pattern(message.value, safe)
                for error in errors:
                    log.warning("translation %s (%s): %s", key, self.language, error)
                return str(text)
        log.warning("missing translation %s (%s)", key, self.language)
        return key

    def plain(self, key: str, /, **args: Any) -> str:
        """The message `key` as plain text (for logs, files and non-HTML channels)."""
        return html.unescape(self(key, **args))

    def has(self, key: str) -> bool:
        return any(bundle.has_message(key) for bundle in self._bundles)

    def _arg(self, value: Any) -> Any:
        if isinstance(value, Markup):
            return str(value)
        if isinstance(value, bool):
            return escape(self("yes") if value else self("no"))
        if isinstance(value, int | float | Decimal):
            return value
        if isinstance(value, datetime):
            return escape(self.datetime(value))
        if isinstance(value, date):
            return escape(self.date(value))
        return escape(value)

    def datetime(self, value: datetime) -> str:
        """A moment in the reader's time zone: '28 Nov 2026, 14:05' / '28 nov. 2026, 14:05'."""
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(zone(self.timezone))
        return format_datetime(local, "d MMM y, HH:mm", locale=self.language)

    def date(self, value: date) -> str:
        return format_date(value, "medium", locale=self.language)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.language)


class Catalogue:
    """Every language's messages, loaded once from `<dir>/<language>/*.ftl` files."""

    def __init__(self, directories: Iterable[Path], default_language: str = "en") -> None:
        self.default_language = pick_language(default_language)
        self._resources: dict[str, list[Any]] = {lang: [] for lang in LANGUAGES}
        for directory in [CORE_LOCALES, *directories]:
            for language in LANGUAGES:
                for path in sorted((directory / language).glob("*.ftl")):
                    self._resources[language].append(FluentResource(path.read_text("utf-8")))
        self._bundles = {lang: self._bundle(lang) for lang in LANGUAGES}

    def _bundle(self, language: str) -> FluentBundle:
        # use_isolating=False: Unicode isolation marks would show up as junk in Telegram.
        bundle = FluentBundle([language], use_isolating=False)
        for resource in self._resources[language]:
            bundle.add_resource(resource)
        return bundle

    def translator(self, language: str | None, timezone: str | None = None) -> Translator:
        """A translator for a language (falling back to English for a missing message)."""
        lang = pick_language(language, self.default_language)
        chain = [self._bundles[lang]]
        if lang != "en":
            chain.append(self._bundles["en"])
        return Translator(lang, timezone or "UTC", tuple(chain))

    def message_ids(self, language: str) -> set[str]:
        """Every message id of one language (for the catalogue completeness test)."""
        return set(self._bundles[language]._messages)  # noqa: SLF001 - no public listing

    def each_language(self) -> Mapping[str, Translator]:
        return {lang: self.translator(lang) for lang in LANGUAGES}
