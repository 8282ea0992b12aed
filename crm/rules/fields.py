"""Validation of contact fields, channels and custom field values (pure, per-field messages)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from crm.rules.emails import InvalidEmailError, normalize_email
from crm.rules.phones import InvalidPhoneError, Phone, normalize_phone
from crm.rules.text import clean_text, visible_text
from models.enums import ChannelKind, FieldType

TEXT_FIELDS: dict[str, int] = {
    "honorific": 30,
    "first_name": 100,
    "middle_name": 100,
    "last_name": 100,
    "position": 200,
    "source_description": 2000,
    "comment": 10000,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_content": 200,
    "utm_term": 200,
}
MULTILINE = {"comment", "source_description"}
BOOL_FIELDS = {"opened", "include_in_export"}
REF_FIELDS = {"type_id", "source_id", "responsible_id"}
DATE_FIELDS = {"birthdate"}
SCALAR_FIELDS = set(TEXT_FIELDS) | BOOL_FIELDS | REF_FIELDS | DATE_FIELDS
CHANNEL_FIELDS = {
    "phones": ChannelKind.PHONE,
    "emails": ChannelKind.EMAIL,
    "websites": ChannelKind.WEB,
    "messengers": ChannelKind.MESSENGER,
}
VALUE_TYPES: dict[ChannelKind, tuple[str, ...]] = {
    ChannelKind.PHONE: ("WORK", "MOBILE", "HOME", "FAX", "OTHER"),
    ChannelKind.EMAIL: ("WORK", "HOME", "OTHER"),
    ChannelKind.WEB: ("WORK", "HOME", "OTHER"),
    ChannelKind.MESSENGER: ("TELEGRAM", "WHATSAPP", "OTHER"),
}
TRUE_WORDS = {"1", "true", "yes", "y", "on", "oui", "vrai", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "non", "faux", ""}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
_TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/")


class FieldError(ValueError):
    """A bad value; the message is user-facing and names no field (the caller adds it)."""


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise FieldError("must be yes or no")


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), fmt).date()  # noqa: DTZ007 - a date
            except ValueError:
                continue
    raise FieldError("must be a date such as 1990-04-25 or 25/04/1990")


def parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise FieldError("must be a date and time such as 2026-05-01T10:00+02:00") from exc
    else:
        raise FieldError("must be a date and time")
    if parsed.tzinfo is None:
        raise FieldError("must include a time zone (e.g. +02:00 or Z)")
    return parsed.astimezone(UTC)


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise FieldError("must be a whole number")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,19}\s*", value):
        result = int(value)
    else:
        raise FieldError("must be a whole number")
    if not -(2**63) <= result < 2**63:
        raise FieldError("is too large")
    return result


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldError("must be a number")
    try:
        text = str(value).strip().replace(",", ".").replace(" ", "")
        result = Decimal(text)
    except InvalidOperation as exc:
        raise FieldError("must be a number such as 12.50") from exc
    if not result.is_finite() or abs(result) >= Decimal(10) ** 14:
        raise FieldError("must be a number such as 12.50")
    # Round first, then check again: 99999999999999.9999999 passes the check above but rounds up
    # to 10**14, one digit more than the column holds. `+ 0` turns -0.000000 into 0.000000.
    result = result.quantize(Decimal("0.000001")) + 0
    if abs(result) >= Decimal(10) ** 14:
        raise FieldError("must be a number such as 12.50")
    return result


def parse_url(value: Any) -> str:
    text = clean_text(str(value))
    bad = FieldError("must be a web address such as https://example.com")
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        # "mailto:a@b.fr" or "tel:+33..." is another kind of address, not a site without its
        # scheme: prefixed with https:// it read as user "mailto" at host "b.fr" and passed.
        # "example.com:8080" is a host and a port, so a digit after the colon is allowed.
        if re.match(r"^[a-z][a-z0-9+.-]*:(?!\d)", text, re.I):
            raise bad
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in text:
        raise bad
    if "." not in parts.hostname and parts.hostname != "localhost":
        raise bad
    # Empty labels ("https://.com", "a..com") are no host; a user name or password in a contact's
    # site is either a leaked secret or a disguise ("https://bank.com@evil.example").
    if "" in parts.hostname.removesuffix(".").split(".") or "@" in parts.netloc:
        raise bad
    try:
        parts.port  # noqa: B018 - raises ValueError for "example.com:99999" or ":abc"
    except ValueError as exc:
        raise bad from exc
    if len(text) > 255:
        raise FieldError("is longer than 255 characters")
    return text


def clean_string(value: Any, max_length: int, multiline: bool = False) -> str | None:
    if value is None:
        return None
    # bool is an int, but `True` from a JSON body is no name: it used to be stored as "True".
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError("must be text")
    text = visible_text(str(value))
    text = text.strip() if multiline else clean_text(text)
    if "\x00" in text:
        raise FieldError("contains a NUL character")
    if len(text) > max_length:
        raise FieldError(f"is longer than {max_length} characters")
    return text or None


@dataclass(frozen=True, slots=True)
class ChannelValue:
    kind: ChannelKind
    value_type: str
    value: str
    normalized: str
    extension: str | None = None
    phone: Phone | None = None


def clean_channel(
    kind: ChannelKind, raw: Any, value_type: str | None, region: str | None
) -> ChannelValue:
    """Validate and normalize one channel value; raises FieldError.

    Checked in this order: the value is there and is text, its type, its length, then the
    kind's own rule (a phone number, an e-mail address, a web address, a messenger account).
    """
    if isinstance(raw, dict):
        value_type = raw.get("value_type") or raw.get("type") or value_type
        raw = raw.get("value")
    if raw is None or not str(raw).strip():
        raise FieldError("is empty")
    # A list or a nested object is not a value: str() of it used to be validated as a phone or
    # an e-mail and failed with a confusing message.
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise FieldError("must be text")
    vtype = _value_type(kind, value_type)
    typed = clean_text(str(raw))
    if len(typed) > 255:
        raise FieldError("is longer than 255 characters")
    return _CHANNEL_RULES[kind](vtype, typed, region)


def _value_type(kind: ChannelKind, value_type: Any) -> str:
    """A channel's value type, upper-cased; the kind's first type when none is given."""
    allowed = VALUE_TYPES[kind]
    if value_type is not None and not isinstance(value_type, str):
        # A number or a list as the type used to crash with AttributeError on .upper().
        raise FieldError(f"type must be one of {', '.join(allowed)}")
    vtype = (value_type or "").strip().upper() or allowed[0]
    if vtype not in allowed:
        raise FieldError(f"type must be one of {', '.join(allowed)}")
    return vtype


def _phone_channel(vtype: str, typed: str, region: str | None) -> ChannelValue:
    try:
        phone = normalize_phone(typed, region)
    except InvalidPhoneError as exc:
        raise FieldError(str(exc)) from exc
    return ChannelValue(ChannelKind.PHONE, vtype, typed, phone.e164, phone.extension, phone)


def _email_channel(vtype: str, typed: str, region: str | None) -> ChannelValue:
    try:
        return ChannelValue(ChannelKind.EMAIL, vtype, typed, normalize_email(typed))
    except InvalidEmailError as exc:
        raise FieldError(str(exc)) from exc


def _web_channel(vtype: str, typed: str, region: str | None) -> ChannelValue:
    return ChannelValue(ChannelKind.WEB, vtype, typed, parse_url(typed).lower())


def _messenger_channel(vtype: str, typed: str, region: str | None) -> ChannelValue:
    normalized = typed.lower()
    if vtype == "TELEGRAM":
        # People paste links in every form: https://t.me/x, http://t.me/x, t.me/x, telegram.me/x.
        normalized = _TELEGRAM_LINK.sub("", normalized).removeprefix("@")
        if not re.fullmatch(r"[a-z0-9_]{4,32}|\+?\d{6,15}", normalized):
            raise FieldError("must be a Telegram username such as @jean_dupont")
    return ChannelValue(ChannelKind.MESSENGER, vtype, typed, normalized)


# Each kind's own rule, applied to a value already trimmed and checked for length.
_CHANNEL_RULES: dict[ChannelKind, Callable[[str, str, str | None], ChannelValue]] = {
    ChannelKind.PHONE: _phone_channel,
    ChannelKind.EMAIL: _email_channel,
    ChannelKind.WEB: _web_channel,
    ChannelKind.MESSENGER: _messenger_channel,
}


def clean_custom_value(
    field_type: FieldType, value: Any, options: list[Any], region: str | None = None
) -> Any:
    """Coerce one custom field value to its type; raises FieldError. Staff ids are checked later."""
    if field_type == FieldType.LIST:
        return _list_key(value, options)
    if field_type == FieldType.PHONE:
        try:
            return normalize_phone(str(value), region).e164
        except InvalidPhoneError as exc:
            raise FieldError(str(exc)) from exc
    parse = _CUSTOM_PARSERS.get(field_type)
    if parse is None:
        raise FieldError("has an unknown type")
    return parse(value)


def _line_value(value: Any) -> str:
    text = clean_string(value, 255)
    if text is None:
        raise FieldError("is empty")
    return text


def _text_value(value: Any) -> str:
    text = clean_string(value, 10000, multiline=True)
    if text is None:
        raise FieldError("is empty")
    return text


def _email_value(value: Any) -> str:
    try:
        return normalize_email(str(value))
    except InvalidEmailError as exc:
        raise FieldError(str(exc)) from exc


def _list_key(value: Any, options: list[Any]) -> str:
    """The key of the option `value` names, by its key or (case-insensitively) its label."""
    keys = [str(o["key"]) if isinstance(o, dict) else str(o) for o in options]
    labels = {
        (str(o.get("label", o["key"])) if isinstance(o, dict) else str(o)).casefold(): key
        for o, key in zip(options, keys, strict=True)
    }
    text = str(value).strip()
    if text in keys:
        return text
    if text.casefold() in labels:
        return labels[text.casefold()]
    raise FieldError(f"must be one of {', '.join(keys)}")


# The custom field types whose value needs nothing but itself (a list needs its options, a
# phone the default region).
_CUSTOM_PARSERS: dict[str, Callable[[Any], Any]] = {
    FieldType.STRING: _line_value,
    FieldType.TEXT: _text_value,
    FieldType.INTEGER: parse_int,
    FieldType.STAFF: parse_int,
    FieldType.DECIMAL: parse_decimal,
    FieldType.BOOLEAN: parse_bool,
    FieldType.DATE: parse_date,
    FieldType.DATETIME: parse_datetime,
    FieldType.URL: parse_url,
    FieldType.EMAIL: _email_value,
}


def clean_channel_list(
    name: str, kind: ChannelKind, raw: Any, region: str | None, errors: dict[str, str]
) -> list[ChannelValue]:
    """Clean a list of channel values (blanks skipped, repeats dropped, order kept).

    Bad values add a message to `errors` under `name` (or `name.<index>` in a longer list).
    """
    items = raw if isinstance(raw, list | tuple) else [raw]
    cleaned: list[ChannelValue] = []
    for index, item in enumerate(items):
        if item is None or (isinstance(item, str) and not item.strip()):
            continue
        try:
            value = clean_channel(kind, item, None, region)
        except FieldError as exc:
            errors[f"{name}.{index}" if len(items) > 1 else name] = str(exc)
            continue
        if all(v.normalized != value.normalized for v in cleaned):
            cleaned.append(value)
    return cleaned
