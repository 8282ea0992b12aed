"""/settings for admins: one router per sub-feature, composed here.

Every button carries ids only and every press goes through a core use case that checks the
settings right again: a forged button from a plain staff member is refused by the core.
"""

from aiogram import Router

from bot.handlers.settings import (
    fields,
    form_fields,
    form_look,
    forms,
    held,
    invites,
    layout,
    menu,
    roles,
    staff,
    types,
)


def get_router() -> Router:
    """The settings routers; the menu first (it owns /settings), then each screen's. Their
    filters do not overlap, except that within `fields` the catch-all for stale dialog buttons
    is registered after the dialog's own steps."""
    router = Router(name="settings")
    for feature in (
        menu,
        types,
        fields,
        layout,
        staff,
        roles,
        invites,
        forms,
        form_fields,
        form_look,
        held,
    ):
        router.include_router(feature.get_router())
    return router
