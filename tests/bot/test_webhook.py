"""Webhook mode: Telegram posts updates to POST /telegram/webhook on the web app, secret checked."""

import dataclasses
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiohttp import web

from app.telegram import TelegramService
from app.web import build_app
from bot.config import BotConfig
from crm.staff import ensure_admins
from tests.telegram_stub import TelegramStub

SECRET = "s3cret-Token_1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest_asyncio.fixture
async def webhook(db: str) -> AsyncIterator[tuple[TelegramStub, str]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    async with TelegramStub() as stub:
        config = BotConfig(
            token="42:TEST", api_url=stub.url, webhook_url=url, webhook_secret=SECRET
        )
        service = TelegramService(config)
        app = build_app()
        service.mount(app)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await service.start()
        assert await service.ready()
        try:
            yield stub, url
        finally:
            await service.stop()
            await runner.cleanup()


async def test_the_bot_registers_its_webhook_with_the_secret(webhook):
    stub, url = webhook
    assert stub.webhook is not None
    assert stub.webhook.url == url and stub.webhook.secret_token == SECRET
    assert "callback_query" in (stub.webhook.allowed_updates or [])


async def test_updates_posted_with_the_secret_are_answered(webhook):
    stub, _ = webhook
    await ensure_admins([9001])
    admin = stub.user(9001, "Ada")
    replies = await admin.send("/help")
    assert replies.status == 200
    assert "What you can do" in replies.texts[0]


async def test_a_post_without_the_right_secret_is_refused(webhook):
    _, url = webhook
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 9001, "type": "private"},
            "from": {"id": 9001, "is_bot": False, "first_name": "Eve"},
            "text": "/help",
        },
    }
    async with aiohttp.ClientSession() as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with client.post(url, json=update, headers=headers) as response:
                assert response.status == 401


def test_the_webhook_url_is_only_mounted_in_webhook_mode():
    config = BotConfig(token="42:TEST", api_url="http://127.0.0.1:1")
    app = web.Application()
    TelegramService(config).mount(app)
    assert not [r for r in app.router.routes() if "/telegram" in str(r.resource)]
    hooked = web.Application()
    with_hook = dataclasses.replace(
        config, webhook_url="https://x/telegram/webhook", webhook_secret="s"
    )
    TelegramService(with_hook).mount(hooked)
    assert [r for r in hooked.router.routes() if "/telegram/webhook" in str(r.resource)]


async def test_a_body_that_is_not_an_update_gets_400_with_the_right_secret(webhook, caplog):
    """Telegram only ever posts updates: anything else is the caller's error, not a 500 with a
    traceback in the log."""
    _, url = webhook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    bodies = [b"not json", b"[]", b"{}", b'{"update_id": "x"}', b"\xff\xfe", b""]
    async with aiohttp.ClientSession() as client:
        for body in bodies:
            async with client.post(url, data=body, headers=headers) as response:
                assert response.status == 400, body
        async with client.post(url, data=b"not json", headers={}) as response:
            assert response.status == 401  # the secret is checked first
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
