"""A contact typed on one line, a shared Telegram contact or a forwarded sender, as a draft.

A draft is a JSON-serialisable dict in the shape `crm.contacts.create_contact` takes, plus
`company_title` (a company named by its title, resolved by `crm.intake`).

How a line is read ("M. Jean de La Fontaine +33 6 12 34 56 78 jean@x.fr @jlf Acme Corp"):

1. E-mail addresses, links (with `http(s)://` or `www.`; `t.me/<name>` is a Telegram
   username), Telegram `@usernames` and phone numbers (phonenumbers' matcher, national numbers
   in the default region) are taken out first, wherever they are. A bare "acme.fr" is left in
   the text: "jean.dupont" would look the same.
2. What is left is cut into pieces at those values and at commas and semicolons.
3. The first piece with words holds the name: an optional honorific (M., Mme, Dr, Mr, Mrs...),
   then at most two name-like words (letters, hyphens, apostrophes), first name then last name.
   Lower-case particles before the last name belong to it ("de La Fontaine", "van Dijk").
   A single word is a first name, or a last name after an honorific ("Mme Curie").
4. Every other word is the company: "Jean Dupont Acme Corp" gives the company "Acme Corp", and
   "Jean +33 6 12 34 56 78 Acme" gives first name Jean and company Acme (the phone ends the
   name). Three name words are read the same way: "Jean Pierre Dupont" is Jean Pierre of the
   company Dupont; type "Jean-Pierre Dupont", or use the step-by-step dialog.
"""

import re
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType

# Canonical spelling of the honorifics people type before a name (lower-case, no dot).
HONORIFICS = {
    "m": "M.",
    "mme": "Mme",
    "mlle": "Mlle",
    "mr": "Mr",
    "mrs": "Mrs",
    "ms": "Ms",
    "miss": "Miss",
    "dr": "Dr",
    "pr": "Pr",
    "prof": "Prof.",
    "sir": "Sir",
}
# Lower-case words that start a last name ("Jean de La Fontaine", "Anna van der Berg").
PARTICLES = {
    "d'",
    "da",
    "dal",
    "de",
    "del",
    "della",
    "der",
    "des",
    "di",
    "do",
    "dos",
    "du",
    "la",
    "le",
    "ten",
    "ter",
    "van",
    "von",
}
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_TELEGRAM_LINK = re.compile(
    r"(?<![\w.])(?:https?://)?(?:www\.)?(?:t|telegram)\.me/([A-Za-z][A-Za-z0-9_]{3,31})\b/?", re.I
)
_URL = re.compile(r"(?:https?://|www\.)[^\s,;<>\"]+", re.I)
_USERNAME = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})(?![\w@])")
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-])*$")
_PIECES = re.compile(r"[\n,;]+")
_EDGE_PUNCTUATION = "()[]{}\"'«»“”:!?|"
_CUT = "\n"  # replaces every value taken out of the line: it ends the name


def _honorific(word: str) -> str | None:
    return HONORIFICS.get(word.lower().rstrip("."))


def is_name_word(word: str) -> bool:
    """Letters with inner hyphens or apostrophes ("Jean-Pierre", "O'Brien"), no digits."""
    return bool(_NAME_WORD.match(word)) and len(word) <= 100


def phone_value_type(raw: str, region: str | None) -> str:
    """MOBILE for a number phonenumbers knows to be a mobile one, WORK otherwise (the default
    type of a phone in the core)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "WORK"
    return "MOBILE" if phonenumbers.number_type(number) == PhoneNumberType.MOBILE else "WORK"


def split_name(full: str) -> dict[str, str]:
    """A full name known to be nothing but a name ("Dr Jean Pierre Dupont"): the honorific,
    then the last word (with its particles) is the last name and the rest the first name."""
    words = full.split()
    out: dict[str, str] = {}
    if len(words) > 1 and _honorific(words[0]):
        out["honorific"] = _honorific(words[0]) or words[0]
        words = words[1:]
    if not words:
        return out
    if len(words) == 1:
        out["first_name"] = words[0]
        return out
    cut = len(words) - 1
    for index in range(1, len(words) - 1):
        if words[index] in PARTICLES:
            cut = index
            break
    out["first_name"] = " ".join(words[:cut])
    out["last_name"] = " ".join(words[cut:])
    return out


def _take(pattern: re.Pattern[str], text: str, found: list[str], group: int = 0) -> str:
    def keep(match: re.Match[str]) -> str:
        found.append(match.group(group))
        return _CUT

    return pattern.sub(keep, text)


def _take_phones(text: str, region: str | None) -> tuple[str, list[dict[str, str]]]:
    phones: list[dict[str, str]] = []
    matches = list(phonenumbers.PhoneNumberMatcher(text, region or "ZZ"))
    for match in reversed(matches):
        text = text[: match.start] + _CUT + text[match.end :]
    for match in matches:
        is_mobile = phonenumbers.number_type(match.number) == PhoneNumberType.MOBILE
        phones.append({"value": match.raw_string, "value_type": "MOBILE" if is_mobile else "WORK"})
    return text, phones


def _read_name(words: list[str], draft: dict[str, Any]) -> list[str]:
    """Put the name at the start of `words` into the draft; returns the words left over."""
    index = 0
    honorific = _honorific(words[0])
    if honorific and (len(words) > 1 or words[0].endswith(".")):
        draft["honorific"] = honorific
        index = 1
    if index < len(words) and is_name_word(words[index]):
        draft["first_name"] = words[index]
        index += 1
        particles: list[str] = []
        probe = index
        # Only a lower-case particle starts a last name; the ones after it may be capitalised.
        while probe < len(words) and (words[probe].lower() if particles else words[probe]) in (
            PARTICLES
        ):
            particles.append(words[probe])
            probe += 1
        if probe < len(words) and is_name_word(words[probe]):
            draft["last_name"] = " ".join([*particles, words[probe]])
            index = probe + 1
        elif "honorific" in draft:
            # "Mme Curie", "Dr House": one word after an honorific is a last name.
            draft["last_name"] = draft.pop("first_name")
    return words[index:]


def parse_line(text: str, region: str | None) -> dict[str, Any]:
    """A one-line contact as a draft (see the module's docstring for the rules).

    Keys appear only when something was found; nothing is validated here (the core does it).
    """
    emails: list[str] = []
    links: list[str] = []
    usernames: list[str] = []
    websites: list[str] = []
    text = _take(_EMAIL, text, emails)
    text = _take(_TELEGRAM_LINK, text, links, group=1)
    text = _take(_URL, text, websites)
    text = _take(_USERNAME, text, usernames, group=1)
    text, phones = _take_phones(text, region)
    draft: dict[str, Any] = {}
    leftover: list[str] = []
    named = False
    for piece in _PIECES.split(text):
        words = [w.strip(_EDGE_PUNCTUATION) or w for w in piece.split()]
        words = [w for w in words if w.strip(_EDGE_PUNCTUATION)]
        if not words:
            continue
        if not named:
            named = True
            words = _read_name(words, draft)
        if words:
            leftover.append(" ".join(words))
    if leftover:
        draft["company_title"] = ", ".join(leftover)
    if phones:
        draft["phones"] = phones
    if emails:
        draft["emails"] = [{"value": e, "value_type": "WORK"} for e in emails]
    if websites:
        draft["websites"] = [{"value": w.rstrip(".)"), "value_type": "WORK"} for w in websites]
    messengers = list(dict.fromkeys([*links, *usernames]))
    if messengers:
        draft["messengers"] = [{"value": f"@{u}", "value_type": "TELEGRAM"} for u in messengers]
    return draft


def telegram_contact(
    phone_number: str, first_name: str | None, last_name: str | None = None
) -> dict[str, Any]:
    """A contact shared in Telegram: its name as given and its phone.

    Telegram usually sends the international digits, with or without the '+' depending on the
    client; but a number saved in a phone's address book may come as typed there, national
    ("06 12 34 56 78"). The '+' is added only when that makes a valid international number;
    otherwise the core reads it with the default region.
    """
    draft: dict[str, Any] = {}
    if first_name and first_name.strip():
        draft["first_name"] = first_name.strip()
    if last_name and last_name.strip():
        draft["last_name"] = last_name.strip()
    phone = (phone_number or "").strip()
    if phone:
        if phone[0].isdigit() and _valid_international("+" + phone):
            phone = "+" + phone
        draft["phones"] = [{"value": phone, "value_type": "MOBILE"}]
    return draft


def _valid_international(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return False


def forwarded_sender(
    first_name: str | None, last_name: str | None = None, username: str | None = None
) -> dict[str, Any]:
    """The sender of a forwarded message: their Telegram name and username, if they have one."""
    draft = telegram_contact("", first_name, last_name)
    if username:
        draft["messengers"] = [{"value": f"@{username}", "value_type": "TELEGRAM"}]
    return draft


def hidden_sender(name: str) -> dict[str, Any]:
    """A sender who hides their account: only the name Telegram shows, split into first and
    last name (the last word is the last name)."""
    return split_name(name.strip())
