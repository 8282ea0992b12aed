"""Real `carnet serve` processes making web form leads: killed between storing and processing,
a restart finishes every lead once; on PostgreSQL two processes drain one queue side by side
without doubling a contact, an alert or a company."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crm.actors import system_actor
from crm.db import dialect
from crm.webforms import definitions, submissions
from crm.webforms.submissions import SubmissionMeta
from models import Company, Contact, FormSubmission, HistoryEntry, OutboxMessage

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KEY = "a-shop-server-key-0123456789"
FIELDS = [
    {"name": "name", "type": "text", "label": "Name", "maps_to": "name", "required": True},
    {"name": "email", "type": "email", "label": "E-mail", "maps_to": "email"},
    {"name": "company", "type": "text", "label": "Company", "maps_to": "company"},
]


def person(n: int, companies: int = 1000) -> dict[str, str]:
    return {
        "name": f"Person{n} Test",
        "email": f"p{n}@example.fr",
        "company": f"Co {n % companies}",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serve:
    """One `carnet serve` process on the test's database."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BOT_TOKEN", "WEBHOOK", "REDIS", "DATABASE_URL"))
        }
        self.env.update(
            DATABASE_URL=database_url,
            WEB_PORT=str(self.port),
            FORMS_SECRET="serve-forms-secret-0123456789",
            PYTHONPATH=str(ROOT),
        )
        self.folder = folder
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "serve",
            cwd=self.folder,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def ready(self, session: aiohttp.ClientSession) -> None:
        async with asyncio.timeout(60):  # start-up imports aiogram: slow on a busy machine
            while True:
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert self.process is not None and self.process.returncode is None
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> str:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(self.process.communicate(), 30)
        return output.decode(errors="replace")


async def shop(make_staff: Any) -> None:
    await make_staff("Admin", admin=True)  # who the alerts go to
    await definitions.create_form(
        system_actor("test"),
        {
            "slug": "shop",
            "title": "Shop",
            "api_key": KEY,
            "consent_required": False,
            "fields": FIELDS,
        },
    )


async def store(payload: dict[str, str]) -> None:
    """What a process stopped before the worker got to it leaves: a received submission."""
    form = await definitions.get_public_form("shop")
    receipt = await submissions.submit(form, payload, SubmissionMeta())
    assert receipt.status == "received"


async def until_processed(count: int, within: float = 90) -> None:
    async with asyncio.timeout(within):
        while True:
            try:
                total = await FormSubmission.all().count()
                waiting = await FormSubmission.filter(status="received").count()
            except Exception:  # SQLite busy with the server's writes: look again
                waiting = -1
                total = 0
            if total == count and waiting == 0:
                return
            await asyncio.sleep(0.2)


async def assert_each_lead_once(count: int, people: int, companies: int | None = None) -> None:
    rows = await FormSubmission.all().order_by("id")
    assert len(rows) == count
    assert {r.status for r in rows} <= {"created", "merged"}, [(r.id, r.status) for r in rows]
    assert sum(r.status == "created" for r in rows) == people
    assert await Contact.all().count() == people
    if companies is not None:
        assert await Company.all().count() == companies
    dedupe = await OutboxMessage.filter(kind="lead").values_list("dedupe_key", flat=True)
    assert sorted(dedupe) == sorted(f"lead:{r.id}" for r in rows)  # one alert each
    entries = await HistoryEntry.filter(entity="contact", field="web_form").count()
    assert entries == count  # one "web form" history entry per lead


async def test_a_serve_killed_between_storing_and_processing_finishes_every_lead_after_restart(
    db, make_staff, tmp_path
):
    await shop(make_staff)
    for n in range(10):
        await store(person(n))
    first = Serve(db, tmp_path)
    await first.start()
    async with aiohttp.ClientSession() as session:
        await first.ready(session)

        async def post(n: int) -> int:
            async with session.post(
                f"{first.url}/forms/shop", json=person(n), headers={"X-Carnet-Form-Key": KEY}
            ) as response:
                return response.status

        answers = await asyncio.gather(*(post(n) for n in range(10, 40)))
        await first.kill()  # no shutdown: whatever was in hand is cut short
    assert answers == [202] * 30
    second = Serve(db, tmp_path)
    await second.start()
    try:
        await until_processed(40)
    finally:
        log = await second.stop()
    assert "Traceback" not in log, log
    await assert_each_lead_once(40, people=40)


async def test_two_serve_processes_drain_one_queue_without_doubling_anything(
    db, make_staff, tmp_path
):
    if dialect() == "sqlite":
        pytest.skip("one carnet serve per SQLite database")
    await shop(make_staff)
    # 80 leads of 50 people (30 come twice) naming 7 new companies.
    for n in range(80):
        await store({**person(n % 50, companies=7), "message": f"try {n}"})
    processes = [Serve(db, tmp_path / str(i)) for i in range(2)]
    for serve in processes:
        serve.folder.mkdir()
        await serve.start()
    try:
        await until_processed(80)
    finally:
        logs = [await serve.stop() for serve in processes]
    for log in logs:
        assert "Traceback" not in log, log
    await assert_each_lead_once(80, people=50, companies=7)
