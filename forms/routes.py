"""HTTP routes of the web forms: the hosted page, embed.js, the form post and CORS preflight.

Each handler parses the request, makes one core call (`submit`; the form itself and a server's
API key come from the core through a short cache) and renders the answer: JSON for scripts
and servers, HTML (or a 303) for browsers.
"""

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from crm import webforms
from crm.errors import ConflictError, NotFoundError, ValidationError
from crm.i18n import Catalogue, Translator
from crm.rules.webforms import MAX_IDEMPOTENCY_KEY, UTM_KEYS
from crm.webforms import PublicForm, SubmissionMeta, SubmissionResult
from forms.body import BodyError, Value, is_json, read_payload
from forms.cache import FormCache
from forms.config import FormsConfig
from forms.embed import EMBED_JS, form_spec, safe_redirect
from forms.page import (
    FORMS_LOCALES,
    PageView,
    explain_errors,
    form_page,
    form_url,
    message_page,
    negotiate_language,
    sent_page,
)
from forms.spam import Evidence, RateLimiter, Signer, SpamGuard, build_limiter, trap_name

log = logging.getLogger(__name__)

ACCEPTED = ("created", "merged", "spam")
MAX_SLUG = 64
MAX_USER_AGENT = 500
MAX_REFERRER = 1000
MAX_UTM = 200
# Fields of ours in a post: the page token, the page URL, the page language, the page's key.
TOKEN, PAGE, LANG, KEY = "_token", "_page", "_lang", "_key"
API_KEY_HEADER = "X-Carnet-Form-Key"
CORS_ALLOW_HEADERS = "Content-Type, Accept, Idempotency-Key"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@dataclass(frozen=True, slots=True)
class FormsState:
    """What the handlers share, built once by `setup_forms`."""

    config: FormsConfig
    signer: Signer
    limiter: RateLimiter
    guard: SpamGuard
    catalogue: Catalogue
    forms: FormCache


FORMS = web.AppKey("carnet_forms", FormsState)


def setup_forms(app: web.Application, config: FormsConfig) -> None:
    """Register the form routes on `app` (before it starts)."""
    secret = config.secret
    if not secret:
        log.warning(
            "FORMS_SECRET is not set: form tokens and address hashes use a random secret of "
            "this process; set FORMS_SECRET when several processes serve the forms"
        )
        secret = secrets.token_hex(32)
    signer = Signer(secret.encode())
    limiter = build_limiter(config.redis_url)
    catalogue = Catalogue([FORMS_LOCALES], config.default_language)
    guard = SpamGuard(config, signer, limiter)
    cache = FormCache(config.form_cache_seconds)
    app[FORMS] = FormsState(config, signer, limiter, guard, catalogue, cache)
    app.router.add_get("/forms/{slug}", show_form)
    app.router.add_get("/forms/{slug}/embed.js", embed_script)
    app.router.add_post("/forms/{slug}", submit_form)
    app.router.add_route("OPTIONS", "/forms/{slug}", preflight)
    app.on_cleanup.append(_close_limiter)


async def _close_limiter(app: web.Application) -> None:
    await app[FORMS].limiter.close()


# --- handlers -------------------------------------------------------------------------------


async def show_form(request: web.Request) -> web.StreamResponse:
    """The hosted page; `?format=json` gives embed.js the form and a fresh token instead."""
    state = request.app[FORMS]
    t = _translator(request)
    as_json = request.query.get("format") == "json"
    form = await _public_form(request)
    if form is None:
        return _not_found(t, as_json)
    token = state.signer.token(form.slug, time.time())
    trap = trap_name(f.name for f in form.fields)
    if as_json:
        spec = form_spec(form, t, token=token, trap=trap)
        response = web.json_response(spec, headers={"Cache-Control": "no-store"})
        _allow_origin(request, form, response)
        return response
    if request.query.get("sent"):
        return _html(sent_page(form, t), form=form)
    hidden = {name: value for name, value in _utm(request.query).items()}
    hidden[LANG] = t.language
    hidden[KEY] = secrets.token_urlsafe(16)
    return _html(form_page(PageView(form, token, trap, hidden), t), form=form)


async def embed_script(request: web.Request) -> web.StreamResponse:
    """The script that renders the form into another site's page."""
    form = await _public_form(request)
    if form is None:
        return web.Response(
            status=404,
            text='console.error("Carnet: no such form");\n',
            content_type="text/javascript",
        )
    return web.Response(
        text=EMBED_JS,
        content_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


async def preflight(request: web.Request) -> web.StreamResponse:
    """CORS preflight: allowed origins may post JSON with an idempotency key."""
    form = await _public_form(request)
    if form is None:
        return web.Response(status=404)
    response = web.Response(status=204, headers={"Vary": "Origin"})
    if not _allow_origin(request, form, response):
        return web.Response(status=403, headers={"Vary": "Origin"})
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


async def submit_form(request: web.Request) -> web.StreamResponse:
    """A post from the hosted page, embed.js, any HTML form or a server."""
    state = request.app[FORMS]
    as_json = _wants_json(request)
    form = await _public_form(request)
    if form is None:
        return _not_found(_translator(request), as_json)
    try:
        post = await _read_post(request, form, as_json)
    except BodyError as exc:
        return _with_cors(request, form, _body_error(_translator(request), exc, as_json))
    if post.api_key is not None and not await state.forms.key_is_valid(form.slug, post.api_key):
        return _with_cors(request, form, _key_refused(post))
    meta = await _meta(request, form, post)
    try:
        result = await webforms.submit(form.slug, post.payload, meta)
    except NotFoundError:
        return _not_found(post.t, as_json)
    except ConflictError:  # the same idempotency key raced past every attempt
        busy = BodyError(409, "page-busy", "_form")
        return _with_cors(request, form, _body_error(post.t, busy, as_json))
    except ValidationError as exc:
        result = SubmissionResult(submission_id=0, status="rejected", errors=exc.errors)
    return _with_cors(request, form, _answer(form, result, post))


@dataclass(frozen=True, slots=True)
class Post:
    """A readable post: what the visitor sent, split from what our page added to it."""

    fields: Mapping[str, Value]  # everything, as sent (the page is shown again with it)
    payload: dict[str, Value]  # what the core gets: the fields without ours
    token: str | None
    page_url: str | None
    trap_value: Value | None
    idempotency_key: str | None
    api_key: str | None
    as_json: bool
    t: Translator


async def _read_post(request: web.Request, form: PublicForm, as_json: bool) -> Post:
    """The post's fields and headers; raises BodyError."""
    fields = await read_payload(request, request.app[FORMS].config.max_body_bytes)
    trap = trap_name(f.name for f in form.fields)
    payload = {name: value for name, value in fields.items() if not name.startswith("_")}
    trap_value = fields.get(trap)
    if trap_value in (None, "", []):
        payload.pop(trap, None)  # the empty trap is ours, not the visitor's
    return Post(
        fields=fields,
        payload=payload,
        token=_text_or_none(fields.get(TOKEN)),
        page_url=_text_or_none(fields.get(PAGE)),
        trap_value=trap_value,
        idempotency_key=_idempotency_key(request, fields),
        api_key=request.headers.get(API_KEY_HEADER) or None,
        as_json=as_json,
        t=_translator(request, fields.get(LANG)),
    )


async def _meta(request: web.Request, form: PublicForm, post: Post) -> SubmissionMeta:
    """Where the post came from, with the spam checks' verdict."""
    state = request.app[FORMS]
    address = _client_address(request, state.config.trust_proxy)
    address_hash = state.signer.address_hash(address) if address else None
    evidence = Evidence(
        slug=form.slug,
        form_id=form.id,
        payload=post.payload,
        trap_value=post.trap_value,
        token=post.token,
        address=address,
        address_hash=address_hash,
        keyed=post.api_key is not None,  # and valid: a wrong key was refused before
        from_allowed_origin=_origin_allowed(_request_origin(request), form),
    )
    referrer = request.headers.get("Referer")
    return SubmissionMeta(
        address_hash=address_hash,
        user_agent=_clip(request.headers.get("User-Agent"), MAX_USER_AGENT),
        referrer=_clip(referrer, MAX_REFERRER),
        page_url=_clip(post.page_url or referrer, MAX_REFERRER),
        idempotency_key=post.idempotency_key,
        consent_text=form.consent_text,
        spam_reason=await state.guard.reason(evidence, time.time()),
        api_key=post.api_key,
    )


# --- answers --------------------------------------------------------------------------------


def _answer(form: PublicForm, result: SubmissionResult, post: Post) -> web.StreamResponse:
    t = post.t
    if result.status in ACCEPTED or result.status == "received":
        if post.as_json:
            contact_id = result.contact_id
            if result.status == "spam":
                # Spam gets the same answer as a lead, so its sender learns nothing: a number
                # where the contact's id would be (the submission's, which is no contact's).
                contact_id = result.submission_id
            body = {
                "ok": True,
                "contact_id": contact_id,
                "duplicate": result.duplicate,
                "submission_id": result.submission_id,
            }
            # "received": the same key's first post is still being processed.
            return web.json_response(body, status=202 if result.status == "received" else 201)
        target = (
            safe_redirect(form.redirect_url) or f"{form_url(form.slug)}?sent=1&lang={t.language}"
        )
        return web.Response(status=303, headers={"Location": target})
    if result.status == "rejected":
        errors = explain_errors(form, result.errors, t) or {"_form": t.plain("page-rejected")}
        if post.as_json:
            return web.json_response({"ok": False, "errors": errors}, status=422)
        fields = post.fields
        hidden = {name: str(fields[name]) for name in UTM_KEYS if isinstance(fields.get(name), str)}
        hidden[LANG] = t.language
        hidden[KEY] = secrets.token_urlsafe(16)  # the corrected post is a new submission
        trap = trap_name(f.name for f in form.fields)
        view = PageView(form, post.token or "", trap, hidden, values=fields, errors=errors)
        return _html(form_page(view, t), status=422, form=form)
    log.error("form %s: submission %s ended as %s", form.slug, result.submission_id, result.status)
    if not post.as_json:
        return _html(message_page(t, "page-error-title", "page-network-error"), status=500)
    failure: dict[str, Any] = {"ok": False, "errors": {"_form": t.plain("page-network-error")}}
    return web.json_response(failure, status=500)


def _key_refused(post: Post) -> web.Response:
    """A wrong API key is a server's configuration error, not spam: say so, store nothing."""
    if post.as_json:
        errors = {"api_key": post.t.plain("page-key-refused")}
        return web.json_response({"ok": False, "errors": errors}, status=403)
    return _html(message_page(post.t, "page-error-title", "page-key-refused"), status=403)


def _not_found(t: Translator, as_json: bool) -> web.StreamResponse:
    if as_json:
        return web.json_response(
            {"ok": False, "errors": {"_form": t.plain("page-not-found")}}, status=404
        )
    return _html(message_page(t, "page-not-found-title", "page-not-found"), status=404)


def _body_error(t: Translator, exc: BodyError, as_json: bool) -> web.StreamResponse:
    if as_json:
        return web.json_response(
            {"ok": False, "errors": {exc.field: t.plain(exc.key)}}, status=exc.status
        )
    return _html(message_page(t, "page-error-title", exc.key), status=exc.status)


def _html(text: str, *, status: int = 200, form: PublicForm | None = None) -> web.Response:
    # No script, no external asset: the page may load nothing but itself. A redirect after
    # the post is a form navigation too, so its origin is allowed as a form action.
    actions = "'self'"
    redirect = safe_redirect(form.redirect_url) if form else None
    if redirect:
        parts = urlsplit(redirect)
        actions += f" {parts.scheme}://{parts.netloc}"
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
        f"form-action {actions}"
    )
    headers = {**PAGE_HEADERS, "Content-Security-Policy": policy}
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)


# --- request details ------------------------------------------------------------------------


async def _public_form(request: web.Request) -> PublicForm | None:
    slug = request.match_info["slug"]
    if not slug or len(slug) > MAX_SLUG or not slug.isprintable():
        return None
    return await request.app[FORMS].forms.form(slug)


def _translator(request: web.Request, override: Any = None) -> Translator:
    state = request.app[FORMS]
    chosen = override if isinstance(override, str) else request.query.get("lang")
    language = negotiate_language(
        chosen, request.headers.get("Accept-Language"), state.config.default_language
    )
    return state.catalogue.translator(language)


def _wants_json(request: web.Request) -> bool:
    """JSON bodies get JSON answers; so does a caller accepting JSON but not HTML."""
    if is_json(request.content_type):
        return True
    accept = request.headers.get("Accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def _idempotency_key(request: web.Request, fields: Mapping[str, Value]) -> str | None:
    header = request.headers.get("Idempotency-Key")
    key = header if header is not None else fields.get(KEY)
    if key is None or key == "":
        return None
    if (
        not isinstance(key, str)
        or len(key) > MAX_IDEMPOTENCY_KEY
        or not all("!" <= c <= "~" for c in key)
    ):
        raise BodyError(400, "page-bad-idempotency-key", "idempotency_key")
    return key


def _client_address(request: web.Request, trust_proxy: bool) -> str | None:
    if trust_proxy:
        hops = [
            hop.strip()
            for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",")
            if hop.strip()
        ]
        if hops:
            # The last hop is the one our own proxy appended; earlier ones are the client's
            # word and can be forged.
            return hops[-1][:100]
    return request.remote


def _utm(query: Mapping[str, str]) -> dict[str, str]:
    return {
        name: query[name][:MAX_UTM]
        for name in UTM_KEYS
        if query.get(name) and query[name].isprintable()
    }


def _text_or_none(value: Value | None) -> str | None:
    if value is None or isinstance(value, list):
        return None
    return str(value)


def _clip(value: str | None, size: int) -> str | None:
    if not value:
        return None
    return value.replace("\x00", "")[:size]


# --- CORS ------------------------------------------------------------------------------------


def _origin_of(url: str) -> str | None:
    """scheme://host[:port] in lower case, default ports dropped; None if not a web origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    suffix = f":{port}" if port and port != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{suffix}"


def _request_origin(request: web.Request) -> str | None:
    """The Origin header browsers send with every POST (not the Referer: any page may be the
    referrer of a link, and privacy settings cut it)."""
    origin = request.headers.get("Origin")
    return _origin_of(origin) if origin and origin != "null" else None


def _origin_allowed(origin: str | None, form: PublicForm) -> bool:
    """Whether `origin` is one of the form's allowed origins."""
    return origin is not None and origin in {_origin_of(o) for o in form.allowed_origins}


def _allow_origin(request: web.Request, form: PublicForm, response: web.StreamResponse) -> bool:
    """Echo an allowed Origin in Access-Control-Allow-Origin; others get no CORS header."""
    origin = request.headers.get("Origin")
    response.headers["Vary"] = "Origin"
    if not origin or not _origin_allowed(_origin_of(origin), form):
        return False
    response.headers["Access-Control-Allow-Origin"] = origin
    return True


def _with_cors(
    request: web.Request, form: PublicForm, response: web.StreamResponse
) -> web.StreamResponse:
    _allow_origin(request, form, response)
    return response
