"""Codes derived from names (custom fields, card sections) and moves within an ordered list."""

import re
import unicodedata
from typing import TypeVar

T = TypeVar("T")

CODE_LENGTH = 40  # derived codes stay short: they end up in exports and `uf:<code>` placements


def slug(text: str, fallback: str) -> str:
    """A code from a name: 'Date d'entrée' -> 'date_d_entree'; `fallback` when nothing is left.

    Always starts with a letter and uses only a-z, 0-9 and _ (a valid identifier).
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:CODE_LENGTH].strip("_")
    if not code:
        return fallback
    return code if code[0].isalpha() else f"{fallback}_{code}"[:CODE_LENGTH]


def unique_code(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`... whichever is not taken."""
    if base not in taken:
        return base
    number = 2
    while f"{base[: CODE_LENGTH - 6]}_{number}" in taken:
        number += 1
    return f"{base[: CODE_LENGTH - 6]}_{number}"


def moved(items: list[T], item: T, offset: int) -> list[T]:
    """`items` with `item` moved `offset` places (clamped at both ends)."""
    if item not in items:
        return list(items)
    order = [i for i in items if i != item]
    position = max(0, min(items.index(item) + offset, len(order)))
    order.insert(position, item)
    return order
