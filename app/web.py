"""The aiohttp application: health check, web forms; the Telegram webhook mounts here too."""

import logging

from aiohttp import web

from app import database
from forms.config import FormsConfig
from forms.routes import setup_forms

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise (for load balancers and `make run` users)."""
    if await database.is_healthy():
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable", "database": "not answering"}, status=503)


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


def build_app(forms: FormsConfig | None = None) -> web.Application:
    """The web app with the health check and the web forms (default forms settings if None)."""
    forms = forms or FormsConfig()
    app = web.Application(middlewares=[errors_middleware], client_max_size=forms.max_body_bytes)
    app.router.add_get("/healthz", healthz)
    setup_forms(app, forms)
    return app
