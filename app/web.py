"""The aiohttp application: health check now; web forms and the Telegram webhook mount here."""

import logging

from aiohttp import web

from app import database

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


def build_app() -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=1024 * 1024)
    app.router.add_get("/healthz", healthz)
    return app
