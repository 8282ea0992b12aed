"""Phone numbers: E.164 normalization that keeps what was typed, and digit keys for search."""

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_NON_DIGITS = re.compile(r"\D")
_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")
MIN_SEARCH_DIGITS = 4


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    extension: str | None
    national_digits: str

    @property
    def digits(self) -> str:
        return self.e164.lstrip("+")


class InvalidPhoneError(ValueError):
    pass


def normalize_phone(raw: str, default_region: str | None) -> Phone:
    """Parse a typed phone number into E.164, trying '+' first for bare international digits.

    Raises InvalidPhoneError with a user-facing reason.
    """
    text = raw.strip()
    if not _NON_DIGITS.sub("", text):
        raise InvalidPhoneError("is not a phone number")
    candidates: list[tuple[str, str | None]] = []
    if text.startswith("+"):
        candidates.append((text, None))
    elif text.startswith("00"):
        # '00' is the international prefix almost everywhere; phonenumbers only knows it per region.
        candidates.append(("+" + text[2:], None))
    if default_region and not text.startswith("+"):
        candidates.append((text, default_region))
    if text.isdigit() and not text.startswith("0"):
        # Telegram shares numbers without '+' (STACK.md §2.6), and spreadsheets drop it; both
        # give bare digits. Anything typed with separators ("201-555-0123") is a national number:
        # read as international it silently became another country's number (+20, Egypt).
        candidates.append(("+" + text, None))
    for candidate, region in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            extension = number.extension or None
            number.extension = None  # E.164 has no extension; keep it apart (STACK.md §5)
            national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            return Phone(
                e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
                extension=extension,
                national_digits=_NON_DIGITS.sub("", national),
            )
    if not text.startswith("+") and not text.startswith("00") and not default_region:
        raise InvalidPhoneError("needs a country code such as +33 (no default region is set)")
    raise InvalidPhoneError("is not a valid phone number")


def phone_search_keys(phones: list[Phone]) -> str:
    """Digit forms a phone is found by: international digits and the national form."""
    keys: list[str] = []
    for phone in phones:
        for key in (phone.digits, phone.national_digits):
            if key and key not in keys:
                keys.append(key)
    return " ".join(keys)


def query_digits(query: str) -> str | None:
    """The digits to look for when a query is a phone (fragment); None when it is not one.

    '+33 6 12', '0033 6 12' and '06 12 34' all work: a leading '00' means international.
    """
    stripped = query.strip()
    if not stripped or re.search(r"[^\d\s+().\-/]", stripped):
        return None
    if stripped.startswith(("+", "00")):
        # "+33 (0)6 12 34 56 78": the bracketed trunk '0' is not dialled after a country code and
        # is in no stored key, so keeping it made the full number unfindable.
        stripped = _TRUNK_ZERO.sub("", stripped)
    digits = _NON_DIGITS.sub("", stripped)
    international = stripped.startswith("00") or (
        stripped.startswith("+") and digits.startswith("00")
    )
    # '00' is an international prefix only in front of enough digits to search; '0045' alone is
    # a fragment from the middle of a number ('06 12 00 45 ...') and is kept as typed.
    if international and len(digits) - 2 >= MIN_SEARCH_DIGITS:
        digits = digits[2:]
    if len(digits) < MIN_SEARCH_DIGITS:
        return None
    return digits
