"""`GET /`: a small public page saying what this is, the open forms, and where the bot is."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from app.version import carnet_version
from crm.db import unavailable_reason
from crm.i18n import Catalogue, Markup, Translator, escape
from crm.webforms import definitions
from forms.page import negotiate_language

log = logging.getLogger(__name__)
LOCALES = Path(__file__).parent / "locales"
CSS = (
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:#1b1b1b;background:#f5f5f7}main{max-width:36rem;margin:0 auto;padding:2rem 1rem}"
    "h1{margin:0 0 .25rem}a{color:#1f5fbf}li{margin:.3rem 0}.note{color:#4a4a4a;font-size:.9rem}"
)


@dataclass(frozen=True, slots=True)
class HomeConfig:
    """What the page needs from the process: the default language and the bot's @username
    (None when there is no bot; the callable gives None while it is not connected)."""

    default_language: str = "en"
    bot_username: Callable[[], str | None] | None = None


# The page lists the active forms as read at most this long ago: anyone may load the page,
# and a flood of it must not become a flood of queries on the one SQLite connection.
FORMS_TTL = 30.0


@dataclass(slots=True)
class HomeState:
    config: HomeConfig
    catalogue: Catalogue
    forms: list[definitions.PublicForm] | None = None
    read_at: float = float("-inf")

    async def active_forms(self) -> list[definitions.PublicForm]:
        """The active forms, from the database at most every FORMS_TTL seconds; raises when
        the database cannot answer and nothing was read yet."""
        if self.forms is None or time.monotonic() - self.read_at > FORMS_TTL:
            self.forms = await definitions.active_forms()
            self.read_at = time.monotonic()
        return self.forms


HOME = web.AppKey("carnet_home", HomeState)


def setup_home(app: web.Application, config: HomeConfig) -> None:
    """Register `GET /` on `app` (before it starts)."""
    app[HOME] = HomeState(config, Catalogue([LOCALES], config.default_language))
    app.router.add_get("/", home)


async def home(request: web.Request) -> web.Response:
    """The page, in the visitor's language; only active forms are listed."""
    state = request.app[HOME]
    config = state.config
    language = negotiate_language(
        request.query.get("lang"), request.headers.get("Accept-Language"), config.default_language
    )
    forms: list[definitions.PublicForm] | None
    try:
        forms = await state.active_forms()
    except Exception as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        # The database is down: the page still says what this is, and the forms as last read.
        log.warning("home page: the forms cannot be listed: %s", reason)
        forms = state.forms
    bot = config.bot_username() if config.bot_username is not None else None
    has_bot = config.bot_username is not None
    page = render_home(state.catalogue.translator(language), forms, bot, has_bot=has_bot)
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def render_home(
    t: Translator, forms: list[definitions.PublicForm] | None, bot: str | None, *, has_bot: bool
) -> str:
    """The page's HTML (forms None: they could not be listed; no staff line without a bot);
    every title and name is escaped."""
    items = "".join(
        f'<li><a href="/forms/{escape(f.slug)}">{escape(f.title)}</a></li>' for f in forms or []
    )
    if forms is None:
        listing = f"<p>{t('home-forms-unavailable')}</p>"
    else:
        listing = f"<ul>{items}</ul>" if items else f"<p>{t('home-no-forms')}</p>"
    staff = ""
    if bot:
        link = f'<a href="https://t.me/{escape(bot)}">@{escape(bot)}</a>'
        staff = f"<p>{t('home-staff', bot=Markup(link))}</p>\n"
    elif has_bot:
        staff = f"<p>{t('home-staff-no-bot')}</p>\n"
    return (
        f'<!doctype html>\n<html lang="{escape(t.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t('home-title')}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{t('home-title')}</h1>\n<p>{t('home-tagline')}</p>\n"
        f"<h2>{t('home-forms')}</h2>\n{listing}\n{staff}"
        f'<p class="note">{t("home-version", version=carnet_version())}</p>\n'
        "</main>\n</body>\n</html>\n"
    )
