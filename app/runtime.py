"""`carnet serve`: one event loop running the web app, the Telegram bot and the scheduler."""

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web

from app import database
from app.settings import Settings, core_config
from app.telegram import TelegramService, bot_config
from app.web import build_app
from crm import config
from crm.setup import ensure_defaults
from crm.staff import ensure_admins
from forms.config import FormsConfig
from scheduler.clock import Clock

log = logging.getLogger("carnet")


def forms_config(settings: Settings) -> FormsConfig:
    secret = settings.forms_secret
    return FormsConfig(
        secret=secret.get_secret_value() if secret is not None else None,
        min_fill_seconds=settings.forms_min_fill_seconds,
        trust_proxy=settings.trust_proxy,
        redis_url=settings.redis_url,
        default_language=settings.default_language,
    )


def telegram_polling(telegram: TelegramService | None) -> asyncio.Task[None] | None:
    return telegram.polling if telegram is not None else None


async def serve(
    settings: Settings, stop: asyncio.Event | None = None, *, handle_as_tasks: bool = True
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set), then shut down cleanly.

    Stops with an error too when the bot's polling dies (a revoked token, say): a CRM whose
    bot silently stopped would look alive to the health check.
    """
    config.configure(core_config(settings))
    await database.connect(settings)
    runner: web.AppRunner | None = None
    telegram: TelegramService | None = None
    clock = Clock(settings.timezone)
    try:
        await ensure_defaults()
        await ensure_admins(settings.admin_telegram_ids)
        app = build_app(forms_config(settings))
        if settings.bot_token is not None:
            telegram = TelegramService(bot_config(settings, handle_as_tasks=handle_as_tasks))
            telegram.mount(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.web_host, settings.web_port)
        await site.start()
        log.info("web: listening on http://%s:%s", settings.web_host, settings.web_port)
        if telegram is None:
            log.info("bot: off (BOT_TOKEN is empty); web forms and the scheduler still run")
        else:
            await telegram.start()
        clock.start()
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
        if telegram is not None and telegram.polling is not None:
            waits.append(telegram.polling)
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if telegram is not None and telegram.polling in done:
            telegram.polling.result()  # raises the polling error
            raise RuntimeError("the bot stopped polling")
        for pending in waits:
            if pending is not telegram_polling(telegram):
                pending.cancel()
        log.info("shutting down")
    finally:
        clock.stop()
        if telegram is not None:
            await telegram.stop()
        if runner is not None:
            await runner.cleanup()
        await database.close()
