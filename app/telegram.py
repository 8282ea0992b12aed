"""The Telegram bot wired from the settings: long polling, or a webhook on the web app."""

import asyncio
import contextlib
import logging

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiohttp import web

from app.settings import Settings
from bot.config import BotConfig
from bot.outbox import OutboxSender
from bot.setup import (
    build_bot,
    build_catalogue,
    build_dispatcher,
    build_storage,
    mount_webhook,
    pin_response_types,
    set_commands,
)

log = logging.getLogger("carnet.bot")
SENDER_STOP_TIMEOUT = 10.0  # seconds: one Telegram request in flight, then the claims go back


def bot_config(settings: Settings, *, handle_as_tasks: bool = True) -> BotConfig:
    assert settings.bot_token is not None
    return BotConfig(
        token=settings.bot_token.get_secret_value(),
        api_url=settings.telegram_api_url,
        webhook_url=settings.webhook_url,
        webhook_secret=(
            settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        ),
        redis_url=settings.redis_url,
        default_language=settings.default_language,
        public_url=settings.public_url,
        handle_as_tasks=handle_as_tasks,
    )


class TelegramService:
    """Owns the Bot, its Dispatcher and storage for the life of `carnet serve`."""

    def __init__(self, config: BotConfig) -> None:
        self.config = config
        self.response_types = pin_response_types()  # held for the life of the service
        self.catalogue = build_catalogue(config.default_language)
        self.storage = build_storage(config.redis_url)
        self.bot = build_bot(config)
        self.dispatcher = build_dispatcher(self.catalogue, self.storage, config.public_url)
        self.polling: asyncio.Task[None] | None = None
        self.outbox = OutboxSender(self.bot, self.catalogue)
        self.sending: asyncio.Task[None] | None = None
        self._stop_sending = asyncio.Event()

    @property
    def webhook_mode(self) -> bool:
        return bool(self.config.webhook_url)

    def mount(self, app: web.Application) -> None:
        """Adds the webhook route (before the app starts, while its router can still change)."""
        if self.webhook_mode:
            assert self.config.webhook_secret is not None  # the settings require it
            mount_webhook(app, self.dispatcher, self.bot, self.config.webhook_secret)

    async def start(self) -> None:
        """Publishes the command menu, starts the outbox sender, then registers the webhook or
        starts long polling."""
        try:
            await set_commands(self.bot, self.catalogue)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # Not fatal: the menu is a convenience and is set again at the next start.
            log.warning("could not set the command menu: %s", exc)
        self._stop_sending.clear()
        self.sending = asyncio.create_task(
            self.outbox.run(self._stop_sending), name="telegram-outbox"
        )
        allowed = self.dispatcher.resolve_used_update_types()
        if self.webhook_mode:
            assert self.config.webhook_url is not None
            await self.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=allowed,
            )
            log.info("bot: webhook mode (%s)", self.config.webhook_url)
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        self.polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=self.config.polling_timeout,
                handle_as_tasks=self.config.handle_as_tasks,
                allowed_updates=allowed,
            ),
            name="telegram-polling",
        )
        log.info("bot: long polling")

    async def stop(self) -> None:
        if self.polling is not None and not self.polling.done():
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await self.dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await self.polling
        if self.sending is not None:
            # The sender finishes the message in flight and gives its other claims back.
            self._stop_sending.set()
            try:
                await asyncio.wait_for(self.sending, SENDER_STOP_TIMEOUT)
            except TimeoutError:
                log.warning("the outbox sender did not stop in time; its claims expire later")
        await self.dispatcher.storage.close()
        await self.bot.session.close()
