"""Typed callback data shared by several features (ids only: never search text, never trusted).

Each button's action is a `StrEnum` member; the short values keep callback data within
Telegram's 64 bytes (aiogram packs a member as its value).
"""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class CardButton(StrEnum):
    """The buttons on and around a contact card."""

    OPEN = "open"
    EDIT = "edit"
    LINK = "link"
    HISTORY = "hist"
    DEPENDENCIES = "deps"
    DUPLICATES = "dups"
    MERGE = "merge"
    CONFIRM_MERGE = "mergeok"
    UNMERGE = "unmerge"
    DELETE = "del"
    CONFIRM_DELETE = "delok"
    RESTORE = "restore"


class CardAction(CallbackData, prefix="c"):
    """A button on a contact card; `version` is the version shown.

    `number` depends on the action: OPEN 1 shows the card in place of the message, HISTORY
    the page, MERGE and CONFIRM_MERGE the other contact, UNMERGE the merge to undo.
    """

    action: CardButton
    id: int
    version: int = 0
    number: int = 0


class ListAction(CallbackData, prefix="l"):
    """Page `page` of the list numbered `serial` in the user's conversation state."""

    serial: int
    page: int


class FilterButton(StrEnum):
    """The buttons of the search filter menu."""

    MENU = "menu"
    MY = "my"
    ALL = "all"
    TYPE = "type"
    RESPONSIBLE_MENU = "resp"
    RESPONSIBLE = "staff"
    SAVED = "saved"
    SAVE = "save"
    RECYCLE_BIN = "bin"


class FilterAction(CallbackData, prefix="f"):
    """A filter button; `id` is the type, staff member or saved filter it applies."""

    action: FilterButton
    id: int = 0


class ProfileButton(StrEnum):
    """The member's own preferences."""

    LANGUAGE = "lang"
    ASK_TIMEZONE = "tzask"
    TIMEZONE = "tz"


class ProfileAction(CallbackData, prefix="p"):
    """A preference button; `value` is a language code or a time zone name."""

    action: ProfileButton
    value: str = ""


class LeadButton(StrEnum):
    """The buttons on a new-lead alert."""

    TAKE = "take"  # the presser becomes the lead's responsible


class LeadAction(CallbackData, prefix="ld"):
    """A button on a new-lead alert about contact `id`."""

    action: LeadButton
    id: int


class ProposalButton(StrEnum):
    """The buttons of a lead alert that proposes changes to a known contact."""

    APPLY = "apply"  # write the proposal on the contact
    IGNORE = "ignore"  # drop it


class ProposalAction(CallbackData, prefix="pp"):
    """A button on a lead alert about the proposal of web form submission `id`."""

    action: ProposalButton
    id: int
