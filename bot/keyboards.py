"""Inline keyboards shared by several features (Telegram allows 100 buttons, 8 per row).

Built as plain lists rather than with InlineKeyboardBuilder, whose `as_markup()` deep-copies
every button: on the search path that copy cost more than the search itself.
"""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CardAction, CardButton, FilterAction, FilterButton, ListAction
from bot.ui import button
from crm.contacts import ContactCard
from crm.i18n import Translator
from crm.search import SearchPage


def results(
    t: Translator, page: SearchPage, serial: int, page_no: int, first_index: int = 1
) -> InlineKeyboardMarkup:
    """One button per contact, then paging and the filter menu."""
    rows = [
        [button(f"{first_index + i}. {row.name}", CardAction(action=CardButton.OPEN, id=row.id))]
        for i, row in enumerate(page.items)
    ]
    nav = []
    if page_no > 0:
        nav.append(button(t.plain("btn-prev"), ListAction(serial=serial, page=page_no - 1)))
    if page.next_cursor is not None:
        nav.append(button(t.plain("btn-next"), ListAction(serial=serial, page=page_no + 1)))
    if nav:
        rows.append(nav)
    rows.append([button(t.plain("btn-filters"), FilterAction(action=FilterButton.MENU))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card(
    t: Translator, card: ContactCard, *, editable: bool = True, deletable: bool = True
) -> InlineKeyboardMarkup:
    """The card's actions; a contact in the recycle bin only offers Restore.

    Edit, Link and Delete are left out for readers without that right (the core would refuse
    them anyway: this only spares a useless tap).
    """

    def act(key: str, action: CardButton) -> InlineKeyboardButton:
        return button(t.plain(key), CardAction(action=action, id=card.id, version=card.version))

    if card.contact.deleted_at is not None:
        return InlineKeyboardMarkup(inline_keyboard=[[act("btn-restore", CardButton.RESTORE)]])
    rows = (
        [[act("btn-edit", CardButton.EDIT), act("btn-link", CardButton.LINK)]] if editable else []
    )
    rows.append([act("btn-deps", CardButton.DEPENDENCIES), act("btn-history", CardButton.HISTORY)])
    rows.append(
        [act("btn-dups", CardButton.DUPLICATES)]
        + ([act("btn-delete", CardButton.DELETE)] if deletable else [])
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_to_card(t: Translator, contact_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    t.plain("btn-back"), CardAction(action=CardButton.OPEN, id=contact_id, number=1)
                )
            ]
        ]
    )
