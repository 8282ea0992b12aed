"""Translations: complete in both languages, escaped arguments, local dates and numbers."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from crm.i18n import LANGUAGES, Catalogue, Markup, pick_language

ROOT = Path(__file__).resolve().parents[2]
BOT_LOCALES = ROOT / "bot" / "locales"
APP_LOCALES = ROOT / "app" / "locales"
# t("key"), t.plain("key"), t.has("key"): literal keys used by the code.
KEY_USE = re.compile(r"""\bt(?:\.plain|\.has)?\(\s*["']([a-z][a-z0-9_-]*)["']""")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue([BOT_LOCALES, APP_LOCALES])


def test_english_and_french_have_the_same_messages(catalogue):
    english, french = catalogue.message_ids("en"), catalogue.message_ids("fr")
    assert sorted(english - french) == [], "missing in French"
    assert sorted(french - english) == [], "missing in English"


def test_every_message_the_code_asks_for_exists(catalogue):
    known = catalogue.message_ids("en")
    used: dict[str, str] = {}
    for package in ("bot", "crm", "app"):
        for path in (ROOT / package).rglob("*.py"):
            for key in KEY_USE.findall(path.read_text("utf-8")):
                used.setdefault(key, str(path.relative_to(ROOT)))
    missing = {key: where for key, where in used.items() if key not in known}
    assert missing == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_formats_without_errors_in_every_language(catalogue, language, caplog):
    t = catalogue.translator(language)
    for key in sorted(catalogue.message_ids(language)):
        text = t(key)
        assert text and "{" not in text.replace("{ $", ""), key


def test_arguments_are_escaped_and_markup_is_not(catalogue):
    t = catalogue.translator("en")
    assert (
        t("start-hello", name="<b>x</b> & <i>")
        == "Hello, <b>&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;</b>!"
    )
    assert "<u>y</u>" in t("error-validation", details=Markup("<u>y</u>"))


def test_plain_text_is_unescaped_for_buttons(catalogue):
    t = catalogue.translator("en")
    assert t.plain("btn-open-named", name="A & B") == "Open A & B"


def test_a_missing_french_message_falls_back_to_english(catalogue):
    t = catalogue.translator("fr")
    assert t("no-such-message") == "no-such-message"
    assert t("yes") == "oui"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("fr-CA", "fr"), ("fr", "fr"), ("en-GB", "en"), ("de", "en"), (None, "en")],
)
def test_telegram_language_codes_pick_a_supported_language(code, expected):
    assert pick_language(code) == expected


def test_dates_and_times_follow_the_language_and_the_time_zone(catalogue):
    moment = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert catalogue.translator("en", "UTC").datetime(moment) == "28 Nov 2026, 23:30"
    assert catalogue.translator("fr", "Europe/Paris").datetime(moment) == "29 nov. 2026, 00:30"
    assert catalogue.translator("fr").date(date(2026, 2, 1)) == "1 févr. 2026"
    assert catalogue.translator("en", "No/Such_Zone").datetime(moment) == "28 Nov 2026, 23:30"


def test_numbers_follow_the_language(catalogue):
    assert catalogue.translator("en").number(Decimal("12345.5")) == "12,345.5"
    assert catalogue.translator("fr").number(12345.5).replace("\u202f", " ") == "12 345,5"
