"""Web form benchmark: leads posted to `POST /forms/{slug}` of a real `carnet serve`, beside a
bare aiohttp handler that inserts one row with the raw driver, in the same run.

Both servers run in their own process (uvloop, as `carnet serve` does); the load runs here:
`--connections` clients each posting a new visitor as soon as the last answer came (JSON with
the form's API key, so no page token is needed), for `--seconds`. On SQLite both use WAL with
the same durability (synchronous=FULL, Tortoise's default); on PostgreSQL
(`--database-url postgres://...`, a throwaway database is created beside it) the baseline is
raw asyncpg with a pool of 10. Then a burst: `--burst` leads in `--burst-seconds` (a tenth
of them retried at once with the same Idempotency-Key, as a flaky network would) must end
as exactly that many submissions and contacts, none doubled, each alerted (outbox rows).

    python -m bench.forms [--seconds 20] [--connections 50] [--database-url URL] [--strict]
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from tortoise import Tortoise

ROOT = Path(__file__).resolve().parents[1]
# BENCH_PROFILE=file: run `carnet serve` under cProfile and write its stats there.
PROFILE = (
    ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
)
SLUG = "bench"
API_KEY = "bench-" + "k" * 30
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
BARE_TABLE = (
    "CREATE TABLE IF NOT EXISTS lead (id INTEGER PRIMARY KEY, name TEXT, phone TEXT,"
    " email TEXT, message TEXT, received_at TEXT)"
)
PG_TABLE = (
    "CREATE TABLE IF NOT EXISTS lead (id SERIAL PRIMARY KEY, name TEXT, phone TEXT,"
    " email TEXT, message TEXT, received_at TIMESTAMPTZ)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# Each run's visitors get their own block of phone numbers: no lead matches another run's.
RUN_BASE = {"w": 0, "c": 10_000_000, "b": 20_000_000, "burst": 30_000_000}


def visitor(n: int, run: str) -> dict[str, str]:
    """A distinct lead: its own name, French mobile number and e-mail address."""
    return {
        "name": f"Visitor{run}{n} Bench",
        "phone": f"+336{(RUN_BASE[run] + n) % 100_000_000:08d}",
        "email": f"v{run}{n}@bench.example",
        "message": "Please call me back about the offer.",
    }


# --- the bare baseline (runs as `python -m bench.forms --serve-bare PORT URL`) ----------------


async def serve_bare(port: int, url: str) -> None:
    """A bare aiohttp handler that reads the JSON lead and inserts one row with the raw driver."""
    from aiohttp import web

    if url.startswith("sqlite://"):
        import aiosqlite

        db = await aiosqlite.connect(url.removeprefix("sqlite://"))
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute(BARE_TABLE)
        await db.commit()

        async def close() -> None:
            await db.close()  # its thread would keep the process alive

        async def insert(lead: dict[str, Any]) -> int:
            cursor = await db.execute(
                "INSERT INTO lead (name, phone, email, message, received_at)"
                " VALUES (?, ?, ?, ?, datetime('now'))",
                (lead.get("name"), lead.get("phone"), lead.get("email"), lead.get("message")),
            )
            await db.commit()
            return int(cursor.lastrowid or 0)

    else:
        import asyncpg

        pool = await asyncpg.create_pool(url.replace("asyncpg://", "postgres://"), max_size=10)
        await pool.execute(PG_TABLE)

        async def close() -> None:
            await pool.close()

        async def insert(lead: dict[str, Any]) -> int:
            return int(
                await pool.fetchval(
                    "INSERT INTO lead (name, phone, email, message, received_at)"
                    " VALUES ($1, $2, $3, $4, now()) RETURNING id",
                    lead.get("name"), lead.get("phone"), lead.get("email"), lead.get("message"),
                )
            )  # fmt: skip

    async def handle(request: web.Request) -> web.Response:
        lead = await request.json()
        return web.json_response({"ok": True, "id": await insert(lead)}, status=201)

    app = web.Application()
    app.router.add_post("/forms/{slug}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    await close()


# --- Carnet -----------------------------------------------------------------------------------


async def prepare_carnet(url: str) -> None:
    """Migrate, then the bench form (API key, no consent) and an admin to alert."""
    from app.database import upgrade
    from app.settings import Settings
    from crm import config
    from crm.actors import system_actor
    from crm.setup import ensure_defaults
    from crm.webforms import definitions
    from models import Staff, tortoise_config

    settings = Settings(database_url=url)
    await upgrade(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    config.configure(config.CoreConfig(default_phone_region="FR"))
    await ensure_defaults()
    await Staff.get_or_create(
        telegram_id=7_000_001, defaults={"name": "Bench admin", "is_admin": True}
    )
    await definitions.create_form(
        system_actor("bench"),
        {"slug": SLUG, "title": "Bench", "api_key": API_KEY, "consent_required": False},
    )
    await Tortoise.close_connections()


async def start(args: list[str], env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """A server process; returns once its port answers."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process
        except OSError:
            if process.returncode is not None:
                output = await process.stdout.read() if process.stdout else b""
                raise RuntimeError(f"{args} exited: {output.decode()[-2000:]}") from None
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{args} did not listen on {port}")


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    if process.returncode not in (0, -signal.SIGTERM):
        print(output.decode()[-2000:])


def carnet_env(url: str, port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "BOT_TOKEN": "",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "DEFAULT_PHONE_REGION": "FR",
        "LOG_LEVEL": "WARNING",
        "FORMS_SECRET": secrets.token_hex(16),
        "REDIS_URL": "",
    }


# --- load -------------------------------------------------------------------------------------


@dataclass
class Load:
    rate: float
    latencies: list[float]
    errors: dict[int, int]

    def line(self, label: str) -> str:
        p50, p99 = statistics.median(self.latencies), pct(self.latencies, 0.99)
        errors = f"   non-201: {self.errors}" if self.errors else ""
        return (
            f"  {label:<34}{self.rate:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:7.2f} ms{errors}"
        )


async def closed_loop(url: str, connections: int, seconds: float, run: str) -> Load:
    """`connections` clients each posting a new visitor as soon as the previous answer came."""
    latencies: list[float] = []
    errors: dict[int, int] = {}
    counter = iter(range(10**9))
    headers = {"X-Carnet-Form-Key": API_KEY, "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                body = json.dumps(visitor(next(counter), run))
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != 201:
                    errors[response.status] = errors.get(response.status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return Load(len(latencies) / elapsed, latencies, errors)


async def warm(url: str, run: str) -> None:
    await closed_loop(url, 4, 1.0, run)


async def burst(url: str, total: int, seconds: float, retried: float, run: str) -> dict[str, Any]:
    """`total` leads spread over `seconds`; some are sent twice at once with one key."""
    rng = random.Random(7)
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(n: int, key: str, delay: float) -> None:
            await asyncio.sleep(delay)
            headers = {"X-Carnet-Form-Key": API_KEY, "Idempotency-Key": key}
            started = time.perf_counter()
            async with session.post(url, json=visitor(n, run), headers=headers) as response:
                await response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status] = statuses.get(response.status, 0) + 1

        tasks = []
        for n in range(total):
            delay = seconds * n / total
            key = f"{run}-{n}"
            tasks.append(post(n, key, delay))
            if rng.random() < retried:
                tasks.append(post(n, key, delay + rng.random() * 0.05))
        began = time.perf_counter()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    return {"posts": len(tasks), "statuses": statuses, "elapsed": elapsed, "latencies": latencies}


async def count_burst(url: str, run: str) -> dict[str, int]:
    """What the burst left in Carnet's database."""
    from crm.db import connection
    from models import Contact, FormSubmission, tortoise_config

    sqlite = url.startswith("sqlite")
    param = "?" if sqlite else "$1"
    await Tortoise.init(config=tortoise_config(url))
    try:
        # Doubled: two e-mail channels (of live contacts) with the same address.
        rows = await connection().execute_query_dict(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT ch.normalized) AS emails FROM channel ch"
            " JOIN contact c ON c.id = ch.contact_id AND c.deleted_at IS NULL"
            f" WHERE ch.kind = 'email' AND ch.normalized LIKE {param}",
            [f"v{run}%@bench.example"],
        )
        submissions = await FormSubmission.filter(idempotency_key__startswith=f"{run}-").count()
        created = await FormSubmission.filter(
            idempotency_key__startswith=f"{run}-", status="created"
        ).count()
        contact_ids = await FormSubmission.filter(
            idempotency_key__startswith=f"{run}-"
        ).values_list("contact_id", flat=True)
        contacts = await Contact.filter(id__in=[c for c in contact_ids if c]).count()
        submission_id = (
            "json_extract(o.payload, '$.submission_id')"
            if sqlite
            else "o.payload->>'submission_id'"
        )
        outbox_rows = await connection().execute_query_dict(
            f"SELECT COUNT(*) AS n FROM outbox_message o JOIN form_submission s"
            f" ON s.id = CAST({submission_id} AS INTEGER)"
            f" WHERE o.kind = 'lead' AND s.idempotency_key LIKE {param}",
            [f"{run}-%"],
        )
        alerts = int(outbox_rows[0]["n"])
        return {
            "submissions": submissions,
            "created": created,
            "contacts": contacts,
            "email_channels": int(rows[0]["n"]),
            "distinct_emails": int(rows[0]["emails"]),
            "alerts": alerts,
        }
    finally:
        await Tortoise.close_connections()


# --- the run ----------------------------------------------------------------------------------


async def pg_database(base_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A fresh database beside `base_url`, and how to drop it."""
    import asyncpg

    name = f"carnet_bench_{secrets.token_hex(4)}"
    admin = base_url.replace("asyncpg://", "postgres://").replace("postgresql://", "postgres://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')  # a generated name, not input
    await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return f"{admin.rpartition('/')[0]}/{name}", drop


async def run(args: argparse.Namespace) -> int:
    tmp = tempfile.TemporaryDirectory(prefix="carnet-bench-forms-")
    cleanups: list[Callable[[], Awaitable[None]]] = []
    if args.database_url:
        carnet_url, drop_carnet = await pg_database(args.database_url)
        bare_url, drop_bare = await pg_database(args.database_url)
        cleanups += [drop_carnet, drop_bare]
        backend = "PostgreSQL (raw asyncpg pool of 10 for the baseline)"
    else:
        carnet_url = f"sqlite://{Path(tmp.name) / 'carnet.sqlite3'}"
        bare_url = f"sqlite://{Path(tmp.name) / 'bare.sqlite3'}"
        backend = "SQLite, WAL, synchronous=FULL (raw aiosqlite for the baseline)"
    failures = 0
    try:
        await prepare_carnet(carnet_url)
        carnet_port, bare_port = free_port(), free_port()
        carnet = await start(
            [*PROFILE, "-m", "app", "serve"], carnet_env(carnet_url, carnet_port), carnet_port
        )
        bare = await start(
            ["-m", "bench.forms", "--serve-bare", str(bare_port), bare_url], {}, bare_port
        )
        carnet_post = f"http://127.0.0.1:{carnet_port}/forms/{SLUG}"
        bare_post = f"http://127.0.0.1:{bare_port}/forms/{SLUG}"
        try:
            print(f"\nWeb form leads on {backend}")
            print(
                f"{args.connections} connections posting distinct visitors,"
                f" {args.seconds:.0f} s each\n"
            )
            await warm(carnet_post, "w")
            await warm(bare_post, "w")
            carnet_load = await closed_loop(carnet_post, args.connections, args.seconds, "c")
            bare_load = await closed_loop(bare_post, args.connections, args.seconds, "b")
            print(carnet_load.line("Carnet POST /forms/{slug}"))
            print(bare_load.line("bare aiohttp + one raw INSERT"))
            ratio = carnet_load.rate / bare_load.rate
            p99 = pct(carnet_load.latencies, 0.99)
            ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and not carnet_load.errors
            print(
                f"  Carnet ÷ bare throughput {ratio:.2f}; target >= {TARGET_RATIO:.2f} with p99 <="
                f" {TARGET_P99_MS:.0f} ms: {'ok' if ok else 'MISSES TARGET'}\n"
            )
            failures += not ok

            result = await burst(carnet_post, args.burst, args.burst_seconds, 0.1, "burst")
            counts = await count_burst(carnet_url, "burst")
            doubled = counts["email_channels"] - counts["distinct_emails"]
            lat = result["latencies"]
            print(
                f"Burst: {args.burst} leads in {args.burst_seconds:.0f} s ({result['posts']} posts"
                f" with the retries), answered in {result['elapsed']:.1f} s,"
                f" p50 {statistics.median(lat):.1f} ms, p99 {pct(lat, 0.99):.1f} ms,"
                f" statuses {result['statuses']}"
            )
            print(
                f"  stored {counts['submissions']} submissions ({counts['created']} created),"
                f" {counts['contacts']} contacts, {doubled} doubled,"
                f" {counts['alerts']} alerts queued"
            )
            burst_ok = (
                counts["submissions"] == counts["created"] == counts["contacts"] == args.burst
                and doubled == 0
                and counts["alerts"] == args.burst
            )
            print(f"  target {args.burst} / {args.burst} / 0 doubled / {args.burst} alerts:"
                  f" {'ok' if burst_ok else 'MISSES TARGET'}")  # fmt: skip
            failures += not burst_ok
        finally:
            await stop(carnet)
            await stop(bare)
    finally:
        for cleanup in cleanups:
            await cleanup()
        tmp.cleanup()
    return 1 if failures and args.strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--database-url", default="", help="postgres://... (default: SQLite)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve_bare(int(args.serve_bare[0]), args.serve_bare[1]))
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
