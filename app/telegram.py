"""The Telegram bot wired from the settings: long polling, or a webhook on the web app.

The bot is the one part of Carnet that depends on a service outside the operator's hands, so it
runs as a supervised task that never takes the rest of the process with it: while Telegram
cannot be reached it tries again with back-off (one log line per attempt); a refused token is
said once, clearly, and the bot stays off until the next start; web forms and the scheduler run
on either way, and `/healthz` shows the bot's state.
"""

import asyncio
import contextlib
import logging
import random

from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import User
from aiohttp import web

from app.settings import Settings
from bot.config import BotConfig
from bot.link import OUTAGES, REFUSALS, LinkState, LinkStatus, TelegramLink, short_reason
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
REFUSED = (
    "bot: Telegram refused BOT_TOKEN ({reason}): the token is wrong or was revoked. Get the"
    " current one from @BotFather (/mybots → your bot → API Token), put it in BOT_TOKEN and"
    " restart Carnet. The bot stays off until then; web forms and the scheduler keep running."
)


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


class Backoff:
    """Delays between attempts: doubling from `first` up to `limit` seconds, with a little
    jitter so that several processes do not knock on Telegram's door in step."""

    def __init__(self, first: float, limit: float) -> None:
        self.first, self.limit = first, limit
        self.attempt = 0

    def next_delay(self) -> float:
        delay = min(self.limit, self.first * 2**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not a secret


class TelegramService:
    """Owns the Bot, its Dispatcher and storage for the life of `carnet serve`."""

    def __init__(self, config: BotConfig) -> None:
        self.config = config
        self.response_types = pin_response_types()  # held for the life of the service
        self.catalogue = build_catalogue(config.default_language)
        self.storage = build_storage(config.redis_url)
        self.bot = build_bot(config)
        self.link = TelegramLink(config.token)
        self.bot.session.middleware(self.link)
        self.dispatcher = build_dispatcher(self.catalogue, self.storage, config.public_url)
        # The update types the routers handle: asked of Telegram when polling or on the webhook.
        self.allowed_updates = self.dispatcher.resolve_used_update_types()
        self.me: User | None = None
        self.polling: asyncio.Task[None] | None = None
        self.outbox = OutboxSender(self.bot, self.catalogue)
        self.sending: asyncio.Task[None] | None = None
        self._running: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._online = asyncio.Event()

    @property
    def webhook_mode(self) -> bool:
        return bool(self.config.webhook_url)

    @property
    def status(self) -> LinkStatus:
        return self.link.status

    @property
    def username(self) -> str | None:
        """The bot's @username once Telegram has answered (None before)."""
        return self.me.username if self.me is not None else None

    def mount(self, app: web.Application) -> None:
        """Adds the webhook route (before the app starts, while its router can still change)."""
        if self.webhook_mode:
            assert self.config.webhook_secret is not None  # the settings require it
            mount_webhook(app, self.dispatcher, self.bot, self.config.webhook_secret)

    async def start(self) -> None:
        """Runs the bot in the background and returns at once: nothing waits for Telegram, and
        nothing it does raises into the caller (see `run`)."""
        self._stop.clear()
        self._running = asyncio.create_task(self.run(), name="telegram")

    async def ready(self, within: float = 10.0) -> bool:
        """Wait until the bot is online (True) or has given up (False); for tests and tools."""
        settled = asyncio.ensure_future(self._online.wait())
        waits = [settled] + ([self._running] if self._running is not None else [])
        try:
            await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            settled.cancel()
        return self._online.is_set()

    async def run(self) -> None:
        """Connect (retrying while Telegram is unreachable), then serve until stopped or until
        the token is refused. Errors end here: logged, shown in the link state, never raised."""
        try:
            if await self._connect():
                await self._serve()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("bot: stopped by an unexpected error; web forms and scheduler go on")
            self.link.set(LinkState.FAILED, short_reason(exc))

    async def _connect(self) -> bool:
        """Ask Telegram who we are and set up the delivery of updates, until it works.

        Returns False when the token is refused or the service is stopped meanwhile.
        """
        backoff = Backoff(self.config.retry_first, self.config.retry_limit)
        while not self._stop.is_set():
            try:
                self.me = await self.bot.me()
                await self._deliver_updates()
                return True
            except REFUSALS as exc:
                log.error(REFUSED.format(reason=exc.message))
                return False
            except (*OUTAGES, TelegramRetryAfter) as exc:
                delay = (
                    float(exc.retry_after)
                    if isinstance(exc, TelegramRetryAfter)
                    else backoff.next_delay()
                )
                log.warning(
                    "bot: cannot reach Telegram at %s (%s); trying again in %.0f s (attempt %s)",
                    self.config.api_url or "api.telegram.org",
                    short_reason(exc),
                    delay,
                    backoff.attempt,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
        return False

    async def _deliver_updates(self) -> None:
        """Webhook mode registers the webhook; long polling removes any webhook first."""
        if self.webhook_mode:
            assert self.config.webhook_url is not None
            await self.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=self.allowed_updates,
            )
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)

    async def _serve(self) -> None:
        """Publish the menu, start the outbox sender and polling, then wait for the stop, a
        refused token or polling ending on its own."""
        assert self.me is not None
        try:
            await set_commands(self.bot, self.catalogue)
        except TelegramAPIError as exc:
            # Not fatal: the menu is a convenience and is set again at the next start.
            log.warning("bot: could not set the command menu: %s", short_reason(exc))
        self.sending = asyncio.create_task(self.outbox.run(self._stop), name="telegram-outbox")
        mode = f"webhook {self.config.webhook_url}" if self.webhook_mode else "long polling"
        log.info("bot: @%s is online (https://t.me/%s), %s", self.username, self.username, mode)
        self._online.set()
        waits: list[asyncio.Future[object]] = [
            asyncio.ensure_future(self._stop.wait()),
            asyncio.ensure_future(self.link.refused.wait()),
        ]
        if not self.webhook_mode:
            self.polling = asyncio.create_task(self._poll(), name="telegram-polling")
            waits.append(self.polling)  # type: ignore[arg-type]
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits[:2]:
                waiting.cancel()
        if self.link.refused.is_set() and not self._stop.is_set():
            log.error(REFUSED.format(reason=self.link.status.detail or "Unauthorized"))
            await self._halt()
        elif self.polling is not None and self.polling in done:
            self.polling.result()  # an error of polling's own is raised into `run`
            raise RuntimeError("long polling ended on its own")

    async def _poll(self) -> None:
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=self.config.polling_timeout,
            handle_as_tasks=self.config.handle_as_tasks,
            allowed_updates=self.allowed_updates,
        )

    async def _halt(self) -> None:
        """Stop polling and the outbox sender (the sender gives its claims back); each within
        a time limit, an error of either logged, never raised: stopping must finish."""
        self._stop.set()
        if self.polling is not None and not self.polling.done():
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await self.dispatcher.stop_polling()
            await _finish(self.polling, "long polling")
        if self.sending is not None:
            await _finish(self.sending, "the outbox sender")

    async def stop(self) -> None:
        """Stop everything the bot runs and close its connections (never raises)."""
        self._stop.set()
        if self._running is not None:
            await _finish(self._running, "the bot")
        await self._halt()
        if self.link.status.state not in (LinkState.REFUSED, LinkState.FAILED):
            self.link.set(LinkState.STOPPED)
        for close, what in (
            (self.dispatcher.storage.close, "the conversation storage"),
            (self.bot.session.close, "the Bot API session"),
        ):
            try:
                await close()
            except Exception:
                log.exception("bot: closing %s failed", what)


async def _finish(task: "asyncio.Task[None]", what: str) -> None:
    """Wait for a task told to stop; cancel it after SENDER_STOP_TIMEOUT; log its error."""
    if not task.done():
        try:
            await asyncio.wait_for(asyncio.shield(task), SENDER_STOP_TIMEOUT)
        except TimeoutError:
            log.warning("bot: %s did not stop within %s s; cancelled", what, SENDER_STOP_TIMEOUT)
            task.cancel()
        except Exception:
            pass  # read below
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await task
        except Exception:
            log.exception("bot: %s ended with an error", what)
