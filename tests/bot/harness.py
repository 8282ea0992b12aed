"""Focused handler tests: the real Dispatcher fed with updates, Telegram replaced by a recorder."""

import functools
import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import Chat, File, Message, User

from bot.setup import build_catalogue, build_dispatcher
from crm.i18n import Catalogue


@functools.cache
def catalogue(language: str) -> Catalogue:
    """Parsed once per session (a tenth of a second each time): a catalogue is never changed
    after it is built, and the running bot shares one between every update too."""
    return build_catalogue(language)


class RecordingSession(BaseSession):
    """Answers every Bot API call like Telegram would, and records it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1000)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram signature
    ) -> Any:
        self.calls.append(method)
        if isinstance(
            method, SendMessage | EditMessageText | SendDocument | EditMessageReplyMarkup
        ):
            chat_id = getattr(method, "chat_id", None) or 1
            return Message(
                message_id=getattr(method, "message_id", None) or next(self._ids),
                date=datetime.now(UTC),
                text=getattr(method, "text", None),
                chat=Chat(id=int(chat_id), type="private"),
                reply_markup=getattr(method, "reply_markup", None),
            )
        if isinstance(method, GetFile):
            return File(
                file_id=method.file_id, file_unique_id=method.file_id, file_path=method.file_id
            )
        if isinstance(method, GetMe):
            return User(id=42, is_bot=True, first_name="Carnet", username="carnet_test_bot")
        return True

    async def stream_content(
        self,
        url: str,
        headers: Any = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.files[url.rsplit("/", 1)[-1]]

    async def close(self) -> None:
        pass


@dataclass
class Harness:
    """`await h.send(user_id, "/find x")` returns the calls the update caused."""

    session: RecordingSession = field(default_factory=RecordingSession)
    language: str = "en"
    storage: BaseStorage = field(default_factory=MemoryStorage)

    def __post_init__(self) -> None:
        self.bot = Bot("42:TEST", session=self.session)
        self.dp = build_dispatcher(catalogue("en"), self.storage)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    def _user(self, user_id: int, **extra: Any) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": extra.pop("first_name", "User"),
            "language_code": extra.pop("language_code", self.language),
            **extra,
        }

    async def feed(self, update: dict[str, Any]) -> list[TelegramMethod[Any]]:
        start = len(self.session.calls)
        update.setdefault("update_id", next(self._update_ids))
        await self.dp.feed_raw_update(self.bot, update)
        return self.session.calls[start:]

    def message(self, user_id: int, **content: Any) -> dict[str, Any]:
        user = self._user(user_id, **content.pop("user", {}))
        return {
            "message": {
                "message_id": next(self._message_ids),
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": user_id, "type": "private"},
                "from": user,
                **content,
            }
        }

    async def send(self, user_id: int, text: str, **user: Any) -> list[TelegramMethod[Any]]:
        entities = None
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self.feed(self.message(user_id, text=text, entities=entities, user=user))

    async def click(
        self, user_id: int, data: str, message_id: int = 1, text: str = ""
    ) -> list[TelegramMethod[Any]]:
        message = {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": user_id, "type": "private"},
            "text": text or "…",
        }
        return await self.feed(
            {
                "callback_query": {
                    "id": str(next(self._update_ids)),
                    "from": self._user(user_id),
                    "chat_instance": "1",
                    "message": message,
                    "data": data,
                }
            }
        )

    async def inline(self, user_id: int, query: str, offset: str = "") -> list[TelegramMethod[Any]]:
        return await self.feed(
            {
                "inline_query": {
                    "id": str(next(self._update_ids)),
                    "from": self._user(user_id),
                    "query": query,
                    "offset": offset,
                }
            }
        )

    async def document(
        self, user_id: int, filename: str, content: bytes, mime_type: str = "text/vcard"
    ) -> list[TelegramMethod[Any]]:
        file_id = f"file{len(self.session.files) + 1}"
        self.session.files[file_id] = content
        doc = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        return await self.feed(self.message(user_id, document=doc))


def texts(calls: list[TelegramMethod[Any]]) -> list[str]:
    """The texts the bot sent or edited, in order."""
    return [c.text for c in calls if isinstance(c, SendMessage | EditMessageText)]


def buttons(call: TelegramMethod[Any] | list[TelegramMethod[Any]]) -> dict[str, str]:
    """Button text → callback data of a sent or edited message (the last one of a list)."""
    if isinstance(call, list):
        shown = [c for c in call if isinstance(c, SendMessage | EditMessageText)]
        call = shown[-1]
    markup = getattr(call, "reply_markup", None)
    if markup is None or not hasattr(markup, "inline_keyboard"):
        return {}
    return {
        b.text: b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data
    }
