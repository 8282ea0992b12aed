"""The last router: a button no feature recognises (sent before an upgrade changed its data, or
forged) is answered as outdated instead of leaving the user's press spinning."""

from aiogram import Router
from aiogram.types import CallbackQuery

from crm.i18n import Translator


async def on_unknown_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("button-outdated"), show_alert=True)


def get_router() -> Router:
    """Included last: every other router had its chance at the press."""
    router = Router(name="fallback")
    router.callback_query.register(on_unknown_button)
    return router
