"""The bot never takes Carnet down: Telegram unreachable at start, going away mid-run, or
refusing the token are logged plainly and shown by the bot's link state; the service goes on."""

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from app.telegram import TelegramService
from bot.config import BotConfig
from bot.link import LinkState
from crm.staff import ensure_admins
from tests.telegram_stub import TelegramStub

# The bot's link to Telegram; the database only holds the admin it answers.
pytestmark = pytest.mark.either_database(half="postgres")

FAST_RETRY = {"retry_first": 0.1, "retry_limit": 0.3}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Poll a state another task changes (the service's) until `check` holds."""
    async with asyncio.timeout(within):
        while True:
            if check():
                return
            await asyncio.sleep(0.02)


@pytest_asyncio.fixture
async def service_at() -> AsyncIterator[Callable[[int], Awaitable[TelegramService]]]:
    """Starts a TelegramService pointed at 127.0.0.1:<port>, stopped after the test."""
    started: list[TelegramService] = []

    async def start(port: int) -> TelegramService:
        config = BotConfig(
            token="42:TEST",
            api_url=f"http://127.0.0.1:{port}",
            handle_as_tasks=False,
            polling_timeout=1,
            **FAST_RETRY,
        )
        service = TelegramService(config)
        started.append(service)
        await service.start()
        return service

    yield start
    for service in started:
        await service.stop()


async def test_a_bot_started_while_telegram_is_unreachable_comes_up_when_it_answers(
    db, service_at, caplog
):
    caplog.set_level(logging.INFO)
    port = _free_port()
    service = await service_at(port)
    await until(lambda: "trying again" in caplog.text)
    assert service.status.state is LinkState.UNREACHABLE
    await asyncio.sleep(0.5)  # a few attempts
    attempts = [r for r in caplog.records if "cannot reach Telegram" in r.getMessage()]
    assert len(attempts) >= 2
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in attempts)

    async with TelegramStub(port=port) as stub:
        assert await service.ready(within=10)
        assert service.status.state is LinkState.UP
        assert service.username == "carnet_test_bot"
        assert "bot: @carnet_test_bot is online" in caplog.text
        await ensure_admins([7001])
        replies = await stub.user(7001, "Ada").send("/help")
        assert replies.texts
    assert "Traceback" not in caplog.text


async def test_a_refused_token_is_said_once_and_the_bot_stays_off(db, service_at, caplog):
    async with TelegramStub() as stub:
        stub.refuse_token()
        service = await service_at(int(stub.url.rsplit(":", 1)[1]))
        assert not await service.ready(within=5)
        await asyncio.sleep(0.5)  # it does not ask again
        assert service.status.state is LinkState.REFUSED
        refusals = [r for r in caplog.records if "refused BOT_TOKEN" in r.getMessage()]
        assert len(refusals) == 1
        assert "@BotFather" in refusals[0].getMessage()
        assert refusals[0].exc_info is None
        calls_after = len(stub.calls) + stub.poll_count
        await asyncio.sleep(0.5)
        assert len(stub.calls) + stub.poll_count == calls_after


async def test_a_token_revoked_mid_run_stops_polling_with_one_clear_line(db, service_at, caplog):
    async with TelegramStub() as stub:
        service = await service_at(int(stub.url.rsplit(":", 1)[1]))
        assert await service.ready()
        await stub.wait_for_call("getUpdates")
        stub.refuse_token()
        await until(lambda: service.status.state is LinkState.REFUSED)
        assert service.polling is not None
        await until(lambda: service.polling is not None and service.polling.done())
        polls = stub.poll_count
        await asyncio.sleep(0.5)
        assert stub.poll_count <= polls + 1
        assert sum("refused BOT_TOKEN" in r.getMessage() for r in caplog.records) == 1


async def test_telegram_going_away_mid_run_is_survived_and_polling_resumes(db, service_at, caplog):
    caplog.set_level(logging.INFO)
    port = _free_port()
    async with TelegramStub(port=port) as stub:
        service = await service_at(port)
        assert await service.ready()
        await stub.wait_for_call("getUpdates")
    await until(lambda: service.status.state is LinkState.UNREACHABLE)
    assert service.polling is not None and not service.polling.done()
    async with TelegramStub(port=port) as stub:
        await ensure_admins([7001])
        replies = await stub.user(7001, "Ada").send("/help")
        assert replies.texts
        assert service.status.state is LinkState.UP
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("state", [LinkState.UP, LinkState.UNREACHABLE, LinkState.REFUSED])
async def test_healthz_names_the_bot_state_and_stays_200_without_it(db, state):
    from aiohttp.test_utils import TestClient, TestServer

    from app.health import Health
    from app.web import build_app
    from bot.link import TelegramLink

    link = TelegramLink()
    link.set(state, None if state is LinkState.UP else "Cannot connect to host")
    app = build_app(health=Health(scheduler=lambda: True, bot=lambda: link.status))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        body = await response.json()
    assert response.status == 200
    assert body["parts"] == {"database": "ok", "scheduler": "running", "bot": state.value}
    assert body["status"] == ("ok" if state is LinkState.UP else "degraded")
    if state is not LinkState.UP:
        assert body["details"]["bot"]["detail"] == "Cannot connect to host"


async def test_healthz_says_why_only_to_a_caller_on_this_machine(db):
    from aiohttp.test_utils import TestClient, TestServer

    from app.health import Health
    from app.web import build_app
    from bot.link import TelegramLink

    link = TelegramLink("42:SECRET-TOKEN")
    link.set(LinkState.UNREACHABLE, "400, url='http://x/bot42:SECRET-TOKEN/getMe'")
    app = build_app(health=Health(bot=lambda: link.status))
    async with TestClient(TestServer(app)) as client:
        local = await (await client.get("/healthz")).json()
        proxied = await (
            await client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
        ).json()
    assert local["details"]["bot"]["detail"] == "400, url='http://x/bot<BOT_TOKEN>/getMe'"
    assert "version" in local
    assert proxied["parts"]["bot"] == "unreachable"
    assert "details" not in proxied and "version" not in proxied


async def test_the_token_in_a_garbled_answers_error_reaches_neither_log_nor_healthz(db, caplog):
    """aiohttp names the request URL (bot<token>/getMe) when an answer is not HTTP."""
    from app.logs import RedactSecrets, redact_everywhere

    token = "42:AAH-very-secret-token"

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    redact_everywhere([token])
    config = BotConfig(token=token, api_url=f"http://127.0.0.1:{port}", **FAST_RETRY)
    service = TelegramService(config)
    try:
        await service.start()
        await until(lambda: "trying again" in caplog.text)
        assert service.status.state is LinkState.UNREACHABLE
        detail = service.status.detail or ""
    finally:
        await service.stop()
        server.close()
        for handler in logging.getLogger().handlers:
            for f in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
                handler.removeFilter(f)
    assert "/bot<BOT_TOKEN>/getMe" in detail and token not in detail
    assert "<redacted>" in caplog.text and token not in caplog.text
