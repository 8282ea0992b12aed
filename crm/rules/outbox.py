"""Outbox delivery rules: retry back-off, stale claims, grouping and splitting long texts."""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

# Telegram counts a message's visible text in UTF-16 code units, at most 4096 of them, and
# allows 100 buttons per inline keyboard.
MESSAGE_LIMIT = 4096
BUTTON_LIMIT = 100
# A claim this old belongs to a process that died between claiming and recording the outcome:
# sending one message takes well under a second, so five minutes leaves a wide margin.
CLAIM_TIMEOUT = timedelta(minutes=5)
_MAX_DOUBLINGS = 30  # past this, 2**n only overflows timedelta; the cap applies long before


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures (5xx, network) are retried: exponential back-off, then give up.

    With the defaults a message is tried 8 times over about an hour (30 s, 1, 2, 4, 8, 16,
    32 min between attempts) before it is marked failed.
    """

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: base, 2×base, 4×base… at most cap."""
        doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        return min(self.cap, self.base * 2**doublings)

    def gives_up(self, attempts: int) -> bool:
        """Whether a message that failed `attempts` times is failed for good."""
        return attempts >= self.max_attempts


def stale_before(now: datetime, timeout: timedelta = CLAIM_TIMEOUT) -> datetime:
    """Claims made before this moment are stale and go back to pending."""
    return now - timeout


def utf16_len(text: str) -> int:
    """A text's length as Telegram counts it (characters beyond the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def group_by(items: Sequence[T], key: Callable[[T], Hashable | None]) -> list[list[T]]:
    """Items with the same key together, groups in the order of their first item.

    An item whose key is None stays alone: only messages that ask for it are merged.
    """
    groups: list[list[T]] = []
    by_key: dict[Hashable, list[T]] = {}
    for item in items:
        k = key(item)
        if k is None:
            groups.append([item])
        elif k in by_key:
            by_key[k].append(item)
        else:
            by_key[k] = [item]
            groups.append(by_key[k])
    return groups


def pack(
    sizes: Sequence[int],
    buttons: Sequence[int] = (),
    *,
    limit: int = MESSAGE_LIMIT,
    separator: int = 2,
    max_buttons: int = BUTTON_LIMIT,
) -> list[list[int]]:
    """Cut items into consecutive chunks, each one message: joined sizes within `limit`.

    `sizes` are the items' visible lengths, `buttons` how many buttons each brings (a message
    holds at most `max_buttons`), `separator` the length put between two items. An item too
    large for a message on its own gets a chunk of its own (its text is then split).
    Returns lists of item indices, in order.
    """
    chunks: list[list[int]] = []
    current: list[int] = []
    size = keys = 0
    for i, item_size in enumerate(sizes):
        item_buttons = buttons[i] if i < len(buttons) else 0
        fits = (
            size + separator + item_size <= limit and keys + item_buttons <= max_buttons
            if current
            else True
        )
        if not fits:
            chunks.append(current)
            current, size, keys = [], 0, 0
        size += (separator if current else 0) + item_size
        keys += item_buttons
        current.append(i)
    if current:
        chunks.append(current)
    return chunks


def _fit(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    size = 0
    for i, ch in enumerate(text):
        size += 2 if ord(ch) > 0xFFFF else 1
        if size > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """A text cut into pieces of at most `limit` UTF-16 code units.

    Cuts at the last line break that fits, else the last space, else anywhere; the line break
    or space cut at is dropped. Short texts come back as they are, in a list of one.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        end = _fit(rest, limit)
        window = rest[:end]
        cut = window.rfind("\n")
        if cut <= 0:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = end
        pieces.append(rest[:cut])
        rest = rest[cut:]
        if rest[:1] in ("\n", " "):
            rest = rest[1:]
    pieces.append(rest)
    return pieces
