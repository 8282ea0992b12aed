"""End-to-end fixtures: the real bot from `app/` polling a local Telegram Bot API stand-in."""

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio

from app.telegram import TelegramService
from bot.config import BotConfig
from bot.link import LinkState
from tests.telegram_stub import TelegramStub

# Services of finished tests whose stop() is still closing the Bot API session (see below).
_closing: list[asyncio.Task[None]] = []


async def _finish_closing(*, every: bool) -> None:
    """Await the finished ones (any error raises here), or all of them."""
    for task in [t for t in _closing if every or t.done()]:
        _closing.remove(task)
        await task


async def _stopped(service: TelegramService, stopping: asyncio.Task[None]) -> None:
    """Until the link says STOPPED (polling and the sender have ended) or stop() has returned."""
    while True:
        if stopping.done() or service.status.state is LinkState.STOPPED:
            return
        await asyncio.sleep(0.005)


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _services_closed() -> AsyncIterator[None]:
    yield
    await _finish_closing(every=True)


@pytest_asyncio.fixture
async def telegram(db: str) -> AsyncIterator[TelegramStub]:
    """A started bot talking HTTP to a stub; updates are processed one at a time, in order."""
    await _finish_closing(every=False)
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
            # stop() stops polling and the outbox sender, says STOPPED, then closes the Bot API
            # session, where aiogram waits a quarter of a second for TLS connections to close
            # (the stub speaks plain HTTP). That wait runs on beside the next test; the session
            # waits for every such task before it ends.
            stopping = asyncio.create_task(service.stop())
            _closing.append(stopping)
            await _stopped(service, stopping)
