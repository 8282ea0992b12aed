"""Folding and tokenizing text for search and duplicate keys (accent-, case- and script-aware)."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Kana voicing marks (dakuten, handakuten) are not accents: "ガ" (ga) and "カ" (ka) are different
# sounds, and Japanese users always type them; stripping them would make "ガルシア" a duplicate of
# "カルシア". NFKD splits them off like any other combining mark, so keep them explicitly.
_KEPT_MARKS = frozenset("\u3099\u309a")


def fold(text: str) -> str:
    """Lower-case and strip accents: 'José ÁLVAREZ' -> 'jose alvarez'; other scripts kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(
        ch for ch in decomposed if ch in _KEPT_MARKS or not unicodedata.combining(ch)
    )
    return unicodedata.normalize("NFC", stripped).casefold()


def words(text: str) -> list[str]:
    """Folded word tokens; punctuation (., @, -, ') separates words as search engines do."""
    # A word is a letter or digit followed by letters, digits and combining marks. A plain
    # `[^\W_]+` regex is not enough: the marks that survive folding (Devanagari vowel signs,
    # Thai vowels...) are not "word characters" for `re`, so "हिन्दी" fell apart into pieces.
    tokens: list[str] = []
    current: list[str] = []
    for ch in fold(text):
        if ch.isalnum() or (current and unicodedata.category(ch).startswith("M")):
            current.append(ch)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


# Characters nobody sees that change what a text says or how it matches: ANSI escape sequences,
# control characters (category Cc: U+0001-U+001F and U+007F-U+009F, tab and line feed kept),
# zero-width spaces, word joiners, the BOM, and the bidi embeddings, overrides and isolates that
# make "U+202E oc.live" read as "evil.co". Joiners (ZWJ, ZWNJ) and LRM/RLM stay: emoji sequences
# and Persian or Indic words need them, and they reorder nothing. NUL stays for the caller to
# refuse with its own message.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_UNSEEN = re.compile(
    "[\x01-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff\u180e\u202a-\u202e\u2066-\u2069]"
)


def visible_text(value: str) -> str:
    """The text as a reader sees it: NFC, without ANSI escapes, control characters (tabs and
    line breaks stay), zero-width spaces and bidi overrides. Typed text goes through this
    before it is validated, stored or turned into duplicate keys (`Du\u200bpont` is Dupont)."""
    # NFC last: a character dropped between a letter and its accent ("A\x1f\u0300") would
    # otherwise leave the two apart, and the text not what the same word typed plainly is.
    text = _UNSEEN.sub("", _ANSI_ESCAPE.sub("", value.replace("\r\n", "\n")))
    return unicodedata.normalize("NFC", text)


def clean_text(value: str) -> str:
    """Trim and collapse inner whitespace of a one-line value."""
    return _SPACES.sub(" ", value).strip()


def name_key(first: str | None, last: str | None) -> str | None:
    """Duplicate key for a person's name; None without a last name (F6: last name required)."""
    if not last or not last.strip():
        return None
    return " ".join(words(last)) + "|" + " ".join(words(first or ""))


def search_text(names: list[str | None], emails: list[str], companies: list[str]) -> str:
    """The words a contact is found by, as one space-separated folded string."""
    tokens: list[str] = []
    seen: set[str] = set()
    for part in [*names, *emails, *companies]:
        for token in words(part or ""):
            if token not in seen:
                seen.add(token)
                tokens.append(token)
    return " ".join(tokens)


def title_matches(title: str, query: str) -> bool:
    """The rule titles are found by: the query's words start a run of the title's words.

    The Python twin of the `title_key` match `crm.search.search_companies` makes in SQL.
    """
    key = " ".join(words(query))
    title_key = " ".join(words(title))
    return bool(key) and (title_key.startswith(key) or f" {key}" in title_key)
