"""The message a button sits on, and editing it in place."""

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


class OldMessageError(Exception):
    """The button's message is no longer accessible (Telegram hides it after 48 hours)."""


def query_message(query: CallbackQuery) -> Message:
    """The message of a pressed button; call it before writing anything, so that an old
    button fails before the change, not after (bot/errors.py answers 'outdated')."""
    if not isinstance(query.message, Message):
        raise OldMessageError
    return query.message


async def edit_or_send(target: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a bot message in place; a message Telegram will not edit is sent anew."""
    try:
        await target.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" in exc.message:
            return
        await target.answer(text, reply_markup=markup)
