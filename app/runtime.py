"""`carnet serve`: one event loop running the web app (and, in later issues, bot and scheduler)."""

import asyncio
import logging
import signal

from aiohttp import web

from app import database
from app.settings import Settings
from app.web import build_app
from crm import config
from crm.setup import ensure_defaults
from crm.staff import ensure_admins

log = logging.getLogger("carnet")


def core_config(settings: Settings) -> config.CoreConfig:
    return config.CoreConfig(
        default_phone_region=settings.default_phone_region,
        default_language=settings.default_language,
        timezone=settings.timezone,
    )


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set), then shut down cleanly."""
    config.configure(core_config(settings))
    await database.connect(settings)
    runner: web.AppRunner | None = None
    try:
        await ensure_defaults()
        await ensure_admins(settings.admin_telegram_ids)
        runner = web.AppRunner(build_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.web_host, settings.web_port)
        await site.start()
        log.info("web: listening on http://%s:%s", settings.web_host, settings.web_port)
        if settings.bot_token is None:
            log.info("bot: off (BOT_TOKEN is empty); web forms and the scheduler still run")
        else:
            log.warning("bot: BOT_TOKEN is set but this version has no bot adapter yet")
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
    finally:
        if runner is not None:
            await runner.cleanup()
        await database.close()
