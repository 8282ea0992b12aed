"""How a web form looks to visitors: its texts per language and the company's brand.

A form's title, consent and success texts are stored in the team's language; `translations`
holds the other languages' versions, {"fr": {"title": ..., "consent_text": ...,
"success_text": ...}}. The brand is the company's name, an accent colour (#rrggbb) and a logo
URL (https only: the hosted page's Content-Security-Policy allows that one origin). Pure
rules, no I/O; `crm.rules.webforms.check_definition` runs them as settings.
"""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crm.i18n import LANGUAGES
from crm.rules.fields import FieldError, clean_string

# The visitor-facing texts of a form, with the length each may take (as the columns' checks).
FORM_TEXTS = {"title": 200, "consent_text": 2000, "success_text": 2000}
MULTILINE_TEXTS = frozenset({"consent_text", "success_text"})
MAX_BRAND_NAME = 200
MAX_LOGO_URL = 500  # the column's length
ACCENT_COLOR = re.compile(r"^#[0-9a-f]{6}$")
# A host name as it may stand in a Content-Security-Policy source: nothing that could end the
# directive (";", ",", a space) or add a source of its own.
HOST_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


def check_brand_name(value: Any) -> str | None:
    """The company's name on the hosted page: one line of at most 200 characters; empty
    clears it."""
    return clean_string(value, MAX_BRAND_NAME)


def check_accent_color(value: Any) -> str | None:
    """An accent colour as #rrggbb (stored lower-case); empty clears it. No names, no #rgb,
    no rgb(): one form keeps the page's CSS a plain substitution."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip().lower() if isinstance(value, str) else ""
    if not ACCENT_COLOR.match(text):
        raise FieldError("must be a colour written #rrggbb, such as #1f5fbf")
    return text


def check_logo_url(value: Any) -> str | None:
    """A logo's address: https:// only (the page is served to strangers; http would be mixed
    content), a plain host name, no user name, no spaces, at most 500 characters; empty
    clears it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    bad = FieldError(
        "must be an https:// address of an image, such as https://example.com/logo.png"
    )
    if not isinstance(value, str):
        raise bad
    text = value.strip()
    if len(text) > MAX_LOGO_URL:
        raise FieldError(f"is longer than {MAX_LOGO_URL} characters")
    if not text.isascii() or not text.isprintable() or re.search(r"[\s\"'<>\\]", text):
        raise bad
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise bad from exc
    if (
        parts.scheme.lower() != "https"
        or not parts.hostname
        or not HOST_NAME.match(parts.hostname)
        or "@" in parts.netloc
    ):
        raise bad
    return text


def logo_origin(url: str | None) -> str | None:
    """The origin of a logo URL as a Content-Security-Policy source; None when there is no
    logo or it would not pass `check_logo_url` (a row changed by hand shows no logo)."""
    try:
        checked = check_logo_url(url)
    except FieldError:
        return None
    if checked is None:
        return None
    parts = urlsplit(checked)
    port = f":{parts.port}" if parts.port is not None else ""
    return f"https://{parts.hostname}{port}"


def check_text(what: str, value: Any) -> str | None:
    """One visitor-facing text (`FORM_TEXTS`), checked as its column is; None when empty."""
    if what not in FORM_TEXTS:
        raise FieldError(f"must be one of {', '.join(FORM_TEXTS)}")
    return clean_string(value, FORM_TEXTS[what], multiline=what in MULTILINE_TEXTS)


def check_translations(value: Any) -> dict[str, dict[str, str | None]]:
    """Texts per language: {"fr": {"title": "...", "consent_text": None}}; a None or empty
    text means "remove that version". Raises FieldError naming the language and the text."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise FieldError(f"must map languages ({', '.join(LANGUAGES)}) to texts")
    out: dict[str, dict[str, str | None]] = {}
    for language, texts in value.items():
        if language not in LANGUAGES:
            raise FieldError(f"language must be one of {', '.join(LANGUAGES)}")
        if not isinstance(texts, Mapping):
            raise FieldError(f"{language} must map {', '.join(FORM_TEXTS)} to texts")
        out[language] = {}
        for what, text in texts.items():
            if what not in FORM_TEXTS:
                raise FieldError(f"{language}: texts are {', '.join(FORM_TEXTS)}, not {what!r}")
            try:
                out[language][what] = check_text(what, text)
            except FieldError as exc:
                raise FieldError(f"{language} {what} {exc}") from exc
    return out


def merged_translations(
    current: Mapping[str, Mapping[str, str]], changes: Mapping[str, Mapping[str, str | None]]
) -> dict[str, dict[str, str]]:
    """`current` with `changes` applied (a None text removes that version); languages left
    without a text are dropped."""
    out = {language: dict(texts) for language, texts in current.items()}
    for language, texts in changes.items():
        kept = out.setdefault(language, {})
        for what, text in texts.items():
            if text is None:
                kept.pop(what, None)
            else:
                kept[what] = text
    return {language: texts for language, texts in out.items() if texts}
