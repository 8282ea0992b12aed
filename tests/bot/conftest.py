"""End-to-end fixtures: the real bot from `app/` polling a local Telegram Bot API stand-in."""

from collections.abc import AsyncIterator

import pytest_asyncio

from app.telegram import TelegramService
from bot.config import BotConfig
from tests.telegram_stub import TelegramStub


@pytest_asyncio.fixture
async def telegram(db: str) -> AsyncIterator[TelegramStub]:
    """A started bot talking HTTP to a stub; updates are processed one at a time, in order."""
    async with TelegramStub() as stub:
        service = TelegramService(
            BotConfig(token="42:TEST", api_url=stub.url, handle_as_tasks=False, polling_timeout=1)
        )
        await service.start()
        assert await service.ready()
        await stub.wait_for_call("getUpdates")
        try:
            yield stub
        finally:
            await service.stop()
