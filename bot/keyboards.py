"""Inline keyboards shared by several features (Telegram allows 100 buttons, 8 per row)."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import CardAction, FilterAction, ListAction
from bot.render import shorten
from crm.contacts import ContactCard
from crm.i18n import Translator
from crm.search import SearchPage

BUTTON_TEXT_LIMIT = 60  # longer button labels are cut by Telegram clients anyway


def results(
    t: Translator, page: SearchPage, serial: int, page_no: int, first_index: int = 1
) -> InlineKeyboardMarkup:
    """One button per contact, then paging and the filter menu."""
    kb = InlineKeyboardBuilder()
    for i, row in enumerate(page.items):
        label = shorten(f"{first_index + i}. {row.name}", BUTTON_TEXT_LIMIT)
        kb.row(
            InlineKeyboardButton(
                text=label, callback_data=CardAction(action="open", id=row.id).pack()
            )
        )
    nav = []
    if page_no > 0:
        nav.append(
            InlineKeyboardButton(
                text=t.plain("btn-prev"),
                callback_data=ListAction(serial=serial, page=page_no - 1).pack(),
            )
        )
    if page.next_cursor is not None:
        nav.append(
            InlineKeyboardButton(
                text=t.plain("btn-next"),
                callback_data=ListAction(serial=serial, page=page_no + 1).pack(),
            )
        )
    if nav:
        kb.row(*nav)
    kb.row(
        InlineKeyboardButton(
            text=t.plain("btn-filters"), callback_data=FilterAction(kind="menu").pack()
        )
    )
    return kb.as_markup()


def card(t: Translator, card: ContactCard) -> InlineKeyboardMarkup:
    """The card's actions; a contact in the recycle bin only offers Restore."""
    contact_id, version = card.id, card.version

    def button(key: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=t.plain(key),
            callback_data=CardAction(action=action, id=contact_id, v=version).pack(),
        )

    kb = InlineKeyboardBuilder()
    if card.contact.deleted_at is not None:
        kb.row(button("btn-restore", "restore"))
        return kb.as_markup()
    kb.row(button("btn-edit", "edit"), button("btn-link", "link"))
    kb.row(button("btn-deps", "deps"), button("btn-history", "hist"))
    kb.row(button("btn-dups", "dups"), button("btn-delete", "del"))
    return kb.as_markup()


def back_to_card(t: Translator, contact_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=t.plain("btn-back"), callback_data=CardAction(action="open", id=contact_id))
    return kb.as_markup()
