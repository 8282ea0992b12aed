"""Who may talk to the bot: the staff check on the parent router, and the translator per update."""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, InlineQuery, Message, TelegramObject, User

from crm.actors import actor_for_telegram
from crm.db import MAX_ID
from crm.errors import NotFoundError, PermissionDeniedError
from crm.i18n import Catalogue

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


_NUMBER = re.compile(r"\d+")


def _impossible_number(data: str) -> bool:
    return any(len(n) > 10 or int(n) > MAX_ID for n in _NUMBER.findall(data))


class LanguageMiddleware(BaseMiddleware):
    """Puts a translator in the user's Telegram language into every update's data."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        data["catalogue"] = self.catalogue
        data["t"] = self.catalogue.translator(user.language_code if user else None)
        return await handler(event, data)


class StaffMiddleware(BaseMiddleware):
    """Lets only active staff through, with their rights (`actor`) and language (`t`).

    Everyone else gets a short refusal and no data: unknown and deactivated users, forged
    callback queries and inline queries alike (inline mode is open to anyone who knows the
    bot's name).
    """

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        try:
            actor = await actor_for_telegram(user.id)
        except (NotFoundError, PermissionDeniedError):
            log.info("refused telegram user %s (not active staff)", user.id)
            await self._refuse(event, data)
            return None
        data["actor"] = actor
        t = data["t"] = self.catalogue.translator(actor.language, actor.timezone)
        if isinstance(event, CallbackQuery) and _impossible_number(event.data or ""):
            # Our buttons carry ids and page numbers that fit PostgreSQL's integers; a larger
            # number is forged or corrupt and would make the database refuse the query.
            await event.answer(t.plain("button-outdated"), show_alert=True)
            return None
        return await handler(event, data)

    async def _refuse(self, event: TelegramObject, data: dict[str, Any]) -> None:
        t = data["t"]
        if isinstance(event, Message) and event.chat.type == "private":
            await event.answer(t("access-refused"))
        elif isinstance(event, CallbackQuery):
            await event.answer(t.plain("access-refused-short"), show_alert=True)
        elif isinstance(event, InlineQuery):
            await event.answer([], cache_time=0, is_personal=True)
