"""Web form benchmark: a real `carnet serve` beside the bare stack doing the same work, in the
same run (issue 12's targets; medians of several runs go in the README).

1. Intake: `--connections` clients each posting a new visitor to `POST /forms/{slug}` as soon
   as the last answer came (JSON with the form's API key), for `--seconds`, while the worker
   processes what comes in; beside a bare aiohttp handler that inserts one row with the raw
   driver and commits (aiosqlite in WAL with synchronous=FULL, Tortoise's default; or asyncpg
   with a pool of 10). Target: at least half the bare requests per second, p99 <= 50 ms.
2. Processing: `--queue` submissions stored as received (as the intake stores them) before
   any process runs, then one `carnet serve` (and, on PostgreSQL, two) drains them; the
   sustained rate is measured between 5% and 95% of the queue. Targets: 150 leads/s on
   SQLite; two PostgreSQL processes at least 1.5x one.
3. Burst: `--burst` leads in `--burst-seconds`, a tenth of them posted twice at once with one
   Idempotency-Key: every post answered within 11 s; all stored once, processed and alerted
   (outbox rows) within 30 s; none lost, none doubled.
4. Latency: 10 leads a second for `--latency-seconds`; p95 from stored (received_at) to alert
   queued (the outbox row's created_at) at most 1 s.

The servers run in their own processes (uvloop, as `carnet serve` does); the load runs here.
On PostgreSQL (`--database-url postgres://...`) throwaway databases are created beside it.

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
from datetime import UTC, datetime
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
RUN_BASE = {
    "w": 0,
    "c": 10_000_000,
    "b": 20_000_000,
    "burst": 30_000_000,
    "q1": 40_000_000,
    "q2": 50_000_000,
    "lat": 60_000_000,
}


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


# --- measures ---------------------------------------------------------------------------------


ACCEPTED = (201, 202)  # 202: stored, processed next; 201 was the synchronous contract


@dataclass
class Load:
    rate: float
    latencies: list[float]
    errors: dict[int, int]

    def line(self, label: str) -> str:
        p50, p99 = statistics.median(self.latencies), pct(self.latencies, 0.99)
        errors = f"   not accepted: {self.errors}" if self.errors else ""
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
                if response.status not in ACCEPTED:
                    errors[response.status] = errors.get(response.status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return Load(len(latencies) / elapsed, latencies, errors)


async def warm(url: str, run: str) -> None:
    await closed_loop(url, 4, 1.0, run)


async def open_loop(
    url: str, total: int, seconds: float, retried: float, run: str
) -> dict[str, Any]:
    """`total` leads spread evenly over `seconds`; a share `retried` of them is posted twice at
    once with one Idempotency-Key, as a flaky network would."""
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


class Database:
    """Carnet's database, read from here while the servers run."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")

    async def __aenter__(self) -> "Database":
        from models import tortoise_config

        await Tortoise.init(config=tortoise_config(self.url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await Tortoise.close_connections()

    async def waiting(self) -> int:
        """Submissions stored and not processed yet."""
        from models import FormSubmission

        return await FormSubmission.filter(status="received").count()

    async def drained(self, within: float) -> float | None:
        """Seconds until nothing waits (polled), None if something still waits after `within`."""
        began = time.perf_counter()
        while time.perf_counter() - began < within:
            if not await self.waiting():
                return time.perf_counter() - began
            await asyncio.sleep(0.1)
        return None

    async def enqueue(self, count: int, run: str) -> None:
        """`count` submissions stored as received, as the intake stores a valid post."""
        from crm.rules.webforms import raw_payload
        from models import FormSubmission, WebForm

        form = await WebForm.get(slug=SLUG)
        rows = [
            FormSubmission(
                form_id=form.id,
                payload=raw_payload(visitor(n, run)),
                utm={},
                idempotency_key=f"api:{run}-{n}",  # as the adapter stores a key
                caller="api",
                status="received",
            )
            for n in range(count)
        ]
        await FormSubmission.bulk_create(rows, batch_size=1000)

    def _submission_of_alert(self) -> str:
        if self.sqlite:
            return "CAST(json_extract(o.payload, '$.submission_id') AS INTEGER)"
        return "CAST(o.payload->>'submission_id' AS INTEGER)"

    async def outcome(self, run: str) -> dict[str, int]:
        """What a run's posts left: submissions, their outcomes, contacts, doubles, alerts."""
        from crm.db import connection
        from models import Contact, FormSubmission

        param = "?" if self.sqlite else "$1"
        # Keys are stored under the kind of caller: "api:burst-17".
        runs = FormSubmission.filter(idempotency_key__startswith=f"api:{run}-")
        # Doubled: two e-mail channels (of live contacts) with the same address.
        rows = await connection().execute_query_dict(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT ch.normalized) AS emails FROM channel ch"
            " JOIN contact c ON c.id = ch.contact_id AND c.deleted_at IS NULL"
            f" WHERE ch.kind = 'email' AND ch.normalized LIKE {param}",
            [f"v{run}%@bench.example"],
        )
        contact_ids = await runs.values_list("contact_id", flat=True)
        alerts = await connection().execute_query_dict(
            "SELECT COUNT(*) AS n FROM outbox_message o JOIN form_submission s"
            f" ON s.id = {self._submission_of_alert()}"
            f" WHERE o.kind = 'lead' AND s.idempotency_key LIKE {param}",
            [f"api:{run}-%"],
        )
        return {
            "submissions": await runs.count(),
            "created": await runs.filter(status="created").count(),
            "contacts": await Contact.filter(id__in=[c for c in contact_ids if c]).count(),
            "doubled": int(rows[0]["n"]) - int(rows[0]["emails"]),
            "alerts": int(alerts[0]["n"]),
        }

    async def alert_delays(self, run: str) -> list[float]:
        """Milliseconds from each of a run's submissions stored to its alert queued."""
        from crm.db import connection

        param = "?" if self.sqlite else "$1"
        rows = await connection().execute_query_dict(
            "SELECT s.received_at AS stored, o.created_at AS queued FROM outbox_message o"
            f" JOIN form_submission s ON s.id = {self._submission_of_alert()}"
            f" WHERE o.kind = 'lead' AND s.idempotency_key LIKE {param}",
            [f"api:{run}-%"],
        )
        return [
            (_instant(r["queued"]) - _instant(r["stored"])).total_seconds() * 1000 for r in rows
        ]


def _instant(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands the text back
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def drain_rate(database: Database, total: int, within: float) -> float | None:
    """Leads per second while a full queue drains, between 5% and 95% of it (the processes'
    start and the last stragglers left out); None if it did not drain within `within`."""
    began = time.perf_counter()
    samples: list[tuple[float, int]] = []
    while time.perf_counter() - began < within:
        waiting = await database.waiting()
        samples.append((time.perf_counter(), waiting))
        if not waiting:
            break
        await asyncio.sleep(0.05)
    else:
        return None
    inside = [(t, w) for t, w in samples if total * 0.05 <= w <= total * 0.95]
    if len(inside) < 2:
        return total / (samples[-1][0] - samples[0][0])
    (t0, w0), (t1, w1) = inside[0], inside[-1]
    return (w0 - w1) / (t1 - t0)


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


@dataclass
class Bench:
    """One run's databases and what it found."""

    args: argparse.Namespace
    carnet_url: str
    bare_url: str
    postgres: bool
    failures: int = 0

    def verdict(self, ok: bool) -> str:
        self.failures += not ok
        return "ok" if ok else "MISSES TARGET"


async def processing(bench: Bench) -> None:
    """A full queue drained by one process (and two on PostgreSQL)."""
    total = bench.args.queue
    rates: dict[int, float | None] = {}
    for processes in (1, 2) if bench.postgres else (1,):
        run = f"q{processes}"
        async with Database(bench.carnet_url) as database:
            await database.enqueue(total, run)
            ports = [free_port() for _ in range(processes)]
            starting = [
                asyncio.ensure_future(
                    start([*PROFILE, "-m", "app", "serve"], carnet_env(bench.carnet_url, p), p)
                )
                for p in ports
            ]
            rates[processes] = await drain_rate(database, total, within=300)
            servers = await asyncio.gather(*starting)
            outcome = await database.outcome(run)
        for server in servers:
            await stop(server)
        rate = rates[processes]
        shown = f"{rate:6.0f} leads/s" if rate else "did not drain in 300 s"
        label = "1 process   " if processes == 1 else f"{processes} processes"
        print(
            f"  {label}: {shown}   ({outcome['created']} created,"
            f" {outcome['doubled']} doubled, {outcome['alerts']} alerts)"
        )
        complete = outcome["created"] == outcome["alerts"] == total and not outcome["doubled"]
        if not complete:
            bench.verdict(False)
    one = rates[1] or 0.0
    if bench.postgres:
        two = rates[2] or 0.0
        ratio = two / one if one else 0.0
        print(f"  two processes ÷ one {ratio:.2f}; target >= 1.5: {bench.verdict(ratio >= 1.5)}\n")
    else:
        print(f"  target >= 150 leads/s: {bench.verdict(one >= 150)}\n")


async def intake(bench: Bench, carnet_post: str, bare_post: str) -> None:
    args = bench.args
    print(f"Intake: {args.connections} connections posting distinct visitors, {args.seconds:.0f} s")
    await warm(carnet_post, "w")
    carnet = await closed_loop(carnet_post, args.connections, args.seconds, "c")
    async with Database(bench.carnet_url) as database:
        # The worker's backlog is drained before the bare run, so that it does not share the
        # CPU with the baseline.
        waiting = await database.waiting()
        drained = await database.drained(within=600)
    await warm(bare_post, "w")
    bare = await closed_loop(bare_post, args.connections, args.seconds, "b")
    print(carnet.line("Carnet POST /forms/{slug}"))
    print(bare.line("bare aiohttp + one raw INSERT"))
    after = f"{drained:.1f} s" if drained is not None else "more than 600 s"
    print(f"  left {waiting} leads to process when the load stopped, processed {after} later")
    ratio = carnet.rate / bare.rate
    p99 = pct(carnet.latencies, 0.99)
    ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and not carnet.errors
    print(
        f"  Carnet ÷ bare throughput {ratio:.2f}; target >= {TARGET_RATIO:.2f} with p99 <="
        f" {TARGET_P99_MS:.0f} ms: {bench.verdict(ok)}\n"
    )


async def burst(bench: Bench, carnet_post: str) -> None:
    args = bench.args
    began = time.perf_counter()
    result = await open_loop(carnet_post, args.burst, args.burst_seconds, 0.1, "burst")
    answered = time.perf_counter() - began
    async with Database(bench.carnet_url) as database:
        while True:
            outcome = await database.outcome("burst")
            settled = time.perf_counter() - began
            if outcome["alerts"] >= args.burst or settled > 30:
                break
            await asyncio.sleep(0.2)
    lat = result["latencies"]
    print(
        f"Burst: {args.burst} leads in {args.burst_seconds:.0f} s ({result['posts']} posts with"
        f" the retries): last answer after {answered:.1f} s, p50 {statistics.median(lat):.1f} ms,"
        f" p99 {pct(lat, 0.99):.1f} ms, statuses {result['statuses']}"
    )
    print(
        f"  after {settled:.1f} s: {outcome['submissions']} submissions stored,"
        f" {outcome['created']} created, {outcome['contacts']} contacts,"
        f" {outcome['doubled']} doubled, {outcome['alerts']} alerts queued"
    )
    accepted = sum(n for status, n in result["statuses"].items() if status in ACCEPTED)
    ok = (
        answered <= args.burst_seconds + 1
        and accepted == result["posts"]
        and outcome["submissions"] == outcome["created"] == outcome["contacts"] == args.burst
        and outcome["alerts"] == args.burst
        and not outcome["doubled"]
        and settled <= 30
    )
    print(
        f"  target: answered within {args.burst_seconds + 1:.0f} s, {args.burst} stored once,"
        f" processed and alerted within 30 s, 0 doubled: {bench.verdict(ok)}\n"
    )


async def latency(bench: Bench, carnet_post: str) -> None:
    seconds = bench.args.latency_seconds
    await open_loop(carnet_post, int(10 * seconds), seconds, 0.0, "lat")
    async with Database(bench.carnet_url) as database:
        await database.drained(within=60)
        delays = await database.alert_delays("lat")
    if not delays:
        print(f"Latency: no alert queued: {bench.verdict(False)}\n")
        return
    p50, p95 = statistics.median(delays), pct(delays, 0.95)
    print(
        f"Latency at 10 leads/s for {seconds:.0f} s: stored to alert queued p50 {p50:.0f} ms,"
        f" p95 {p95:.0f} ms, max {max(delays):.0f} ms ({len(delays)} alerts);"
        f" target p95 <= 1000 ms: {bench.verdict(p95 <= 1000)}\n"
    )


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
    bench = Bench(args, carnet_url, bare_url, postgres=bool(args.database_url))
    try:
        await prepare_carnet(carnet_url)
        print(f"\nWeb form leads on {backend}\n")
        print(f"Processing: {args.queue} leads stored, then drained")
        await processing(bench)
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
            await intake(bench, carnet_post, bare_post)
            await burst(bench, carnet_post)
            await latency(bench, carnet_post)
        finally:
            await stop(carnet)
            await stop(bare)
    finally:
        for cleanup in cleanups:
            await cleanup()
        tmp.cleanup()
    print(f"{bench.failures} target(s) missed" if bench.failures else "every target met")
    return 1 if bench.failures and args.strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--queue", type=int, default=3000, help="leads drained by processing")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--latency-seconds", type=float, default=20)
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
