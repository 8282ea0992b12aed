"""`carnet serve`: one event loop running the web app, the Telegram bot and the scheduler.

The web app and the scheduler are the parts a team cannot lose (leads arrive through the
forms, stranded leads are swept up by the scheduler), so nothing the bot meets stops them: the
bot runs supervised (see app/telegram.py) and `/healthz` says which part is down.
"""

import asyncio
import errno
import logging
import signal
import socket

from aiohttp import web

from app import database
from app.health import Health
from app.home import HomeConfig
from app.logs import quiet_library_logs, redact_everywhere, secrets_of
from app.settings import Settings, SettingsError, core_config
from app.telegram import TelegramService, bot_config
from app.web import build_app
from crm import config
from crm.secrets import shared_secret
from crm.setup import ensure_defaults
from crm.staff import ensure_admins
from crm.webforms import definitions
from crm.webforms.worker import Worker
from forms.config import FormsConfig
from scheduler.clock import Clock

log = logging.getLogger("carnet")
FORMS_SECRET_NAME = "forms"


def forms_config(settings: Settings, stored_secret: str | None = None) -> FormsConfig:
    """The forms adapter's settings; its key is FORMS_SECRET, else the one kept in the database
    (so a page shown before a restart, or by another process, still posts a valid token)."""
    secret = settings.forms_secret
    return FormsConfig(
        secret=secret.get_secret_value() if secret is not None else stored_secret,
        min_fill_seconds=settings.forms_min_fill_seconds,
        address_limit_per_minute=settings.forms_rate_per_address,
        form_limit_per_minute=settings.forms_rate_per_form,
        trust_proxy=settings.trust_proxy,
        redis_url=settings.redis_url,
        default_language=settings.default_language,
    )


def base_url(settings: Settings) -> str:
    """Where people reach the web app: PUBLIC_URL, else the address it listens on."""
    if settings.public_url:
        return settings.public_url
    host = settings.web_host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a display
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{settings.web_port}"


async def listen(runner: web.AppRunner, settings: Settings) -> None:
    """Start listening; an address that cannot be used is a configuration error that names
    WEB_HOST or WEB_PORT and the reason, not a socket traceback."""
    where = f"{settings.web_host}:{settings.web_port}"
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except socket.gaierror as exc:
        raise SettingsError(
            f"WEB_HOST: {settings.web_host!r} is not an address or a host name this machine can"
            f" resolve ({exc.strerror})"
        ) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SettingsError(
                f"WEB_PORT: {where} is already in use (another carnet serve, or another"
                " program); stop it or choose another WEB_PORT"
            ) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise SettingsError(
                f"WEB_PORT: not allowed to listen on {where} (ports below 1024 need root);"
                " use a port such as 8080 behind a reverse proxy"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise SettingsError(
                f"WEB_HOST: {settings.web_host} is not an address of this machine"
                " (use 127.0.0.1, or 0.0.0.0 for every interface)"
            ) from None
        raise SettingsError(f"WEB_HOST/WEB_PORT: cannot listen on {where}: {exc}") from None


async def log_forms(settings: Settings) -> None:
    """Say where the active forms are, so a newcomer finds them from the start log."""
    forms = await definitions.active_forms()
    root = base_url(settings)
    for form in forms:
        log.info("web form %r: %s/forms/%s", form.title, root, form.slug)
    if not forms:
        log.info("web forms: none is active (carnet forms list)")


async def serve(
    settings: Settings, stop: asyncio.Event | None = None, *, handle_as_tasks: bool = True
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set), then shut down cleanly.

    Order: database, defaults, the web form worker (it first finishes the leads a stopped
    process left), the web app listening, the scheduler, then the bot in the background; a
    bot that cannot reach Telegram, or whose token is refused, is reported by /healthz and
    the log while the rest keeps running.
    """
    redact_everywhere(secrets_of(settings))
    quiet_library_logs(settings.log_level)
    # Held for the whole run: `carnet restore` refuses to swap a SQLite file under it.
    with database.serving_lock(settings):
        await _serve(settings, stop, handle_as_tasks=handle_as_tasks)


async def _serve(settings: Settings, stop: asyncio.Event | None, *, handle_as_tasks: bool) -> None:
    config.configure(core_config(settings))
    await database.connect(settings)
    runner: web.AppRunner | None = None
    telegram: TelegramService | None = None
    clock = Clock(settings.timezone)
    worker = Worker()
    try:
        await ensure_defaults()
        await ensure_admins(settings.admin_telegram_ids)
        worker.start()
        if settings.bot_token is not None:
            telegram = TelegramService(bot_config(settings, handle_as_tasks=handle_as_tasks))
        service = telegram
        health = Health(
            redis_url=settings.redis_url,
            scheduler=lambda: clock.running,
            bot=(lambda: service.status) if service is not None else None,
        )
        home = HomeConfig(
            default_language=settings.default_language,
            bot_username=(lambda: service.username) if service is not None else None,
        )
        stored = None if settings.forms_secret else await shared_secret(FORMS_SECRET_NAME)
        app = build_app(forms_config(settings, stored), health=health, home=home)
        if telegram is not None:
            telegram.mount(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await listen(runner, settings)
        log.info("web: listening on http://%s:%s", settings.web_host, settings.web_port)
        await log_forms(settings)
        clock.start()
        if telegram is None:
            log.info("bot: off (BOT_TOKEN is empty); web forms and the scheduler still run")
        else:
            await telegram.start()
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
    finally:
        # The web app first: it stops taking requests and lets those in flight finish (a
        # webhook update Telegram was told is received must still be handled by a running
        # bot); then the worker (a lead it cannot finish in time rolls back and stays
        # received for the next start); then the bot; the database last, when nothing can
        # use it any more.
        clock.stop()
        if runner is not None:
            await runner.cleanup()
        await worker.stop()
        if telegram is not None:
            await telegram.stop()
        await database.close()
