"""HTTP routes of the web forms: the hosted page, embed.js, the form post and CORS preflight.

Each handler parses the request, makes one core call (`submit`; the form itself and a server's
API key come from the core through a short cache) and renders the answer: JSON for scripts
and servers, HTML (or a 303) for browsers. Whatever goes wrong is answered in the caller's
format too: an unavailable database is a 503 with Retry-After (the visitor's page comes back
with their values), anything unexpected a logged 500, never the app's bare JSON to a browser.
"""

import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from crm.db import unavailable_as_error
from crm.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    UnavailableError,
)
from crm.i18n import Catalogue, Translator
from crm.rules.webform_look import logo_origin
from crm.rules.webforms import MAX_IDEMPOTENCY_KEY, UTM_KEYS
from crm.webforms import submissions
from crm.webforms.definitions import PublicForm
from crm.webforms.submissions import Receipt, SubmissionMeta
from forms.body import BodyError, Value, is_json, media_type, read_payload
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
from forms.spam import (
    UNAUTHENTICATED,
    Evidence,
    RateLimiter,
    Signer,
    SpamGuard,
    Verdict,
    build_limiter,
    trap_name,
)

log = logging.getLogger(__name__)

# Answered like a stored lead: spam looks the same (its sender learns nothing); a replayed
# API post may be further along.
ACCEPTED = ("received", "spam", "created", "merged")
HELD = "held"  # over a rate limit: kept for the team, answered 429
MAX_SLUG = 64
MAX_USER_AGENT = 500
MAX_REFERRER = 1000
MAX_UTM = 200
# Fields of ours in a post: the page token, the page URL, the page language, the page's key.
TOKEN, PAGE, LANG, KEY = "_token", "_page", "_lang", "_key"
API_KEY_HEADER = "X-Carnet-Form-Key"
# How long a caller is asked to wait when the database is unavailable.
RETRY_AFTER_SECONDS = 60
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
    cache = FormCache(config.form_cache_seconds, timeout=config.db_timeout_seconds)
    app[FORMS] = FormsState(config, signer, limiter, guard, catalogue, cache)
    app.router.add_get("/forms/{slug}", _guarded(show_form))
    app.router.add_get("/forms/{slug}/embed.js", _guarded(embed_script, script=True))
    app.router.add_post("/forms/{slug}", _guarded(submit_form))
    app.router.add_route("OPTIONS", "/forms/{slug}", _guarded(preflight))
    app.router.add_get("/forms/{slug}/submissions/{id}", _guarded(submission_status))
    app.on_cleanup.append(_close_limiter)


async def _close_limiter(app: web.Application) -> None:
    await app[FORMS].limiter.close()


# --- handlers -------------------------------------------------------------------------------


async def show_form(request: web.Request) -> web.StreamResponse:
    """The hosted page; `?format=json` gives embed.js the form and a fresh token instead."""
    state = request.app[FORMS]
    t = _translator(request)
    as_json = request.query.get("format") == "json"
    try:
        form = await _public_form(request)
    except UnavailableError as exc:
        if as_json or not request.query.get("sent"):
            raise
        # The post was taken already: thank the visitor without the database rather than
        # make them believe it failed and send it again.
        _log_unavailable(request, exc)
        known = _last_known(request)
        if known is None:
            return _html(message_page(t, "page-sent-title", "page-sent-default"))
        known = known.in_language(t.language)
        return _html(sent_page(known, t), form=known)
    if form is None:
        return _not_found(t, as_json)
    form = form.in_language(t.language)
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
    try:
        form = await _public_form(request)
    except UnavailableError as exc:
        # The script itself needs no database: it asks for the form next, and shows the
        # visitor that answer's "try again in a few minutes" in place. Not cached, so that
        # the next page view checks the form again.
        _log_unavailable(request, exc)
        return _script(EMBED_JS, cache="no-store")
    if form is None:
        return _script('console.error("Carnet: no such form");\n', status=404)
    return _script(EMBED_JS, cache="public, max-age=300")


def _script(text: str, *, status: int = 200, cache: str = "no-store") -> web.Response:
    return web.Response(
        status=status,
        text=text,
        content_type="text/javascript",
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )


async def preflight(request: web.Request) -> web.StreamResponse:
    """CORS preflight: allowed origins may post JSON with an idempotency key."""
    try:
        form = await _public_form(request)
    except UnavailableError as exc:
        # The origins this process last knew decide, so that the post's 503 is readable.
        form = _last_known(request)
        if form is None:
            raise
        _log_unavailable(request, exc)
    if form is None:
        return web.Response(status=404)
    response = web.Response(status=204, headers={"Vary": "Origin"})
    if not _allow_origin(request, form, response):
        return web.Response(status=403, headers={"Vary": "Origin"})
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


async def submission_status(request: web.Request) -> web.StreamResponse:
    """Where a submission stands, for the holder of the form's API key (an integrator who
    needs the outcome: the post itself only says it was received)."""
    t = _translator(request)
    try:
        form = await _public_form(request)
        if form is None:
            return _not_found(t, as_json=True)
        key = request.headers.get(API_KEY_HEADER)
        if not key:
            return _status_error(t, 401, "page-status-key-missing")
        if not await request.app[FORMS].forms.key_is_valid(form.slug, key):
            return _status_error(t, 403, "page-key-refused")
        submission_id = _submission_id(request.match_info["id"])
        with unavailable_as_error():
            result = None
            if submission_id is not None:
                result = await submissions.outcome(form.id, submission_id)
    except UnavailableError as exc:
        return _unavailable(request, exc, t, True, _last_known(request))
    if result is None:  # no such id, or another form's: the same answer
        return _status_error(t, 404, "page-submission-not-found")
    body: dict[str, Any] = {
        "ok": True,
        "submission_id": result.submission_id,
        "status": result.status,
        "contact_id": result.contact_id,
        "duplicate": result.duplicate,
    }
    if result.errors:
        body["errors"] = explain_errors(form.in_language(t.language), result.errors, t)
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def _submission_id(text: str) -> int | None:
    """The id in a status URL; None for anything but a plain number."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _status_error(t: Translator, status: int, key: str) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = f'Carnet-Form-Key header="{API_KEY_HEADER}"'
    return web.json_response({"ok": False, "error": t.plain(key)}, status=status, headers=headers)


async def submit_form(request: web.Request) -> web.StreamResponse:
    """A post from the hosted page, embed.js, any HTML form or a server."""
    as_json = _wants_json(request)
    try:
        form = await _public_form(request)
    except UnavailableError as exc:
        return await _unavailable_post(request, exc, as_json)
    if form is None:
        return _not_found(_translator(request), as_json)
    try:
        post = await _read_post(request, form, as_json)
    except BodyError as exc:
        return _with_cors(request, form, _body_error(_translator(request), exc, as_json))
    # The texts the visitor was shown, in the page's language: the consent kept with the
    # submission is the one they agreed to.
    form = form.in_language(post.t.language)
    try:
        answer = await _submit(request, form, post)
    except UnavailableError as exc:
        # Not stored (or, if the database failed after storing it, the retry with the same
        # key gets its outcome): say so, and give the visitor their values back.
        notice = post.t.plain("page-unavailable-kept")
        page = None if as_json else _page_again(request, form, post, notice=notice, same_key=True)
        return _unavailable(request, exc, post.t, as_json, form, page=page)
    except Exception:
        log.exception("form %s: the post could not be submitted", form.slug)
        answer = _internal_error(request, form, post)
    return _with_cors(request, form, answer)


async def _submit(request: web.Request, form: PublicForm, post: "Post") -> web.StreamResponse:
    """Check the key, judge the post, hand it to the core and render its outcome."""
    state = request.app[FORMS]
    if post.api_key is not None and not await state.forms.key_is_valid(form.slug, post.api_key):
        return _key_refused(post)
    from_allowed_origin = _origin_allowed(_request_origin(request), form)
    meta, verdict = await _meta(request, form, post, from_allowed_origin)
    # A script or server that sent no credential at all is told so (a developer trying the
    # form with curl must not believe it worked); browsers' posts keep the quiet spam answer.
    unauthenticated = (
        post.as_json and post.api_key is None and not post.token and not from_allowed_origin
    )
    if unauthenticated:
        # Stored like any post, as spam with the reason; without its key, so that the same
        # post sent again with a credential is not answered with this one's outcome.
        meta = replace(meta, spam_reason=UNAUTHENTICATED, idempotency_key=None)
    try:
        with unavailable_as_error():
            receipt = await submissions.submit(form, post.payload, meta)
    except IdempotencyKeyReusedError:
        # Only JSON callers get here: a browser's corrected post is a new submission.
        reused = BodyError(422, "page-key-reused", "idempotency_key")
        return _body_error(post.t, reused, post.as_json)
    except ConflictError:  # the same idempotency key raced past every attempt
        busy = BodyError(409, "page-busy", "_form")
        return _body_error(post.t, busy, post.as_json)
    if unauthenticated:
        return _unauthenticated(post)
    if receipt.status == HELD:
        return _rate_limited(request, form, post, verdict.retry_after)
    return _answer(request, form, receipt, post)


async def _unavailable_post(
    request: web.Request, exc: UnavailableError, as_json: bool
) -> web.StreamResponse:
    """A post when not even the form could be read: with the form as last read, the page
    comes back with the visitor's values; without it, the plain "try again" page."""
    t = _translator(request)
    form = _last_known(request)
    if form is None:
        return _unavailable(request, exc, t, as_json, None)
    try:
        post = await _read_post(request, form, as_json)
    except BodyError:
        return _unavailable(request, exc, t, as_json, form)
    form = form.in_language(post.t.language)
    notice = post.t.plain("page-unavailable-kept")
    page = None if as_json else _page_again(request, form, post, notice=notice, same_key=True)
    return _unavailable(request, exc, post.t, as_json, form, page=page)


def _guarded(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]], *, script: bool = False
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """`handler`, with what it did not answer itself answered in the caller's format: an
    unavailable database as a 503 with Retry-After, anything else as a logged 500 (the app's
    own fallback is JSON, which a browser would show raw)."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except UnavailableError as exc:
            if script:
                _log_unavailable(request, exc)
                return _script('console.error("Carnet: the form is unavailable");\n', status=503)
            t = _translator(request)
            return _unavailable(request, exc, t, _answers_json(request), _last_known(request))
        except Exception:
            log.exception("forms: unexpected error on %s %s", request.method, request.path)
            if script:
                return _script('console.error("Carnet: the form failed");\n', status=500)
            return _internal_error(request, None, None)

    return guarded


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
    config = request.app[FORMS].config
    fields = await read_payload(request, config.max_body_bytes, config.body_timeout_seconds)
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


async def _meta(
    request: web.Request, form: PublicForm, post: Post, from_allowed_origin: bool
) -> tuple[SubmissionMeta, Verdict]:
    """Where the post came from, with the spam checks' verdict (spam, or held over a limit)."""
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
        from_allowed_origin=from_allowed_origin,
    )
    referrer = request.headers.get("Referer")
    verdict = await state.guard.judge(evidence, time.time())
    meta = SubmissionMeta(
        address_hash=address_hash,
        user_agent=_clip(request.headers.get("User-Agent"), MAX_USER_AGENT),
        referrer=_clip(referrer, MAX_REFERRER),
        page_url=_clip(post.page_url or referrer, MAX_REFERRER),
        idempotency_key=post.idempotency_key,
        consent_text=form.consent_text,
        spam_reason=verdict.spam,
        hold_reason=verdict.limit,
        api_key=post.api_key,
        caller=submissions.caller_of(
            keyed=post.api_key is not None,
            token=bool(post.token),
            allowed_origin=from_allowed_origin,
        ),
        # A visitor (the hosted page, or embed.js with its page token) who corrected the form
        # after a failed send makes a new submission; a script or server gets the 422.
        changed_body_is_new=not post.as_json or bool(post.token),
    )
    return meta, verdict


# --- answers --------------------------------------------------------------------------------


def _answer(
    request: web.Request, form: PublicForm, receipt: Receipt, post: Post
) -> web.StreamResponse:
    """202 with the submission for scripts (spam looks received), the 303 for browsers; the
    errors again for a post that was rejected."""
    t = post.t
    if receipt.status in ACCEPTED:
        if post.as_json:
            status = "received" if receipt.status == "spam" else receipt.status
            body = {"ok": True, "submission_id": receipt.submission_id, "status": status}
            return web.json_response(body, status=202)
        target = (
            safe_redirect(form.redirect_url) or f"{form_url(form.slug)}?sent=1&lang={t.language}"
        )
        return web.Response(status=303, headers={"Location": target})
    if receipt.status == "rejected":
        errors = explain_errors(form, receipt.errors, t) or {"_form": t.plain("page-rejected")}
        if post.as_json:
            return web.json_response({"ok": False, "errors": errors}, status=422)
        return _html(_page_again(request, form, post, errors=errors), status=422, form=form)
    log.error(
        "form %s: submission %s ended as %s", form.slug, receipt.submission_id, receipt.status
    )
    return _internal_error(request, form, post)


def _page_again(
    request: web.Request,
    form: PublicForm,
    post: Post,
    *,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    same_key: bool = False,
) -> str:
    """The hosted page again with what the visitor typed, and the errors or the notice."""
    fields = post.fields
    hidden = {name: str(fields[name]) for name in UTM_KEYS if isinstance(fields.get(name), str)}
    hidden[LANG] = post.t.language
    # A corrected post is a new submission. A post the server could not take is the same one
    # again: if it was stored after all, its key makes the retry return its outcome.
    key = post.idempotency_key
    hidden[KEY] = key if same_key and key else secrets.token_urlsafe(16)
    # The page is ours now: a post that came without a token (a plain HTML form on an allowed
    # site) gets one, or its corrected post from this page would be taken for a bot's.
    token = post.token or request.app[FORMS].signer.token(form.slug, time.time())
    trap = trap_name(f.name for f in form.fields)
    view = PageView(form, token, trap, hidden, values=fields, errors=errors or {}, notice=notice)
    return form_page(view, post.t)


def _rate_limited(request: web.Request, form: PublicForm, post: Post, seconds: int) -> web.Response:
    """429 with Retry-After: the post is over a rate limit. It is kept (held, for the team to
    release); the visitor is told when to send it again, and a page keeps their values."""
    seconds = max(1, seconds)  # a replayed held post has no fresh verdict
    message = post.t.plain("page-rate-limited", seconds=seconds)
    headers = {"Retry-After": str(seconds), "Cache-Control": "no-store"}
    if post.as_json:
        body = {"ok": False, "error": message, "retry_after": seconds}
        return web.json_response(body, status=429, headers=headers)
    # A new key: sent again, it is a new submission (the held one waits for the team).
    page = _page_again(request, form, post, notice=message)
    response = _html(page, status=429, form=form)
    response.headers.update(headers)
    return response


def _unavailable(
    request: web.Request,
    exc: UnavailableError,
    t: Translator,
    as_json: bool,
    form: PublicForm | None,
    *,
    page: str | None = None,
) -> web.Response:
    """503 with Retry-After: the database cannot take the request now (one log line)."""
    _log_unavailable(request, exc)
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if as_json:
        body = {
            "ok": False,
            "error": t.plain("page-unavailable"),
            "retry_after": RETRY_AFTER_SECONDS,
        }
        response = web.json_response(
            body, status=503, headers={**retry, "Cache-Control": "no-store"}
        )
        if form is None:
            # No form known to say which sites may read it: any may (it says nothing about
            # the form), so that embed.js shows the message in place.
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Vary"] = "Origin"
        else:
            _allow_origin(request, form, response)
        return response
    text = page or message_page(t, "page-unavailable-title", "page-unavailable")
    response = _html(text, status=503, form=form)
    response.headers.update(retry)
    return response


def _log_unavailable(request: web.Request, exc: UnavailableError) -> None:
    log.warning(
        "forms: %s %s: the database is unavailable (%s)", request.method, request.path, exc.message
    )


def _internal_error(
    request: web.Request, form: PublicForm | None, post: Post | None
) -> web.Response:
    """A logged 500 in the caller's format; a visitor's page comes back with their values."""
    t = post.t if post is not None else _translator(request)
    as_json = post.as_json if post is not None else _answers_json(request)
    message = t.plain("page-internal-error")
    if as_json:
        return web.json_response({"ok": False, "error": message}, status=500)
    if form is not None and post is not None:
        return _html(_page_again(request, form, post, notice=message), status=500, form=form)
    return _html(message_page(t, "page-error-title", "page-internal-error"), status=500)


def _unauthenticated(post: Post) -> web.Response:
    """401: a JSON post with no API key, no page token and no allowed Origin."""
    return web.json_response(
        {"ok": False, "error": post.t.plain("page-unauthenticated")},
        status=401,
        headers={"WWW-Authenticate": f'Carnet-Form-Key header="{API_KEY_HEADER}"'},
    )


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
    response: web.Response
    if as_json:
        response = web.json_response(
            {"ok": False, "errors": {exc.field: t.plain(exc.key)}}, status=exc.status
        )
    else:
        response = _html(message_page(t, "page-error-title", exc.key), status=exc.status)
    if exc.status == 408:
        # The rest of a stalled body may never come: the connection is not kept for another.
        response.force_close()
    return response


def _html(text: str, *, status: int = 200, form: PublicForm | None = None) -> web.Response:
    # No script, no external asset: the page may load nothing but itself. A redirect after
    # the post is a form navigation too, so its origin is allowed as a form action.
    actions = "'self'"
    redirect = safe_redirect(form.redirect_url) if form else None
    if redirect:
        parts = urlsplit(redirect)
        actions += f" {parts.scheme}://{parts.netloc}"
    # The company's logo is the one image from elsewhere: its origin, nothing wider.
    logo = logo_origin(form.logo_url) if form else None
    images = f"data: {logo}" if logo else "data:"
    policy = (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {images}; base-uri 'none'; "
        f"form-action {actions}"
    )
    headers = {**PAGE_HEADERS, "Content-Security-Policy": policy}
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)


# --- request details ------------------------------------------------------------------------


async def _public_form(request: web.Request) -> PublicForm | None:
    """The form of the path, None when there is none; raises UnavailableError."""
    slug = request.match_info["slug"]
    if not slug or len(slug) > MAX_SLUG or not slug.isprintable():
        return None
    return await request.app[FORMS].forms.form(slug)


def _last_known(request: web.Request) -> PublicForm | None:
    """The form of the path as this process last read it (when the database is unavailable)."""
    return request.app[FORMS].forms.last_known(request.match_info["slug"])


def _translator(request: web.Request, override: Any = None) -> Translator:
    state = request.app[FORMS]
    chosen = override if isinstance(override, str) else request.query.get("lang")
    language = negotiate_language(
        chosen, request.headers.get("Accept-Language"), state.config.default_language
    )
    return state.catalogue.translator(language)


def _wants_json(request: web.Request) -> bool:
    """JSON bodies get JSON answers; so does a caller accepting JSON but not HTML."""
    if is_json(media_type(request)):
        return True
    accept = request.headers.get("Accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def _answers_json(request: web.Request) -> bool:
    """Whether an error on any form route is answered in JSON (embed.js's `?format=json`)."""
    return request.query.get("format") == "json" or _wants_json(request)


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
