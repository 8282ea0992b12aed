"""The aiohttp application: home page, health check, web forms; the Telegram webhook mounts
here too."""

import logging

from aiohttp import web

from app.health import Health
from app.home import HomeConfig, setup_home
from forms.config import FormsConfig
from forms.routes import setup_forms

log = logging.getLogger(__name__)
HEALTH = web.AppKey("carnet_health", Health)


LOOPBACK = ("127.0.0.1", "::1")


async def healthz(request: web.Request) -> web.Response:
    """Each part's state; 503 when the database (or Redis, when set) does not answer. Why a
    part is down, and the version, only for a caller on this machine (not through a proxy)."""
    local = request.remote in LOOPBACK and "X-Forwarded-For" not in request.headers
    status, body = await request.app[HEALTH].report(details=local)
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Unexpected errors become a logged 500 with no traceback in the body."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"ok": False, "error": "internal error (logged)"}, status=500)


async def _close_health(app: web.Application) -> None:
    await app[HEALTH].close()


def build_app(
    forms: FormsConfig | None = None,
    *,
    health: Health | None = None,
    home: HomeConfig | None = None,
) -> web.Application:
    """The web app with the home page, the health check and the web forms (defaults if None)."""
    forms = forms or FormsConfig()
    app = web.Application(middlewares=[errors_middleware], client_max_size=forms.max_body_bytes)
    app[HEALTH] = health or Health()
    app.router.add_get("/healthz", healthz)
    app.on_cleanup.append(_close_health)
    setup_home(app, home or HomeConfig(default_language=forms.default_language))
    setup_forms(app, forms)
    return app
