"""In-process fake Telegram Bot API server that a real aiogram Bot talks HTTP to in e2e tests."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import unescape
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web

BOT_USER: dict[str, Any] = {
    "id": 42,
    "is_bot": True,
    "first_name": "Carnet",
    "username": "carnet_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
MAX_TEXT, MAX_CAPTION = 4096, 1024
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Parameters that stay strings even when they look like JSON (user text echoed by the bot).
_TEXT_PARAMS = frozenset(
    "text caption query data message_text title description secret_token url next_offset"  # noqa: SIM905
    " callback_query_id inline_query_id inline_message_id language_code file_id action"
    " parse_mode switch_pm_text switch_pm_parameter question emoji".split()
)
_BUTTON_TYPES = (
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat"  # noqa: SIM905
    " switch_inline_query_chosen_chat copy_text callback_game pay".split()
)
_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


class HtmlError(ValueError):
    """Text that Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """The character of the HTML entity starting at text[i] and the index after it."""
    m = _ENTITY.match(text, i)
    if m is None:
        return None
    if m[3]:
        return _NAMED[m[3]], m.end()
    code = int(m[1]) if m[1] else int(m[2], 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (visible text, entities), raising HtmlError like Telegram."""
    out: list[str] = []
    size, i, n = 0, 0, len(text)
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []

    def at(pos: int) -> str:
        return f"at byte offset {len(text[:pos].encode())}"

    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                size += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise HtmlError(f'Character "&" {at(i)} must be escaped as "&amp;"')
        if ch != "<":
            out.append(ch)
            size += utf16_len(ch)
            i += 1
        elif text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise HtmlError(f"Unclosed end tag {at(i)}")
            if not stack:
                raise HtmlError(f"Unexpected end tag {at(i)}")
            name = text[i + 2 : end].strip().lower()
            tag, start, attrs = stack.pop()
            if name and name != tag:
                raise HtmlError(
                    f'Unmatched end tag {at(i)}, expected "</{tag}>", found "</{name}>"'
                )
            _close_tag(tag, start, size, attrs, stack, entities)
            i = end + 1
        else:
            j = i + 1
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            if j >= n:
                raise HtmlError(f"Unclosed start tag {at(i)}")
            name = text[i + 1 : j].lower()
            if name not in _TAGS:
                raise HtmlError(f'Unsupported start tag "{name}" {at(i)}')
            attrs, j = _parse_attributes(text, j, name, at)
            _check_tag(name, attrs, at(i))
            stack.append((name, size, attrs))
            i = j + 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_attributes(
    text: str, j: int, tag: str, at: Callable[[int], str]
) -> tuple[dict[str, str], int]:
    """Attributes of a start tag from text[j]; returns them and the index of its ">"."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise HtmlError(f"Unclosed start tag {at(j)}")
        if text[j] == ">":
            return attrs, j
        k = j
        while k < n and not text[k].isspace() and text[k] not in "=>":
            k += 1
        name = text[j:k].lower()
        if not name:
            raise HtmlError(f'Empty attribute name in the tag "{tag}" {at(j)}')
        j = k
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise HtmlError(f"Unclosed start tag {at(j)}")
        if text[j] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" {at(j)}'
            )
        j += 1
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise HtmlError(f"Unclosed start tag {at(j)}")
        if text[j] in "\"'":
            quote, value = text[j], []
            j += 1
            while j < n and text[j] != quote:
                decoded = _decode_entity(text, j) if text[j] == "&" else None
                value.append(decoded[0] if decoded else text[j])
                j = decoded[1] if decoded else j + 1
            if j >= n:
                raise HtmlError(f"Unclosed start tag {at(j)}")
            attrs[name] = "".join(value)
            j += 1
        else:
            k = j
            while k < n and (text[k].isalnum() or text[k] in ".-"):
                k += 1
            if k < n and not text[k].isspace() and text[k] != ">":
                raise HtmlError(f"Unexpected end of name token {at(k)}")
            attrs[name], j = text[j:k].lower(), k


def _check_tag(tag: str, attrs: dict[str, str], where: str) -> None:
    """Refuse start tags lacking the attribute Telegram needs."""
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" {where}')
    if tag == "a" and not attrs.get("href"):
        raise HtmlError(f'Tag "a" must have attribute "href" {where}')
    if tag == "tg-emoji" and not attrs.get("emoji-id"):
        raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" {where}')


def _close_tag(
    tag: str,
    start: int,
    end: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
    entities: list[dict[str, Any]],
) -> None:
    """Turn a closed tag into a message entity (a <code class> inside <pre> sets its language)."""
    language = attrs.get("class", "")
    if tag == "code" and stack and stack[-1][0] == "pre" and language.startswith("language-"):
        stack[-1][2]["#language"] = language.removeprefix("language-")
        return
    if end <= start:
        return
    entity: dict[str, Any] = {"type": _TAGS[tag], "offset": start, "length": end - start}
    if tag == "a":
        entity["url"] = attrs["href"]
    elif tag == "pre" and attrs.get("#language"):
        entity["language"] = attrs["#language"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    entities.append(entity)


def html_to_plain(text: str) -> str:
    """What the user sees of an HTML text (lenient: also for text Telegram would refuse)."""
    try:
        return parse_html(text, strict_ampersand=False)[0]
    except HtmlError:
        return unescape(re.sub(r"<[^>]*>", "", text))


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead, size = utf16_len(text[: len(text) - len(text.lstrip())]), utf16_len(stripped)
    kept = []
    for e in entities:
        start, end = max(e["offset"] - lead, 0), min(e["offset"] + e["length"] - lead, size)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return stripped, kept


def _int(value: Any) -> int | None:
    """An integer parameter (form values arrive as strings), or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool:
    """A boolean parameter: aiogram sends JSON "true"/"false"."""
    return value is True or str(value).lower() in ("true", "1")


@dataclass
class Call:
    """One Bot API request the bot made (getUpdates excluded)."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    error: str | None = None


@dataclass(frozen=True)
class Button:
    """One keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    switch_inline_query: str | None = None
    switch_inline_query_current_chat: str | None = None
    copy_text: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _buttons(markup: Any) -> list[list[Button]]:
    """Rows of buttons of an inline or reply keyboard markup."""
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    result = []
    for row in rows:
        buttons = []
        for raw in row:
            b = raw if isinstance(raw, dict) else {"text": str(raw)}
            copy_text = b.get("copy_text")
            buttons.append(
                Button(
                    text=str(b.get("text", "")),
                    callback_data=b.get("callback_data"),
                    url=b.get("url"),
                    switch_inline_query=b.get("switch_inline_query"),
                    switch_inline_query_current_chat=b.get("switch_inline_query_current_chat"),
                    copy_text=copy_text.get("text") if isinstance(copy_text, dict) else None,
                    raw=b,
                )
            )
        result.append(buttons)
    return result


@dataclass
class Output:
    """Something the bot did for a chat, a callback or an inline query."""

    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None
    parse_mode: str | None
    buttons: list[list[Button]]
    document_name: str | None
    document_bytes: bytes | None
    params: dict[str, Any]
    result: Any = None
    error: str | None = None

    @property
    def text_plain(self) -> str | None:
        """The text as the user sees it: tags removed and entities unescaped."""
        if self.text is None or str(self.parse_mode or "").lower() != "html":
            return self.text
        return html_to_plain(self.text)

    @property
    def button_texts(self) -> list[str]:
        """Texts of all buttons, row by row."""
        return [b.text for row in self.buttons for b in row]


class Outputs(list[Output]):
    """The successful outputs caused by one update; failed calls are in `errors`."""

    def __init__(self) -> None:
        super().__init__()
        self.update_id = 0
        self.status: int | None = None  # HTTP status of the webhook delivery
        self.processed = False
        self.errors: list[Output] = []

    @property
    def answer(self) -> Output | None:
        """The answerCallbackQuery call, if any."""
        return next((o for o in self if o.method == "answerCallbackQuery"), None)

    @property
    def answer_text(self) -> str | None:
        """The text of the callback answer, if any."""
        return None if self.answer is None else self.answer.params.get("text")

    @property
    def texts(self) -> list[str]:
        """Visible texts of the messages sent or edited, in order."""
        return [o.text_plain for o in self if o.text_plain is not None and o.chat_id is not None]


@dataclass
class InlineAnswer:
    """The bot's answer to an inline query."""

    results: list[dict[str, Any]] = field(default_factory=list)
    next_offset: str = ""
    is_personal: bool = False
    cache_time: int = 300
    answered: bool = False
    button: dict[str, Any] | None = None
    outputs: Outputs = field(default_factory=Outputs)

    @property
    def titles(self) -> list[str]:
        """Titles of the results."""
        return [str(r.get("title", "")) for r in self.results]


@dataclass
class Webhook:
    """The webhook set by setWebhook or TelegramStub.use_webhook."""

    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    last_error_message: str | None = None
    last_error_date: int | None = None


@dataclass
class StoredFile:
    """A file known to the server (sent by a user or uploaded by the bot)."""

    file_id: str
    file_unique_id: str
    path: str
    name: str
    content: bytes
    mime_type: str | None

    def document(self) -> dict[str, Any]:
        """The Document object of this file."""
        doc = {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
               "file_name": self.name, "file_size": len(self.content)}  # fmt: skip
        return doc | ({"mime_type": self.mime_type} if self.mime_type else {})


@dataclass
class _Upload:
    filename: str
    content: bytes
    content_type: str | None


@dataclass
class _Delivery:
    update: dict[str, Any]
    chat_id: int | None
    callback_id: str | None
    inline_id: str | None
    mark: int
    via_webhook: bool = False
    outputs: Outputs = field(default_factory=Outputs)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


def _decode(params: dict[str, Any]) -> dict[str, Any]:
    """JSON-decode the values that hold objects or arrays (reply_markup, results, ...)."""
    for key, value in params.items():
        if isinstance(value, str) and key not in _TEXT_PARAMS and value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                decoded = json.loads(value)
                if isinstance(decoded, dict | list):
                    params[key] = decoded
    return params


def _attach(params: dict[str, Any], files: dict[str, _Upload]) -> dict[str, Any]:
    """Refer to a file uploaded directly under its parameter name as attach://name."""
    attached = {v[9:] for v in params.values() if isinstance(v, str) and v.startswith("attach://")}
    for name in files.keys() - attached:
        params.setdefault(name, f"attach://{name}")
    return params


async def _read_multipart(
    reader: aiohttp.MultipartReader,
) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Fields and files of a multipart body."""
    params: dict[str, Any] = {}
    files: dict[str, _Upload] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        data = bytes(await part.read(decode=True))
        if part.filename:
            ctype = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
            files[part.name] = _Upload(part.filename, data, ctype)
        else:
            params[part.name] = data.decode()
    return params, files


class FakeUser:
    """A Telegram user chatting with the bot in a private chat."""

    def __init__(self, stub: TelegramStub, data: dict[str, Any]) -> None:
        self.stub, self.data, self.id = stub, data, int(data["id"])

    async def send(self, text: str, *, wait: bool = True) -> Outputs:
        """Send a text message; returns what the bot did for this chat meanwhile."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = utf16_len(text.split(maxsplit=1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._message(content, wait)

    async def share_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        vcard: str | None = None,
        *,
        wait: bool = True,
    ) -> Outputs:
        """Share a contact card."""
        contact = {"phone_number": phone_number, "first_name": first_name,
                   "last_name": last_name, "user_id": user_id, "vcard": vcard}  # fmt: skip
        return await self._message(
            {"contact": {k: v for k, v in contact.items() if v is not None}}, wait
        )

    async def forward(
        self,
        text: str,
        from_user: dict[str, Any] | None = None,
        *,
        sender_user_name: str | None = None,
        wait: bool = True,
    ) -> Outputs:
        """Forward a text message from a user (or a hidden user given by sender_user_name)."""
        origin: dict[str, Any]
        if from_user is not None:
            origin = {"type": "user", "sender_user": {"is_bot": False, **from_user}}
        elif sender_user_name is not None:
            origin = {"type": "hidden_user", "sender_user_name": sender_user_name}
        else:
            raise ValueError("forward() needs from_user or sender_user_name")
        origin["date"] = int(time.time()) - 60
        return await self._message({"text": text, "forward_origin": origin}, wait)

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        wait: bool = True,
    ) -> Outputs:
        """Send a file; the bot can getFile and download it."""
        stored = self.stub.store_file(filename, content, mime_type)
        message: dict[str, Any] = {"document": stored.document()}
        if caption is not None:
            message["caption"] = caption
        return await self._message(message, wait)

    async def click(
        self, message: Output | dict | int, button: str, *, wait: bool = True
    ) -> Outputs:
        """Press the inline button labelled `button` (exact text, else substring) of a message."""
        msg = self._find(message)
        buttons = [b for row in _buttons(msg.get("reply_markup")) for b in row]
        found = [b for b in buttons if b.text == button] or [b for b in buttons if button in b.text]
        if len(found) != 1:
            raise AssertionError(
                f"{len(found)} buttons match {button!r} in message {msg['message_id']}:"
                f" {[b.text for b in buttons]}"
            )
        if found[0].callback_data is None:
            raise AssertionError(f"button {found[0].text!r} is not a callback button: {found[0]}")
        return await self._callback(msg, found[0].callback_data, wait)

    async def click_raw(self, message_id: int, data: str, *, wait: bool = True) -> Outputs:
        """Send a callback query with arbitrary data (forged callbacks)."""
        msg = self.stub._messages.get(self.id, {}).get(message_id)
        if msg is None:  # Telegram sends an inaccessible message (date 0)
            msg = {"chat": self.stub._chats[self.id], "message_id": message_id, "date": 0}
        return await self._callback(msg, data, wait)

    async def inline(
        self, query: str, offset: str = "", *, chat_type: str = "sender"
    ) -> InlineAnswer:
        """Type an inline query; returns the bot's answer (answered=False if none)."""
        qid = self.stub._new_id("iq")
        self.stub._open_inline.add(qid)
        update = {"inline_query": {"id": qid, "from": self.data, "query": query,
                                   "offset": offset, "chat_type": chat_type}}  # fmt: skip
        outputs = await self.stub._run(update, inline_id=qid, wait=True)
        answer = self.stub.inline_answers.get(qid) or InlineAnswer()
        return replace(answer, outputs=outputs)

    async def _message(self, content: dict[str, Any], wait: bool) -> Outputs:
        msg = self.stub._new_message(self.id, self.data, content)
        return await self.stub._run({"message": msg}, chat_id=self.id, wait=wait)

    async def _callback(self, msg: dict[str, Any], data: str, wait: bool) -> Outputs:
        qid = self.stub._new_id("cq")
        self.stub._open_callbacks.add(qid)
        chat_id = int(msg["chat"]["id"])
        query = {"id": qid, "from": self.data, "message": msg,
                 "chat_instance": f"ci{chat_id}", "data": data}  # fmt: skip
        return await self.stub._run(
            {"callback_query": query}, chat_id=chat_id, callback_id=qid, wait=wait
        )

    def _find(self, ref: Output | dict | int) -> dict[str, Any]:
        if isinstance(ref, Output):
            chat_id, message_id = ref.chat_id, ref.message_id
        elif isinstance(ref, dict):
            chat_id, message_id = ref["chat"]["id"], ref["message_id"]
        else:
            chat_id, message_id = self.id, ref
        msg = self.stub._messages.get(chat_id or 0, {}).get(message_id or 0)
        if msg is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id} (deleted?): {ref}")
        return msg


class TelegramStub:
    """A fake Telegram Bot API on 127.0.0.1 with a conversation driver and request recording."""

    # An update counts as processed when the polling bot asks getUpdates for a later offset, so
    # run it with handle_as_tasks=False; in webhook mode, when the webhook's HTTP answer arrives,
    # so give SimpleRequestHandler handle_in_background=False. getUpdates is not in `calls`.

    def __init__(
        self, *, timeout: float = 10.0, strict_ampersand: bool = True, port: int = 0
    ) -> None:
        self.timeout, self.strict_ampersand = timeout, strict_ampersand
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, Any] = {}
        self.webhook: Webhook | None = None
        self.inline_answers: dict[str, InlineAnswer] = {}
        self.poll_count = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._port = port
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._queue: list[dict[str, Any]] = []
        self._pending: dict[int, _Delivery] = {}
        self._allowed: set[str] | None = None
        self._blocked: set[int] = set()
        self._failures: dict[str, list[tuple[int, int, str | None]]] = {}
        self._open_callbacks: set[str] = set()
        self._open_inline: set[str] = set()
        self._counter = itertools.count(1)
        self._last_update_id = 0
        self._call_base = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._closing = False
        self.refusing = False  # every method answers 401, as for a revoked token
        handlers: dict[str, Callable[[dict[str, Any], dict[str, _Upload]], Any]] = {
            "getMe": lambda p, f: BOT_USER,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda p, f: self.commands.get(self._scope_key(p), []),
            "deleteMyCommands": lambda p, f: bool(self.commands.pop(self._scope_key(p), 1)),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "sendChatAction": lambda p, f: self._chat(p, sending=True) is not None,
            "setChatMenuButton": self._set_menu_button,
            "close": lambda p, f: True,
            "logOut": lambda p, f: True,
        }
        self._methods = {name.lower(): (name, h) for name, h in handlers.items()}

    # Lifecycle

    async def start(self) -> None:
        """Serve on 127.0.0.1, on the port given (a bot may be waiting for it) or a free one."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port, reuse_address=True).start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._closing = True
        self._notify()
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> TelegramStub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """Base URL for TelegramAPIServer.from_base."""
        if not self._port:
            raise RuntimeError("TelegramStub is not started")
        return f"http://127.0.0.1:{self._port}"

    # Test controls

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """A user who has a private chat with the bot (the chat exists from now on)."""
        names = {"first_name": first_name, "last_name": last_name, "username": username}
        names = {k: v for k, v in names.items() if v is not None}
        data = {"id": user_id, "is_bot": False, **names}
        if language_code:
            data["language_code"] = language_code
        self._chats[user_id] = {"id": user_id, "type": "private", **names}
        return FakeUser(self, data)

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403."""
        self._blocked.add(chat_id)

    def refuse_token(self, refusing: bool = True) -> None:
        """Answer every method with 401 Unauthorized, as Telegram does for a revoked token."""
        self.refusing = refusing

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot."""
        self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with `code` (429 carries retry_after)."""
        entry = (code, retry_after, description)
        self._failures.setdefault(method.lower(), []).extend([entry] * times)

    def use_webhook(
        self, url: str, secret: str | None = None, allowed_updates: list[str] | None = None
    ) -> None:
        """Deliver updates by POSTing them to `url`, as after setWebhook."""
        self.webhook = Webhook(url, secret, allowed_updates)

    def use_polling(self) -> None:
        """Forget the webhook, as after deleteWebhook."""
        self.webhook = None

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current state of the messages of a chat (edits applied, deleted ones gone)."""
        chat = self._messages.get(chat_id, {})
        return [copy.deepcopy(chat[mid]) for mid in sorted(chat)]

    def clear_calls(self) -> None:
        """Forget the recorded calls."""
        self._call_base += len(self.calls)
        self.calls.clear()

    def clear_messages(self, chat_id: int | None = None) -> None:
        """Forget the messages of one chat, or of all chats (ids keep increasing)."""
        for cid in [chat_id] if chat_id is not None else list(self._messages):
            self._messages.pop(cid, None)

    def calls_of(self, method: str) -> list[Call]:
        """Recorded calls of one method."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def store_file(self, name: str, content: bytes, mime_type: str | None = None) -> StoredFile:
        """Keep a file so that getFile and downloads serve it."""
        n = next(self._counter)
        ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
        mime = mime_type or mimetypes.guess_type(name)[0]
        stored = StoredFile(f"BQAD{n:08d}", f"AgAD{n:04d}", f"documents/file_{n}.{ext}",
                            name, content, mime)  # fmt: skip
        self._files[stored.file_id] = stored
        return stored

    def enqueue(self, update: dict[str, Any], *, chat_id: int | None = None) -> Outputs:
        """Queue a raw update; the returned Outputs fills in once it is processed."""
        return self._deliver(update, chat_id=chat_id).outputs

    async def wait_idle(self, within: float | None = None) -> None:
        """Wait until every delivered update has been processed."""
        try:
            async with asyncio.timeout(within or self.timeout):
                while self._pending:
                    await next(iter(self._pending.values())).done.wait()
        except TimeoutError:
            raise AssertionError(f"updates still unprocessed: {sorted(self._pending)}") from None

    async def wait_for_call(self, method: str, within: float | None = None) -> Call | None:
        """Wait until `method` is called (getUpdates: until the bot polls); returns the call."""
        try:
            async with asyncio.timeout(within or self.timeout):
                while True:
                    if method.lower() == "getupdates" and self.poll_count:
                        return None
                    if found := self.calls_of(method):
                        return found[-1]
                    await self._wakeup.wait()
        except TimeoutError:
            raise AssertionError(f"the bot never called {method}") from None

    # Update delivery

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter)}"

    def _notify(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _new_message(
        self, chat_id: int, sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a new message in the chat's id sequence."""
        message_id = self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        msg = {"message_id": message_id, "from": sender, "chat": self._chats[chat_id],
               "date": int(time.time()), **content}  # fmt: skip
        self._messages.setdefault(chat_id, {})[message_id] = msg
        return msg

    def _deliver(
        self,
        update: dict[str, Any],
        *,
        chat_id: int | None = None,
        callback_id: str | None = None,
        inline_id: str | None = None,
    ) -> _Delivery:
        update = copy.deepcopy(update)
        self._last_update_id = max(self._last_update_id + 1, _int(update.get("update_id")) or 0)
        update["update_id"] = self._last_update_id
        mark = self._call_base + len(self.calls)
        d = _Delivery(update, chat_id, callback_id, inline_id, mark)
        d.outputs.update_id = d.update_id
        self._pending[d.update_id] = d
        kind = next((k for k in update if k != "update_id"), "")
        if self.webhook is not None:
            if self.webhook.allowed_updates and kind not in self.webhook.allowed_updates:
                self._finish(d)
            else:
                d.via_webhook = True
                task = asyncio.create_task(self._post_webhook(d, self.webhook))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        else:
            self._queue.append(update)
            self._notify()
        return d

    async def _run(
        self,
        update: dict[str, Any],
        *,
        chat_id: int | None = None,
        callback_id: str | None = None,
        inline_id: str | None = None,
        wait: bool = True,
    ) -> Outputs:
        d = self._deliver(update, chat_id=chat_id, callback_id=callback_id, inline_id=inline_id)
        if wait:
            try:
                await asyncio.wait_for(d.done.wait(), self.timeout)
            except TimeoutError:
                how = ("the webhook did not answer" if d.via_webhook else
                       f"the bot did not call getUpdates with offset > {d.update_id};"
                       " is it polling with handle_as_tasks=False?")  # fmt: skip
                raise AssertionError(
                    f"update {d.update_id} {json.dumps(d.update)[:200]} was not processed"
                    f" within {self.timeout} s: {how}"
                ) from None
        return d.outputs

    def _finish(self, d: _Delivery, status: int | None = None) -> None:
        """Collect the outputs of a processed update and release its waiters."""
        self._pending.pop(d.update_id, None)
        for call in self.calls[max(d.mark - self._call_base, 0) :]:
            out = self._output(call)
            p = out.params
            if (
                (d.callback_id is not None and str(p.get("callback_query_id")) == d.callback_id)
                or (d.inline_id is not None and str(p.get("inline_query_id")) == d.inline_id)
                or (d.chat_id is not None and out.chat_id == d.chat_id)
            ):
                (d.outputs.errors if out.error else d.outputs).append(out)
        d.outputs.status, d.outputs.processed = status, True
        d.done.set()

    def _output(self, call: Call) -> Output:
        p = call.params
        res = call.result if isinstance(call.result, dict) else {}
        chat_id = self._resolve_chat(p.get("chat_id"))
        if chat_id is None and isinstance(res.get("chat"), dict):
            chat_id = res["chat"]["id"]
        text = p.get("text", p.get("caption"))
        doc = res.get("document")
        stored = self._files.get(doc["file_id"]) if isinstance(doc, dict) else None
        return Output(
            method=call.method,
            chat_id=chat_id,
            message_id=res.get("message_id", _int(p.get("message_id"))),
            text=None if text is None else str(text),
            parse_mode=p.get("parse_mode"),
            buttons=_buttons(p.get("reply_markup")),
            document_name=stored.name if stored else None,
            document_bytes=stored.content if stored else None,
            params=p,
            result=call.result,
            error=call.error,
        )

    async def _post_webhook(self, d: _Delivery, hook: Webhook) -> None:
        """POST an update to the webhook; a method in the answer is executed as an API call."""
        status: int | None = None
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            if self._client is None:
                self._client = aiohttp.ClientSession()
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with self._client.post(
                hook.url, json=d.update, headers=headers, timeout=timeout
            ) as resp:
                status = resp.status
                params: dict[str, Any] = {}
                files: dict[str, _Upload] = {}
                if status != 200:
                    hook.last_error_message = f"Wrong response from the webhook: {status}"
                    hook.last_error_date = int(time.time())
                elif resp.content_type == "multipart/form-data":
                    reader = aiohttp.MultipartReader(resp.headers, resp.content)
                    params, files = await _read_multipart(reader)
                elif resp.content_type == "application/json":
                    body = await resp.json()
                    params = body if isinstance(body, dict) else {}
            method = _attach(params, files).pop("method", None)
            if isinstance(method, str):
                await self._call(method, _decode(params), files)
        except (aiohttp.ClientError, TimeoutError) as exc:
            hook.last_error_message = f"Connection failed: {exc!r}"
            hook.last_error_date = int(time.time())
        finally:
            self._finish(d, status)

    # HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.content_type == "multipart/form-data":
            fields, files = await _read_multipart(await request.multipart())
            params.update(fields)
        elif request.can_read_body:
            params.update(await request.post())
        params = _decode(_attach(params, files))
        status, body = await self._call(request.match_info["method"], params, files)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.path == path:
                return web.Response(body=stored.content)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _call(
        self, method: str, params: dict[str, Any], files: dict[str, _Upload]
    ) -> tuple[int, dict[str, Any]]:
        """Run one API method and build the Bot API envelope."""
        name, handler = self._methods.get(method.lower(), (method, None))
        call = Call(name, params, time.time())
        if name == "getUpdates":
            self.poll_count += 1
        else:
            self.calls.append(call)
        self._notify()
        try:
            if self.refusing:
                raise ApiError(401, "Unauthorized")
            if failures := self._failures.get(name.lower()):
                code, retry_after, description = failures.pop(0)
                if code == 429:
                    description = description or f"Too Many Requests: retry after {retry_after}"
                raise ApiError(
                    code,
                    description or HTTPStatus(code).phrase,
                    {"retry_after": retry_after} if code == 429 else None,
                )
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params, files)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            call.status, call.error = exc.code, exc.description
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            return exc.code, body | ({"parameters": exc.parameters} if exc.parameters else {})
        call.result = copy.deepcopy(result)
        return 200, {"ok": True, "result": result}

    # Bot API methods

    async def _get_updates(self, params: dict[str, Any], files: dict) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active;"
                           " use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = _int(params.get("offset")) or 0
        limit = min(max(_int(params.get("limit")) or 100, 1), 100)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed = set(params["allowed_updates"]) or None
        if offset > 0:  # acknowledges every earlier update: its processing has finished
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
            for d in [d for d in self._pending.values() if d.update_id < offset]:
                if not d.via_webhook:
                    self._finish(d)
        deadline = asyncio.get_running_loop().time() + max(_int(params.get("timeout")) or 0, 0)
        while True:
            for update in list(self._queue):  # Telegram drops types the bot did not ask for
                if self._allowed is not None and not (set(update) & self._allowed):
                    self._queue.remove(update)
                    if dropped := self._pending.get(update["update_id"]):
                        self._finish(dropped)
            remaining = deadline - asyncio.get_running_loop().time()
            if self._queue or self._closing or remaining <= 0:
                return copy.deepcopy(self._queue[:limit])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _set_webhook(self, params: dict[str, Any], files: dict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params, files)
        if not url.startswith(("http://", "https://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if _bool(params.get("drop_pending_updates")):
            self._drop_pending()
        self.webhook = Webhook(url, secret, allowed if isinstance(allowed, list) else None)
        return True

    def _delete_webhook(self, params: dict[str, Any], files: dict) -> bool:
        if _bool(params.get("drop_pending_updates")):
            self._drop_pending()
        self.webhook = None
        return True

    def _drop_pending(self) -> None:
        for update in self._queue:
            if d := self._pending.get(update["update_id"]):
                self._finish(d)
        self._queue.clear()

    def _get_webhook_info(self, params: dict[str, Any], files: dict) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                                "pending_update_count": len(self._queue)}  # fmt: skip
        if hook and hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook and hook.last_error_message:
            info["last_error_message"] = hook.last_error_message
            info["last_error_date"] = hook.last_error_date
        return info

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params["scope"] if isinstance(params.get("scope"), dict) else {}
        key = str(scope.get("type", "default"))
        for extra in ("chat_id", "user_id"):
            if extra in scope:
                key += f":{scope[extra]}"
        return key, str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any], files: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for cmd in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(params)] = commands
        return True

    def _set_menu_button(self, params: dict[str, Any], files: dict) -> bool:
        self.menu_buttons[_int(params.get("chat_id"))] = params.get("menu_button")
        return True

    def _resolve_chat(self, raw: Any) -> int | None:
        if (chat_id := _int(raw)) is not None or raw is None:
            return chat_id
        name = str(raw).removeprefix("@")
        return next((cid for cid, c in self._chats.items() if c.get("username") == name), None)

    def _chat(self, params: dict[str, Any], *, sending: bool = False) -> int:
        """The target chat; refuses a blocked user (when sending) and an unknown chat."""
        if params.get("chat_id") is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = self._resolve_chat(params["chat_id"])
        if sending and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id is None or chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _format(
        self, text: Any, parse_mode: Any, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """Visible text and entities of a text or caption, checked like Telegram."""
        text = "" if text is None else str(text)
        entities: list[dict[str, Any]] = []
        if str(parse_mode or "").lower() == "html":
            try:
                text, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
            except HtmlError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        text, entities = _strip(text, entities)
        if utf16_len(text) > limit:
            raise ApiError(400, too_long)
        return text, entities

    def _markup(self, markup: Any) -> dict[str, Any] | None:
        """The inline keyboard to store on a message, validated; reply keyboards are not stored."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, "Bad Request: inline keyboard must be an Array of Arrays")
        if sum(len(r) for r in rows) > 100 or any(len(r) > 8 for r in rows):
            raise ApiError(400, "Bad Request: BUTTONS_TOO_MUCH")
        for button in (b for r in rows for b in r):
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            if sum(k in button for k in _BUTTON_TYPES) != 1:
                raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
            if (
                "callback_data" in button
                and not 1 <= len(str(button["callback_data"]).encode()) <= 64
            ):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        return markup

    def _send_message(self, params: dict[str, Any], files: dict) -> dict[str, Any]:
        chat_id = self._chat(params, sending=True)
        text, entities = self._format(
            params.get("text"),
            params.get("parse_mode"),
            MAX_TEXT,
            "Bad Request: message is too long",
        )
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        content: dict[str, Any] = {"text": text}
        return self._bot_message(
            chat_id, params, content, entities_key="entities", entities=entities
        )

    def _bot_message(
        self,
        chat_id: int,
        params: dict[str, Any],
        content: dict[str, Any],
        *,
        entities_key: str,
        entities: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Store a message from the bot with its entities, keyboard and replied-to message."""
        markup = self._markup(params.get("reply_markup"))
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = _int(reply_id or params.get("reply_to_message_id"))
        if reply_id is not None:
            replied = self._messages.get(chat_id, {}).get(reply_id)
            if replied is None:
                raise ApiError(400, "Bad Request: message to be replied not found")
            content["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        if entities:
            content[entities_key] = entities
        if markup is not None:
            content["reply_markup"] = markup
        return self._new_message(chat_id, BOT_USER, content)

    def _editable(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The stored message an edit targets (None for inline messages)."""
        if params.get("inline_message_id"):
            return None
        chat_id = self._chat(params, sending=True)
        msg = self._messages.get(chat_id, {}).get(_int(params.get("message_id")) or 0)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg["from"]["id"] != BOT_USER["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: dict[str, Any] | None, new: dict[str, Any]) -> Any:
        """Apply an edit unless it changes nothing; returns the Message (True when inline)."""
        if msg is None:
            return True
        if all(msg.get(k) == (v or None) for k, v in new.items()):
            raise ApiError(400, NOT_MODIFIED)
        for key, value in new.items():
            if value:
                msg[key] = value
            else:
                msg.pop(key, None)
        msg["edit_date"] = int(time.time())
        return msg

    def _edit_message_text(self, params: dict[str, Any], files: dict) -> Any:
        msg = self._editable(params)
        text, entities = self._format(
            params.get("text"),
            params.get("parse_mode"),
            MAX_TEXT,
            "Bad Request: message is too long",
        )
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if msg is not None and "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._markup(params.get("reply_markup"))  # omitted: the keyboard is removed
        return self._apply_edit(msg, {"text": text, "entities": entities, "reply_markup": markup})

    def _edit_reply_markup(self, params: dict[str, Any], files: dict) -> Any:
        msg = self._editable(params)
        return self._apply_edit(msg, {"reply_markup": self._markup(params.get("reply_markup"))})

    def _delete_message(self, params: dict[str, Any], files: dict) -> bool:
        chat_id = self._chat(params)
        if self._messages.get(chat_id, {}).pop(_int(params.get("message_id")) or 0, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: dict[str, Any], files: dict) -> bool:
        qid = str(params.get("callback_query_id", ""))
        if qid not in self._open_callbacks:
            raise ApiError(400, QUERY_TOO_OLD)
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(qid)
        return True

    def _answer_inline_query(self, params: dict[str, Any], files: dict) -> bool:
        qid = str(params.get("inline_query_id", ""))
        if qid not in self._open_inline:
            raise ApiError(400, QUERY_TOO_OLD)
        results = params.get("results") or []
        if not isinstance(results, list) or len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            rid = str(result.get("id", ""))
            if not 1 <= len(rid.encode()) <= 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if rid in seen:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(rid)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                text, _ = self._format(content["message_text"], content.get("parse_mode"),
                                       MAX_TEXT, "Bad Request: MESSAGE_TOO_LONG")  # fmt: skip
                if not text:
                    raise ApiError(400, "Bad Request: MESSAGE_EMPTY")
            self._markup(result.get("reply_markup"))
        next_offset = str(params.get("next_offset") or "")
        if len(next_offset.encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        self._open_inline.discard(qid)
        cache_time = _int(params.get("cache_time"))
        self.inline_answers[qid] = InlineAnswer(
            results=results,
            next_offset=next_offset,
            is_personal=_bool(params.get("is_personal")),
            cache_time=300 if cache_time is None else cache_time,
            answered=True,
            button=params.get("button") if isinstance(params.get("button"), dict) else None,
        )
        return True

    def _send_document(self, params: dict[str, Any], files: dict[str, _Upload]) -> dict[str, Any]:
        chat_id = self._chat(params, sending=True)
        doc = str(params.get("document") or "")
        if doc.startswith("attach://") and doc[9:] in files:
            upload = files[doc[9:]]
            if not upload.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            mime = mimetypes.guess_type(upload.filename)[0] or upload.content_type
            stored = self.store_file(upload.filename, upload.content, mime)
        elif doc in self._files:
            stored = self._files[doc]
        elif doc.startswith(("http://", "https://")):
            stored = self.store_file(doc.rstrip("/").rsplit("/", 1)[-1] or "file", b"")
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        too_long = "Bad Request: message caption is too long"
        caption, entities = self._format(
            params.get("caption"), params.get("parse_mode"), MAX_CAPTION, too_long
        )
        content: dict[str, Any] = {"document": stored.document()}
        if caption:
            content["caption"] = caption
        return self._bot_message(chat_id, params, content, entities_key="caption_entities",
                                 entities=entities)  # fmt: skip

    def _get_file(self, params: dict[str, Any], files: dict) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.content), "file_path": stored.path}  # fmt: skip
