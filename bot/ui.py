"""Widgets shared by the bot's screens: buttons, grids, pages, Back, and the widths text is cut
to (named here, each with the limit or layout reason that sets it)."""

from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.render import shorten
from crm.i18n import Translator, escape

T = TypeVar("T")
Screen = tuple[str, InlineKeyboardMarkup]  # a message's text (HTML) and its buttons

# Widths (characters) that text is cut to before it is escaped.
BUTTON_WIDTH = 60  # a button label, on every screen: Telegram clients cut longer labels anyway
ANSWER_WIDTH = 190  # a callback query's answer (toast or alert): Telegram refuses over 200
QUERY_WIDTH = 60  # a search query quoted back in the heading of what it found
SHORT_WIDTH = 30  # a name sharing a button or a line with other words
LINE_WIDTH = 60  # a name on one line of a list (20 lines per page stay far below 4096)
NAME_WIDTH = 100  # a name quoted in a sentence (a title, a question, a notice)
TEXT_WIDTH = 200  # a label or text shown whole on its own screen
JOINED_WIDTH = 600  # a comma-joined list of names (roles, options) on one screen

# Layout of lists of buttons.
PAGE_SIZE = 20  # items per page: 20 buttons and 20 short lines stay far below the limits
GRID_COLUMNS = 2  # buttons a row in a grid: Telegram allows 8; names need room


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button with a label cut to BUTTON_WIDTH and typed callback data (shared by every
    screen, the edit dialogs and the outbox's alerts)."""
    return InlineKeyboardButton(text=shorten(text, BUTTON_WIDTH), callback_data=data.pack())


def grid(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Buttons in rows of GRID_COLUMNS."""
    return [list(buttons[i : i + GRID_COLUMNS]) for i in range(0, len(buttons), GRID_COLUMNS)]


def page_of(items: Sequence[T], page: int) -> tuple[Sequence[T], int, int]:
    """The items of page `page` (clamped), that page and the number of pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages


def nav(
    t: Translator, page: int, pages: int, make: Callable[[int], CallbackData]
) -> list[list[InlineKeyboardButton]]:
    """Previous / Next buttons for a paged list (none on a single page)."""
    buttons = []
    if page > 0:
        buttons.append(button(t.plain("btn-prev"), make(page - 1)))
    if page < pages - 1:
        buttons.append(button(t.plain("btn-next"), make(page + 1)))
    return [buttons] if buttons else []


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """An inline keyboard of the non-empty rows."""
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def back(t: Translator, data: CallbackData) -> list[InlineKeyboardButton]:
    """A row with one Back button."""
    return [button(t.plain("btn-back"), data)]


def check(on: bool, label: str) -> str:
    """A toggle's label: ticked or not."""
    return ("✅ " if on else "⬜ ") + label


def joined(t: Translator, names: Sequence[str]) -> str:
    """Names as escaped HTML, comma-separated and cut before escaping; a dash when empty."""
    if not names:
        return t("none")
    return escape(shorten(", ".join(names), JOINED_WIDTH))


def page_title(t: Translator, title: str, page: int, pages: int) -> str:
    """A list's title, with "page n of m" when there is more than one."""
    if pages == 1:
        return title
    return title + " " + t("settings-page", page=page + 1, pages=pages)


def with_notice(notice: str, text: str) -> str:
    """A screen's text under a notice of what just happened (if anything)."""
    return f"{notice}\n\n{text}" if notice else text


def nth(items: Sequence[T], index: int) -> T | None:
    """An item by an index from a button (never trusted): None when out of range."""
    return items[index] if 0 <= index < len(items) else None
