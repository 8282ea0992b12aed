"""Bot benchmark: a search typed in Telegram, from the update entering a local Bot API stand-in
to the reply reaching it, beside the same search use case called directly in the same run.

Runs the real bot as production does (`carnet serve` in its own process, long polling, updates
handled as tasks) against tests/telegram_stub.py over HTTP, on the 1,000,000-contact database
that bench/search.py builds (kept in bench/out/). The stand-in and the load run in this process,
as Telegram would run elsewhere. Staff members search with "department" read scope.

    python -m bench.bot [--database-url URL] [--samples 300] [--users 50] [--seconds 15]
"""

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from tortoise import Tortoise

from bench.search import OUT, ensure_database, pct, samples
from bot.handlers.search import PAGE_SIZE
from crm import config
from crm.actors import Actor, actor_for_staff
from crm.db import connection, dialect
from crm.search import search_contacts
from models import Department, Role, Staff, StaffDepartment, StaffRole
from models.enums import Level
from tests.telegram_stub import TelegramStub

ROOT = Path(__file__).resolve().parents[1]
PROFILE = (
    ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
)
TARGET_P95_MS = 30.0
TARGET_THROUGHPUT = 300.0
FIRST_TELEGRAM_ID = 9_100_000


class TimedStub(TelegramStub):
    """The stand-in, noting when each chat's reply arrives (perf_counter, same clock as sends)."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    async def _call(self, method: str, params: dict[str, Any], files: dict) -> Any:
        answer = await super()._call(method, params, files)
        if method.lower() == "sendmessage":
            future = self.waiting.pop(int(params["chat_id"]), None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())
        return answer


async def start_server(database_url: str, api_url: str) -> asyncio.subprocess.Process:
    """`carnet serve` with the bot pointed at the stand-in, as a separate process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "REDIS_"))}
    env.update(
        DATABASE_URL=database_url,
        BOT_TOKEN="42:BENCH",
        TELEGRAM_API_URL=api_url,
        WEB_PORT=str(port),
        DEFAULT_PHONE_REGION="FR",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, *PROFILE, "-m", "app", "serve", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def bench_staff(count: int) -> list[Staff]:
    """`count` staff members of the Sales Paris department reading at department level."""
    role, _ = await Role.get_or_create(
        name="bench department reader", defaults={"read_level": Level.DEPARTMENT}
    )
    paris = await Department.get(name="Sales Paris")
    members = []
    for i in range(count):
        staff, _ = await Staff.get_or_create(
            telegram_id=FIRST_TELEGRAM_ID + i, defaults={"name": f"Bench user {i}"}
        )
        await StaffRole.get_or_create(staff_id=staff.id, role_id=role.id)
        await StaffDepartment.get_or_create(staff_id=staff.id, department_id=paris.id)
        members.append(staff)
    return members


async def bot_search(stub: TimedStub, user: Any, text: str) -> float:
    """Milliseconds from the update entering the stand-in to the bot's reply reaching it."""
    arrived = stub.expect(user.id)
    sent = time.perf_counter()
    await user.send(text, wait=False)
    return (await asyncio.wait_for(arrived, 30) - sent) * 1000


async def direct_search(actor: Actor, text: str) -> float:
    started = time.perf_counter()
    await search_contacts(actor, text, limit=PAGE_SIZE)
    return (time.perf_counter() - started) * 1000


def summary(label: str, values: list[float]) -> str:
    return f"{label:<28} p50 {statistics.median(values):6.2f} ms   p95 {pct(values, 0.95):6.2f} ms"


async def closed_loop(users: int, seconds: float, one: Any) -> tuple[float, list[float]]:
    """`users` clients each searching again as soon as its answer arrives; (per second, ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await one(index))

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(users)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def run(args: argparse.Namespace) -> int:
    url = args.database_url or f"sqlite://{OUT / 'search.sqlite3'}"
    OUT.mkdir(exist_ok=True)
    config.configure(config.CoreConfig(default_phone_region="FR"))
    await ensure_database(url, args.contacts)
    n = (await connection().execute_query_dict("SELECT COUNT(*) AS n FROM contact"))[0]["n"]
    staff = await bench_staff(args.users)
    actors = [await actor_for_staff(s) for s in staff]
    mix = await samples(args.samples, random.Random(args.seed))
    queries = [q for kind in ("name", "phone", "email", "company") for q in mix[kind]]
    random.Random(args.seed).shuffle(queries)
    print(f"\n{n:,} contacts on {dialect()}; {len(queries)} queries (names, phone digits, e-mails,")
    print(f"companies); {args.users} staff members with department read scope\n")

    failures = 0
    async with TimedStub() as stub:
        server = await start_server(url, stub.url)
        await stub.wait_for_call("getUpdates", within=60)
        users = [stub.user(s.telegram_id, s.name) for s in staff]
        try:
            for text in queries[:50]:  # warm both paths
                await bot_search(stub, users[0], text)
                await direct_search(actors[0], text)
            bot_ms, direct_ms = [], []
            for text in queries:
                bot_ms.append(await bot_search(stub, users[0], text))
                direct_ms.append(await direct_search(actors[0], text))
            p95 = pct(bot_ms, 0.95)
            print("1 user, one search at a time")
            print("  " + summary("bot (update → reply)", bot_ms))
            print("  " + summary("search use case directly", direct_ms))
            ratio = p95 / pct(direct_ms, 0.95)
            verdict = "ok" if p95 <= TARGET_P95_MS else "MISSES TARGET"
            print(f"  p95 ratio {ratio:.1f}×; target p95 <= {TARGET_P95_MS:.0f} ms: {verdict}\n")
            failures += p95 > TARGET_P95_MS

            rng = random.Random(args.seed + 1)

            async def via_bot(i: int) -> float:
                return await bot_search(stub, users[i], rng.choice(queries))

            async def direct(i: int) -> float:
                return await direct_search(actors[i], rng.choice(queries))

            bot_rate, bot_lat = await closed_loop(args.users, args.seconds, via_bot)
            direct_rate, direct_lat = await closed_loop(args.users, args.seconds, direct)
            print(f"{args.users} users at once, {args.seconds:.0f} s each")
            print(f"  {'bot':<27}{bot_rate:7.0f} searches/s   " + summary("", bot_lat)[29:])
            print(
                f"  {'search use case directly':<27}{direct_rate:7.0f} searches/s   "
                + summary("", direct_lat)[29:]
            )
            verdict = "ok" if bot_rate >= TARGET_THROUGHPUT else "MISSES TARGET"
            print(
                f"  bot ÷ direct throughput {bot_rate / direct_rate:.2f};"
                f" target >= {TARGET_THROUGHPUT:.0f} searches/s: {verdict}"
            )
            failures += bot_rate < TARGET_THROUGHPUT
        finally:
            server.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(server.communicate(), 60)
            if server.returncode:
                print(output.decode()[-2000:])
    await Tortoise.close_connections()
    return 1 if failures and args.strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=75, help="queries per kind (4 kinds)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
