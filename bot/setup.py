"""Builds the bot adapter: Bot, storage, Dispatcher with its routers, command menus, webhook."""

import logging
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.access import LanguageMiddleware, StaffMiddleware
from bot.config import BotConfig
from bot.errors import on_error
from bot.handlers import card, create, edit, search, settings, start
from crm.i18n import LANGUAGES, Catalogue

log = logging.getLogger(__name__)

LOCALES = Path(__file__).parent / "locales"
WEBHOOK_PATH = "/telegram/webhook"
# /today, /import and /export join the menu with the activities and import/export features.
MENU = ("find", "new", "settings", "language", "help", "cancel")


def build_catalogue(default_language: str) -> Catalogue:
    return Catalogue([LOCALES], default_language)


def build_bot(config: BotConfig) -> Bot:
    """A Bot on Telegram or on the Bot API server at `api_url`, sending HTML."""
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(config.api_url))
        if config.api_url
        else AiohttpSession()
    )
    return Bot(
        config.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_storage(redis_url: str | None) -> BaseStorage:
    """Conversation state in Redis when several processes share the bot, else in memory."""
    if redis_url:
        return RedisStorage.from_url(redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
    return MemoryStorage()


def build_dispatcher(catalogue: Catalogue, storage: BaseStorage) -> Dispatcher:
    """The Dispatcher: public invite handling first, then every staff feature behind one check."""
    # SimpleEventIsolation serialises updates per user: a double tap cannot run a flow twice
    # at once. It is per process; several webhook workers rely on the core's version checks.
    dp = Dispatcher(storage=storage, events_isolation=SimpleEventIsolation(), catalogue=catalogue)
    dp.update.outer_middleware(LanguageMiddleware(catalogue))
    dp.errors.register(on_error)

    staff_router = Router(name="staff")
    access = StaffMiddleware(catalogue)
    for observer in (staff_router.message, staff_router.callback_query, staff_router.inline_query):
        observer.outer_middleware(access)
    staff_router.include_routers(
        start.build_router(),
        create.build_router(),
        edit.build_router(),
        settings.build_router(),
        card.build_router(),
        search.build_router(),
        search.build_fallback_router(),
    )
    dp.include_routers(start.build_public_router(), staff_router)
    return dp


async def set_commands(bot: Bot, catalogue: Catalogue) -> None:
    """The command menu in every language (Telegram picks by the user's app language)."""
    for language in LANGUAGES:
        t = catalogue.translator(language)
        commands = [BotCommand(command=c, description=t.plain(f"menu-{c}")) for c in MENU]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=language)
    t = catalogue.translator(catalogue.default_language)
    await bot.set_my_commands(
        [BotCommand(command=c, description=t.plain(f"menu-{c}")) for c in MENU],
        scope=BotCommandScopeDefault(),
    )


def mount_webhook(app: web.Application, dp: Dispatcher, bot: Bot, secret: str) -> None:
    """`POST /telegram/webhook` on the web app; aiogram compares the secret in constant time."""
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=WEBHOOK_PATH)
