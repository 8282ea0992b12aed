"""New-lead alerts: "Take it" makes the presser the lead's responsible; the first press wins.
Apply / Ignore settle what a lead proposes to a known contact, once; the alert then says so."""

import contextlib
from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import LeadAction, LeadButton, ProposalAction, ProposalButton
from bot.render import MESSAGE_LIMIT, shorten, visible_length
from crm import leads
from crm.actors import Actor
from crm.i18n import Translator
from crm.webforms import proposals

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


# Each proposal button: the core use case, and what the alert says once it is done.
_PROPOSAL_USE_CASES: dict[
    ProposalButton, tuple[Callable[[Actor, int], Awaitable[proposals.ProposalOutcome]], str]
] = {
    ProposalButton.APPLY: (proposals.apply, "proposal-applied"),
    ProposalButton.IGNORE: (proposals.ignore, "proposal-ignored"),
}


async def on_proposal(
    query: CallbackQuery, callback_data: ProposalAction, actor: Actor, t: Translator
) -> None:
    """Apply or ignore the proposal; the alert then says what happened, without its buttons."""
    use_case, done_key = _PROPOSAL_USE_CASES[callback_data.action]
    outcome = await use_case(actor, callback_data.id)
    if outcome.done:
        name = shorten(actor.label, HOLDER_WIDTH)
        await query.answer(t.plain(done_key, id=outcome.contact_id, name=name))
        note = t(done_key, id=outcome.contact_id, name=name)
    else:
        await query.answer(t.plain("proposal-settled"), show_alert=True)
        note = None
    await _settle_proposal_buttons(query, callback_data.id, note)


async def _settle_proposal_buttons(
    query: CallbackQuery, submission_id: int, note: str | None
) -> None:
    """Drop the Apply / Ignore buttons of this proposal from the alert and add `note` (HTML)
    under its text. A grouped alert keeps the other leads' buttons; a text that would pass
    Telegram's limit, or a message Telegram no longer lets us edit, keeps its text."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    ours = {ProposalAction(action=b, id=submission_id).pack() for b in ProposalButton}
    keyboard = message.reply_markup.inline_keyboard
    rows = [[b for b in row if b.callback_data not in ours] for row in keyboard]
    rows = [row for row in rows if row]
    markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    text = message.html_text if message.text else None
    with contextlib.suppress(TelegramBadRequest):
        if note and text and visible_length(text) + visible_length(note) + 2 <= MESSAGE_LIMIT:
            await message.edit_text(f"{text}\n\n{note}", reply_markup=markup)
        elif rows != keyboard:
            await message.edit_reply_markup(reply_markup=markup)


def get_router() -> Router:
    router = Router(name="leads")
    router.callback_query.register(on_take, LeadAction.filter(F.action == LeadButton.TAKE))
    router.callback_query.register(on_proposal, ProposalAction.filter())
    return router
