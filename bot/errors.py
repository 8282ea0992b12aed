"""Errors at the edge: a CrmError becomes a friendly translated reply, anything else is logged."""

import contextlib
import logging
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import ErrorEvent, Message

from bot import render
from bot.messages import OldMessageError
from bot.ui import ANSWER_WIDTH
from crm import customfields, staff
from crm.errors import CrmError, ValidationError
from crm.i18n import Catalogue, Translator

log = logging.getLogger(__name__)


async def _translator(event: ErrorEvent, catalogue: Catalogue) -> Translator:
    update = event.update
    source = update.message or update.callback_query or update.inline_query
    user = source.from_user if source else None
    if user is None:
        return catalogue.translator(None)
    preferences = await staff.preferences_of(user.id)
    if preferences is not None:
        return catalogue.translator(*preferences)
    return catalogue.translator(user.language_code)


async def on_error(event: ErrorEvent, catalogue: Catalogue, **_: Any) -> bool:
    """Reply to the user who caused the error; returns True so aiogram does not log it twice."""
    exc = event.exception
    update = event.update
    if isinstance(exc, OldMessageError) and update.callback_query is not None:
        t = await _translator(event, catalogue)
        with contextlib.suppress(TelegramBadRequest):
            await update.callback_query.answer(t.plain("button-outdated"), show_alert=True)
        return True
    if isinstance(exc, CrmError):
        log.info("update %s: %s %s", update.update_id, type(exc).__name__, exc.message)
    else:
        log.error(
            "update %s failed (%s from user %s): %r",
            update.update_id,
            update.event_type,
            getattr(getattr(update.event, "from_user", None), "id", None),
            exc,
            exc_info=exc,
        )
    try:
        t = await _translator(event, catalogue)
        if isinstance(exc, ValidationError):
            text = render.error(t, exc, await customfields.active_fields())
        elif isinstance(exc, CrmError):
            text = render.error(t, exc)
        else:
            text = t("error-unexpected")
        if update.callback_query is not None:
            query = update.callback_query
            if isinstance(query.message, Message):
                await query.message.answer(text)
            # The handler may have answered the query already; a second answer is refused.
            with contextlib.suppress(TelegramBadRequest):
                await query.answer(render.shorten(t.plain("error-short"), ANSWER_WIDTH))
        elif update.message is not None:
            await update.message.answer(text)
        elif update.inline_query is not None:
            await update.inline_query.answer([], cache_time=0, is_personal=True)
    except Exception:  # the reply itself failed: the original error is already logged
        log.exception("could not tell the user about the error in update %s", update.update_id)
    return True
