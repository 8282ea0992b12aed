"""Builds the bot adapter: Bot, storage, Dispatcher with its routers, command menus, webhook."""

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.methods.base import Response
from aiogram.types import BotCommand, BotCommandScopeDefault, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.access import LanguageMiddleware, StaffMiddleware
from bot.config import BotConfig
from bot.errors import on_error
from bot.handlers import card, create, edit, fallback, leads, search, settings, start
from crm.i18n import LANGUAGES, Catalogue

log = logging.getLogger(__name__)

LOCALES = Path(__file__).parent / "locales"
WEBHOOK_PATH = "/telegram/webhook"
STATE_TTL = 24 * 3600
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


# Methods whose answers the bot reads; see pin_response_types.
_USED_METHODS = (
    methods.GetMe,
    methods.GetUpdates,
    methods.SendMessage,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.AnswerCallbackQuery,
    methods.AnswerInlineQuery,
    methods.SendDocument,
    methods.GetFile,
    methods.SetMyCommands,
    methods.SetWebhook,
    methods.DeleteWebhook,
)


def pin_response_types() -> tuple[type, ...]:
    """Build aiogram's `Response[T]` models once and return them, to be kept alive.

    aiogram parses every Bot API answer with `Response[method.__returning__]`, a pydantic
    generic model; pydantic caches those weakly, so between requests the garbage collector
    drops them and each answer rebuilt a model class (milliseconds each): measured as a
    quarter of the bot's CPU at 50 staff searching at once.
    """
    return tuple({Response[m.__returning__] for m in _USED_METHODS})  # type: ignore[name-defined]


def build_storage(redis_url: str | None) -> BaseStorage:
    """Conversation state in Redis when several processes share the bot, else in memory."""
    if redis_url:
        # Dialog data holds drafts with phones and e-mails: it expires after a day unused.
        return RedisStorage.from_url(
            redis_url,
            key_builder=DefaultKeyBuilder(with_destiny=True),
            state_ttl=STATE_TTL,
            data_ttl=STATE_TTL,
        )
    return MemoryStorage()


def _run_filters_inline(router: Router) -> None:
    """Evaluate synchronous filters on the event loop instead of in a thread.

    aiogram 3.31 sends every non-async filter (magic filters such as `F.text`, bare `State`
    objects) through `asyncio.to_thread`; a plain text message walking the routers made about
    17 thread hops before reaching its handler. Our filters only read the update, so they are
    safe to call inline.
    """
    for observer in router.observers.values():
        # The observer's own handler holds the router-level filters (`router.message.filter`).
        for handler in [observer._handler, *observer.handlers]:  # noqa: SLF001
            for flt in handler.filters or []:
                if not flt.awaitable:
                    flt.callback = _inline(flt.callback)
                    flt.awaitable = True
    for child in router.sub_routers:
        _run_filters_inline(child)


def _inline(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return inline


def build_dispatcher(
    catalogue: Catalogue, storage: BaseStorage, public_url: str | None = None
) -> Dispatcher:
    """The Dispatcher: public invite handling first, then every staff feature behind one check.

    `public_url` (PUBLIC_URL) reaches handlers that show an address of the web app.
    """
    # Updates of one user are handled one at a time, so a double tap cannot run a flow twice
    # at once: per process in memory, across processes with a Redis lock.
    isolation = (
        storage.create_isolation() if isinstance(storage, RedisStorage) else SimpleEventIsolation()
    )
    dp = Dispatcher(
        storage=storage, events_isolation=isolation, catalogue=catalogue, public_url=public_url
    )
    dp.update.outer_middleware(LanguageMiddleware(catalogue))
    dp.errors.register(on_error)

    staff_router = Router(name="staff")
    # Contact data never goes to a group: staff features answer in private chats only.
    staff_router.message.filter(F.chat.type == "private")
    staff_router.callback_query.filter(F.message.chat.type == "private")
    access = StaffMiddleware(catalogue)
    for observer in (staff_router.message, staff_router.callback_query, staff_router.inline_query):
        observer.outer_middleware(access)
    search.register_plain_text(staff_router)
    staff_router.include_routers(
        start.get_router(),
        create.get_router(),
        edit.get_router(),
        settings.get_router(),
        leads.get_router(),
        card.get_router(),
        search.get_router(),
        fallback.get_router(),  # last: a press no feature recognised
    )
    dp.include_routers(start.build_public_router(), staff_router)
    _run_filters_inline(dp)
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


class WebhookHandler(SimpleRequestHandler):
    """aiogram's webhook handler, except that a body which is not an update is answered 400:
    aiogram lets the parse error escape, which aiohttp turns into a 500 and a logged traceback.
    The secret is checked first, so a stranger still gets 401 whatever they post."""

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        token = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if self.verify_secret(token, bot):
            try:
                Update.model_validate_json(await request.read())
            except ValueError:  # bad JSON, bad UTF-8, or JSON that is not an update
                return web.Response(status=400, text="the body is not a Telegram update")
        return await super().handle(request)


def mount_webhook(app: web.Application, dp: Dispatcher, bot: Bot, secret: str) -> None:
    """`POST /telegram/webhook` on the web app; aiogram compares the secret in constant time."""
    WebhookHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=WEBHOOK_PATH)
