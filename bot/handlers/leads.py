"""New-lead alerts: "Take it" makes the presser the lead's responsible; the first press wins."""

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import LeadAction, LeadButton
from bot.render import shorten
from crm import leads
from crm.actors import Actor
from crm.i18n import Translator

HOLDER_WIDTH = 60  # who has the lead, named in an alert (Telegram's answers allow 200 characters)


async def on_take(
    query: CallbackQuery, callback_data: LeadAction, actor: Actor, t: Translator
) -> None:
    """Take the lead (or say who has it), then drop the button from the alert."""
    result = await leads.take_lead(actor, callback_data.id)
    if result.holder_id == actor.staff_id:
        await query.answer(t.plain("lead-yours"))
    elif result.holder_name:
        name = shorten(result.holder_name, HOLDER_WIDTH)
        await query.answer(t.plain("lead-taken-by", name=name), show_alert=True)
    else:
        await query.answer(t.plain("lead-taken"), show_alert=True)
    await _drop_take_button(query, callback_data)


async def _drop_take_button(query: CallbackQuery, callback_data: LeadAction) -> None:
    """Edit the alert's keyboard without this lead's Take button (the lead is taken now).

    A grouped alert keeps the other leads' buttons. Nothing happens on a message Telegram no
    longer lets us edit (older than 48 hours) or that changed meanwhile.
    """
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    pressed = callback_data.pack()
    keyboard = message.reply_markup.inline_keyboard
    rows = [[b for b in row if b.callback_data != pressed] for row in keyboard]
    rows = [row for row in rows if row]
    if rows == keyboard:
        return
    markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=markup)


def get_router() -> Router:
    router = Router(name="leads")
    router.callback_query.register(on_take, LeadAction.filter(F.action == LeadButton.TAKE))
    return router
