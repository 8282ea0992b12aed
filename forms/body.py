"""Reading a form post: urlencoded, multipart (files are drained, never kept) or a JSON object.

Everything a client can get wrong becomes a `BodyError` with its HTTP status, so a bad body
is a 4xx and never reaches the core; a body that stalls is a 408.
"""

import asyncio
import json
import math
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import MultipartReader, web

MAX_FIELDS = 200
# JSON numbers beyond this do not survive every JSON encoder or database the core may use.
MAX_INT = 2**53
PLAIN_TRANSFER_ENCODINGS = ("", "7bit", "8bit", "binary", "identity")

Scalar = str | int | float | bool | None
Value = Scalar | list[Scalar]
T = TypeVar("T")


class BodyError(Exception):
    """A body that cannot be read: `status` to answer, `key` of the message, offending field."""

    def __init__(self, status: int, key: str, field: str = "_form") -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.field = field


def is_json(content_type: str) -> bool:
    """application/json and the application/*+json family."""
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


_MEDIA_TYPE = web.RequestKey("carnet.media_type", str)  # media_type's answer, per request


def media_type(request: web.Request) -> str:
    """The request's media type; "" for a Content-Type header the parser fails on (the standard
    library's email parser raises IndexError on ";0*"), so it is an unsupported type, not a 500.

    Read once per request: after a failed parse, aiohttp's `content_type` fails an assertion
    on every later read of the same header."""
    if _MEDIA_TYPE not in request:
        try:
            request[_MEDIA_TYPE] = request.content_type
        except (ValueError, IndexError):
            request[_MEDIA_TYPE] = ""
    return request[_MEDIA_TYPE]


async def read_payload(
    request: web.Request, limit: int, stall_seconds: float | None = None
) -> dict[str, Value]:
    """The posted fields; repeated names become lists. Raises BodyError (408 when the body
    sends nothing for `stall_seconds`)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyError(413, "page-too-large")
    content_type = media_type(request)
    if is_json(content_type):
        return _from_json(await _unless_stalled(request, _read(request, limit), stall_seconds))
    if content_type == "application/x-www-form-urlencoded":
        body = await _unless_stalled(request, _read(request, limit), stall_seconds)
        return _from_urlencoded(body, request.charset or "utf-8")
    if content_type == "multipart/form-data":
        return await _unless_stalled(request, _from_multipart(request, limit), stall_seconds)
    raise BodyError(415, "page-unsupported")


async def _unless_stalled(request: web.Request, reading: Awaitable[T], seconds: float | None) -> T:
    """What `reading` returns, unless the connection delivers no byte of the body for
    `seconds`: then BodyError 408. Progress is counted in bytes received, not time spent, so
    an upload that keeps coming, however slow in all, is never cut; a stalled one is."""
    task = asyncio.ensure_future(reading)
    if not seconds:
        return await task
    try:
        seen = request.content.total_bytes
        while True:
            done, _ = await asyncio.wait({task}, timeout=seconds)
            if done:
                return task.result()
            received = request.content.total_bytes
            if received == seen:
                raise BodyError(408, "page-timeout")
            seen = received
    finally:
        task.cancel()  # nothing when it is done; a stalled or abandoned read is stopped


async def _read(request: web.Request, limit: int) -> bytes:
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(413, "page-too-large") from None
    if len(body) > limit:
        raise BodyError(413, "page-too-large")
    return body


def _clean_text(name: str, text: str) -> str:
    # PostgreSQL cannot store NUL in text or JSON, and lone surrogates cannot be encoded at all.
    if "\x00" in text:
        raise BodyError(400, "page-bad-value", name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError(400, "page-bad-value", name) from None
    return text


def _add(fields: dict[str, Value], name: str, value: Scalar) -> None:
    name = _clean_text("_form", name)
    if isinstance(value, str):
        value = _clean_text(name, value)
    if name in fields:
        current = fields[name]
        fields[name] = [*current, value] if isinstance(current, list) else [current, value]
    else:
        if len(fields) >= MAX_FIELDS:
            raise BodyError(400, "page-malformed")
        fields[name] = value


def _from_urlencoded(body: bytes, charset: str) -> dict[str, Value]:
    try:
        text = body.decode(charset)
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding=charset,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (LookupError, UnicodeDecodeError, ValueError):
        raise BodyError(400, "page-malformed") from None
    fields: dict[str, Value] = {}
    for name, value in pairs:
        _add(fields, name, value)
    return fields


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _scalar(name: str, value: Any) -> Scalar:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return _clean_text(name, value)
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise BodyError(400, "page-bad-value", name)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BodyError(400, "page-bad-value", name)
        return value
    raise BodyError(400, "page-bad-value", name)


def _from_json(body: bytes) -> dict[str, Value]:
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # UnicodeDecodeError and JSONDecodeError are ValueErrors; deep nesting is a RecursionError.
        raise BodyError(400, "page-malformed-json") from None
    if not isinstance(data, dict):
        raise BodyError(400, "page-json-object")
    if len(data) > MAX_FIELDS:
        raise BodyError(400, "page-malformed")
    fields: dict[str, Value] = {}
    for name, value in data.items():
        name = _clean_text("_form", name)
        if isinstance(value, list):
            fields[name] = [_scalar(name, item) for item in value]
        else:
            fields[name] = _scalar(name, value)
    return fields


async def _from_multipart(request: web.Request, limit: int) -> dict[str, Value]:
    fields: dict[str, Value] = {}
    size = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, MultipartReader):
                # Nested multipart/mixed: no form sends it, and reading past it would read
                # bytes the size limit does not count.
                raise BodyError(400, "page-malformed")
            encoding = part.headers.get("Content-Transfer-Encoding", "").strip().lower()
            if part.headers.get("Content-Encoding") or encoding not in PLAIN_TRANSFER_ENCODINGS:
                raise BodyError(400, "page-malformed")
            data = bytearray()
            keep = part.filename is None and part.name is not None
            while chunk := await part.read_chunk():
                size += len(chunk)
                if size > limit:
                    raise BodyError(413, "page-too-large")
                if keep:  # file contents are counted and dropped: forms keep no files
                    data += chunk
            if keep and part.name is not None:
                charset = part.get_charset(default=request.charset or "utf-8")
                _add(fields, part.name, bytes(data).decode(charset))
    except BodyError:
        raise
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(413, "page-too-large") from None
    except Exception:
        # aiohttp's multipart reader signals a malformed body with assorted exception types
        # (ValueError, AssertionError, RuntimeError, LookupError...): all of them are bad input.
        raise BodyError(400, "page-malformed") from None
    return fields
