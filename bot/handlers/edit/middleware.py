"""The edit dialogs' error handling: stale edits, bad input, and dialogs left on other errors."""

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import render
from bot.callbacks import CardAction, CardButton
from bot.handlers.edit.common import error_text, forget
from bot.ui import ANSWER_WIDTH, button
from crm import customfields
from crm.errors import CrmError, StaleEditError, ValidationError
from crm.i18n import Translator


class EditErrorsMiddleware(BaseMiddleware):
    """A stale edit becomes a friendly message with the way to the current card; bad input is
    reported and may be retried; any other core error ends the dialog (and is reported by the
    bot's error handler)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        t: Translator = data["t"]
        state: FSMContext | None = data.get("state")
        try:
            return await handler(event, data)
        except StaleEditError as exc:
            if state is not None:
                await forget(state)
            kb = InlineKeyboardBuilder()
            kb.add(
                button(
                    t.plain("edit-btn-open-current"),
                    CardAction(action=CardButton.OPEN, id=int(exc.params["entity_id"])),
                )
            )
            await _reply(event, t("edit-stale"), kb.as_markup(), t.plain("edit-stale-short"))
        except ValidationError as exc:
            text = error_text(t, exc, await customfields.active_fields())
            await _reply(event, text, None, t.plain("error-short"))
        except CrmError:
            if state is not None:
                await forget(state)
            raise
        return None


async def _reply(
    event: TelegramObject, text: str, markup: InlineKeyboardMarkup | None, short: str
) -> None:
    if isinstance(event, CallbackQuery):
        # The handler may have answered the query already; a second answer is refused.
        with contextlib.suppress(TelegramBadRequest):
            await event.answer(render.shorten(short, ANSWER_WIDTH))
        if isinstance(event.message, Message):
            await event.message.answer(text, reply_markup=markup)
    elif isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
