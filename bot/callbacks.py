"""Typed callback data shared by several features (ids only: never search text, never trusted)."""

from aiogram.filters.callback_data import CallbackData


class CardAction(CallbackData, prefix="c"):
    """A button on a contact card; `v` is the version shown, `p` a page number."""

    action: str
    id: int
    v: int = 0
    p: int = 0


class ListAction(CallbackData, prefix="l"):
    """Page `page` of the list numbered `serial` in the user's conversation state."""

    serial: int
    page: int


class FilterAction(CallbackData, prefix="f"):
    """A filter button: kind is menu, my, all, type, resp, staff, saved, save, drop."""

    kind: str
    id: int = 0


class ProfileAction(CallbackData, prefix="p"):
    """The member's own preferences: `what` is lang, tzask or tz; `value` a code or a zone."""

    what: str
    value: str = ""


class LeadAction(CallbackData, prefix="ld"):
    """A button on a new-lead alert: `take` makes the presser the lead's responsible."""

    action: str
    id: int
