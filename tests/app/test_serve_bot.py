"""`carnet serve` with a BOT_TOKEN: the real process polls a Bot API stand-in and answers."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.app.processes import ok
from tests.telegram_stub import TelegramStub

pytestmark = [pytest.mark.own_database, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _carnet(tmp_path: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_serve_runs_the_bot_admins_from_the_settings_are_answered(tmp_path):
    async with TelegramStub(timeout=30) as stub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK", "REDIS"))}
        env.update(
            DATABASE_URL=f"sqlite://{tmp_path / 'carnet.sqlite3'}",
            BOT_TOKEN="42:TEST",
            TELEGRAM_API_URL=stub.url,
            ADMIN_TELEGRAM_IDS="7001",
            WEB_PORT=str(_free_port()),
            PYTHONPATH=str(ROOT),
        )
        await asyncio.to_thread(ok, tmp_path, "db", "upgrade", env=env)
        server = await _carnet(tmp_path, env, "serve")
        try:
            await stub.wait_for_call("getUpdates", within=30)
            assert stub.commands[("default", "fr")]
            stranger = stub.user(666, "Eve")
            await stranger.send("/find x", wait=False)
            admin = stub.user(7001, "Ada", language_code="fr")
            await admin.send("/start", wait=False)
            async with asyncio.timeout(30):
                while len(stub.calls_of("sendMessage")) < 2:
                    await stub.wait_for_call("sendMessage")
                    await asyncio.sleep(0.05)
            by_chat = {c.params["chat_id"]: c.params["text"] for c in stub.calls_of("sendMessage")}
            assert "Bonjour, <b>Ada</b>" in by_chat["7001"]
            assert "/settings" in by_chat["7001"] and "invite link" in by_chat["666"]
        finally:
            server.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(server.communicate(), 30)
        log = output.decode()
        assert server.returncode == 0, log
        assert "bot: @carnet_test_bot is online (https://t.me/carnet_test_bot), long polling" in log
    assert "scheduler: started" in log
    assert "Traceback" not in log


async def _get(url: str) -> tuple[int, str]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_serve_with_a_refused_token_keeps_the_web_app_and_the_scheduler(tmp_path):
    """A revoked BOT_TOKEN is said once, naming BotFather; forms and /healthz keep answering."""
    import json

    async with TelegramStub() as stub:
        stub.refuse_token()
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK", "REDIS"))}
        env.update(
            DATABASE_URL=f"sqlite://{tmp_path / 'carnet.sqlite3'}",
            BOT_TOKEN="42:REVOKED",
            TELEGRAM_API_URL=stub.url,
            WEB_PORT=str(port),
            PYTHONPATH=str(ROOT),
        )
        await asyncio.to_thread(ok, tmp_path, "db", "upgrade", env=env)
        server = await _carnet(tmp_path, env, "serve")
        try:
            async with asyncio.timeout(60):
                while True:
                    try:
                        status, text = await _get(f"http://127.0.0.1:{port}/healthz")
                        if json.loads(text)["parts"]["bot"] == "refused":
                            break
                    except OSError:
                        pass
                    await asyncio.sleep(0.2)
            health = json.loads(text)
            assert status == 200 and health["status"] == "degraded"
            assert health["parts"] == {"database": "ok", "scheduler": "running", "bot": "refused"}
            status, page = await _get(f"http://127.0.0.1:{port}/forms/contact")
            assert status == 200 and "<form" in page
            status, home = await _get(f"http://127.0.0.1:{port}/")
            assert status == 200 and 'href="/forms/contact"' in home
            assert server.returncode is None  # still running
            # A backup may be taken while it runs; a restore is refused until it stops.
            backup = await _carnet(tmp_path, env, "backup", "b.sqlite3")
            assert await asyncio.wait_for(backup.wait(), 60) == 0
            restore = await _carnet(tmp_path, env, "restore", "b.sqlite3")
            said, _ = await asyncio.wait_for(restore.communicate(), 60)
            assert restore.returncode == 1 and "carnet serve is running on" in said.decode()
        finally:
            server.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(server.communicate(), 30)
    log = output.decode()
    assert server.returncode == 0, log
    assert log.count("refused BOT_TOKEN") == 1 and "@BotFather" in log
    assert f"http://127.0.0.1:{port}/forms/contact" in log  # where the forms are
    assert "Traceback" not in log and "apscheduler" not in log
