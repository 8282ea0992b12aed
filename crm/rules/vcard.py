"""vCard 2.1, 3.0 and 4.0 files read into contact drafts (pure; callers run it in a thread).

Each card is read on its own, so one broken card is reported and the others still count. What
a draft holds: N (or FN split into first and last name), TEL with its type, EMAIL, URL, ORG
(as `company_title`), TITLE (position), BDAY, NOTE (comment), and Telegram or WhatsApp
accounts from X-SOCIALPROFILE or IMPP. vCard 2.1's quoted-printable values and charsets are
decoded. Values are not validated here: the core does it when the draft is saved.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import vobject

from crm.rules.freetext import split_name

MAX_CARDS = 500
_BEGIN = re.compile(r"^\s*BEGIN\s*:\s*VCARD\s*$", re.I)
_END = re.compile(r"^\s*END\s*:\s*VCARD\s*$", re.I)
_TELEGRAM_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/([A-Za-z0-9_]+)", re.I)
_WHATSAPP_URL = re.compile(r"^(?:https?://)?(?:api\.)?wa\.me/\+?(\d+)", re.I)
_DATE_DIGITS = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")


class VCardError(ValueError):
    """The file as a whole cannot be read (no card, too many cards); a user-facing reason."""


@dataclass(frozen=True, slots=True)
class VCardEntry:
    """One card of a file: its draft, or why it could not be read (`number` counts from 1)."""

    number: int
    draft: dict[str, Any] | None
    error: str | None = None


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped), UTF-16 with a BOM, else Windows-1252.

    vCard 2.1 values in another charset are quoted-printable, which is ASCII and decoded per
    value by vobject with the CHARSET parameter.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def split_cards(text: str) -> list[str | None]:
    """The text of each BEGIN:VCARD…END:VCARD block; None for a block that is cut off.

    Quoted-printable soft line breaks (a line ending in '=') are joined here: vobject would
    read the next line as a property of its own and fail.
    """
    cards: list[str | None] = []
    current: list[str] | None = None
    joining = False
    for line in text.splitlines():
        if current is None:
            if _BEGIN.match(line):
                current = [line]
            continue
        if joining:
            current[-1] = current[-1][:-1] + line
        elif _BEGIN.match(line):
            cards.append(None)  # a BEGIN without an END: that card is cut off
            current = [line]
            continue
        else:
            current.append(line)
        joining = current[-1].endswith("=") and _is_quoted_printable(current[-1])
        if not joining and _END.match(line):
            cards.append("\r\n".join(current) + "\r\n")
            current = None
    if current is not None:
        cards.append(None)
    return cards


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value if _text(v))
    return " ".join(str(value or "").split())


def _types(line: Any) -> set[str]:
    """A property's types, however the version writes them ("TEL;CELL", "TYPE=cell,voice")."""
    found: set[str] = set()
    for value in [*line.params.get("TYPE", []), *getattr(line, "singletonparams", [])]:
        found.update(part.strip().strip('"').lower() for part in str(value).split(","))
    return found


def _phone_type(types: set[str]) -> str | None:
    for key, value_type in (
        ("fax", "FAX"),
        ("cell", "MOBILE"),
        ("mobile", "MOBILE"),
        ("iphone", "MOBILE"),
        ("work", "WORK"),
        ("home", "HOME"),
        ("other", "OTHER"),
    ):
        if key in types:
            return value_type
    return None


def _place_type(types: set[str]) -> str | None:
    if "work" in types:
        return "WORK"
    if "home" in types:
        return "HOME"
    return None


def _channel(value: str, value_type: str | None) -> dict[str, Any]:
    return {"value": value, "value_type": value_type} if value_type else {"value": value}


def _messenger(line: Any) -> dict[str, Any] | None:
    """A Telegram or WhatsApp account from X-SOCIALPROFILE or IMPP; other services are kept
    as OTHER when they name an account."""
    value = _text(line.value)
    params = {k.upper(): [str(v).lower() for v in vs] for k, vs in line.params.items()}
    service = " ".join(
        [*params.get("X-SERVICE-TYPE", []), *params.get("TYPE", []), *_types(line)]
    ).lower()
    user = (params.get("X-USER") or [""])[0]
    telegram = _TELEGRAM_URL.match(value)
    if "telegram" in service or telegram or value.lower().startswith(("telegram:", "tg:")):
        if telegram:
            name = telegram.group(1)
        elif "domain=" in value:
            name = (parse_qs(urlsplit(value).query).get("domain") or [""])[0]
        else:
            name = user or re.sub(r"^[a-z][a-z0-9+.-]*:(//)?", "", value, flags=re.I)
        name = name.strip().lstrip("@").strip("/")
        return {"value": f"@{name}", "value_type": "TELEGRAM"} if name else None
    whatsapp = _WHATSAPP_URL.match(value)
    if "whatsapp" in service or whatsapp or value.lower().startswith("whatsapp:"):
        number = whatsapp.group(1) if whatsapp else re.sub(r"^[a-z-]+:", "", value, flags=re.I)
        number = user or number
        return {"value": number, "value_type": "WHATSAPP"} if number else None
    if line.name == "IMPP" and value:
        return {"value": re.sub(r"^x-apple:", "", value, flags=re.I), "value_type": "OTHER"}
    return None


def _birthdate(value: str) -> str | None:
    """An ISO date for the core; a date without a year ("--0425") is no birthdate."""
    value = value.strip()
    if not value or value.startswith("--"):
        return None
    digits = _DATE_DIGITS.match(value)
    if digits:
        return "-".join(digits.groups())
    return value  # the core says what is wrong with it


# A draft's channel lists by key ("phones", "emails", "websites", "messengers").
_Lists = dict[str, list[dict[str, Any]]]


def card_to_draft(card: Any) -> dict[str, Any]:
    """One parsed vobject vCard component as a draft.

    1. Each property is read by its reader in `_READERS`; of a repeated property the first
       value counts, except channels, which add up.
    2. FN (the formatted name) is split only when N gave neither a first nor a last name.
    3. The channel lists that are not empty close the draft.
    """
    draft: dict[str, Any] = {}
    lists: _Lists = {
        "phones": [],
        "emails": [],
        "websites": [],
        "messengers": [],
    }
    for line in card.getChildren():
        reader = _READERS.get(line.name.upper())
        if reader is not None:
            reader(line, draft, lists)
    full_name = draft.pop("_fn", None)
    if full_name and not draft.get("first_name") and not draft.get("last_name"):
        for key, value in split_name(full_name).items():
            draft.setdefault(key, value)
    draft.update({key: values for key, values in lists.items() if values})
    return draft


def _read_n(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if not isinstance(line.value, vobject.vcard.Name):
        return
    n = line.value
    for key, part in (
        ("honorific", n.prefix),
        ("first_name", n.given),
        ("middle_name", n.additional),
        ("last_name", n.family),
    ):
        if _text(part) and key not in draft:
            draft[key] = _text(part)


def _read_fn(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if _text(line.value):
        draft.setdefault("_fn", _text(line.value))


def _read_tel(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if _text(line.value):
        number = re.sub(r"^tel:", "", _text(line.value), flags=re.I)
        lists["phones"].append(_channel(number, _phone_type(_types(line))))


def _read_email(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if _text(line.value):
        address = re.sub(r"^mailto:", "", _text(line.value), flags=re.I)
        lists["emails"].append(_channel(address, _place_type(_types(line))))


def _read_url(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if _text(line.value):
        lists["websites"].append(_channel(_text(line.value), _place_type(_types(line))))


def _read_messenger(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    messenger = _messenger(line)
    if messenger:
        lists["messengers"].append(messenger)


def _read_org(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if "company_title" in draft:
        return
    units = line.value if isinstance(line.value, list) else [line.value]
    title = next((_text(u) for u in units if _text(u)), "")
    if title:
        draft["company_title"] = title


def _read_title(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if _text(line.value):
        draft.setdefault("position", _text(line.value))


def _read_bday(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    born = _birthdate(line.value) if isinstance(line.value, str) else None
    if born:
        draft.setdefault("birthdate", born)


def _read_note(line: Any, draft: dict[str, Any], lists: _Lists) -> None:
    if str(line.value or "").strip():
        draft.setdefault("comment", str(line.value).replace("\r\n", "\n").strip())


# The reader of each property a draft takes, by the property's upper-cased name.
_READERS: dict[str, Callable[[Any, dict[str, Any], _Lists], None]] = {
    "N": _read_n,
    "FN": _read_fn,
    "TEL": _read_tel,
    "EMAIL": _read_email,
    "URL": _read_url,
    "X-SOCIALPROFILE": _read_messenger,
    "IMPP": _read_messenger,
    "ORG": _read_org,
    "TITLE": _read_title,
    "BDAY": _read_bday,
    "NOTE": _read_note,
}


def _read_card(text: str) -> dict[str, Any]:
    component = vobject.readOne(text, ignoreUnreadable=False)
    if component.name.upper() != "VCARD":
        raise VCardError("is not a contact card")
    return card_to_draft(component)


def parse_vcards(data: bytes | str, max_cards: int = MAX_CARDS) -> list[VCardEntry]:
    """Every card of a file as a draft or an error; raises VCardError for the whole file.

    A card that cannot be read becomes an entry with `error` instead of an exception: vobject
    raises many kinds of errors on bad input (ParseError, ValueError, UnicodeError,
    LookupError for an unknown charset...), and one bad card must not lose the others.
    """
    text = decode(data) if isinstance(data, bytes) else data
    blocks = split_cards(text)
    if not blocks:
        raise VCardError("contains no contact card (BEGIN:VCARD … END:VCARD)")
    if len(blocks) > max_cards:
        raise VCardError(f"has more than {max_cards} contact cards; split it into smaller files")
    entries: list[VCardEntry] = []
    for number, block in enumerate(blocks, start=1):
        if block is None:
            entries.append(VCardEntry(number, None, "is cut off (BEGIN:VCARD without END:VCARD)"))
            continue
        try:
            entries.append(VCardEntry(number, _read_card(block)))
        except Exception as exc:  # untrusted input: see the docstring
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            # vobject counts lines from the card's BEGIN, which means nothing to the user.
            reason = re.sub(r"^At line \d+: ", "", reason)[:200]
            entries.append(VCardEntry(number, None, f"cannot be read: {reason}"))
    return entries
