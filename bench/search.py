"""Search benchmark: the search use case vs the raw index query for the same text, same run.

Builds N demo contacts once (kept in bench/out/), then times a query mix (name prefix, four
digits from the middle of a phone typed differently, e-mail prefix, company word, no match) as
a staff member with "department" read scope and as an admin. Prints p50/p95 per query kind and
the ratio to the raw FTS/SQL query, and checks every query plan for a scan of `contact`.

    python -m bench.search [--contacts 1000000] [--samples 60] [--database-url URL]
"""

import argparse
import asyncio
import random
import re
import statistics
import time
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

import crm.search as search_module
from crm import config
from crm.actors import Actor, actor_for_staff
from crm.db import connection, dialect
from crm.demo import generate
from crm.rules.phones import query_digits
from crm.rules.text import words
from crm.search import search_contacts
from crm.setup import ensure_defaults
from models import Department, Role, Staff, StaffDepartment, StaffRole, tortoise_config
from models.enums import Level

OUT = Path(__file__).resolve().parent / "out"
TARGET_P95_MS = 10.0
TARGET_RATIO = 5.0


async def ensure_database(url: str, contacts: int) -> None:
    await migrate(config=tortoise_config(url))
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))
    await ensure_defaults()
    have = (
        await Staff.filter().count()
        and (await connection().execute_query_dict("SELECT COUNT(*) AS n FROM contact"))[0]["n"]
    )
    if have < contacts:
        print(f"building {contacts - have:,} demo contacts (once) ...", flush=True)
        stats = await generate(contacts - have)
        print(f"  done in {stats.seconds:.0f} s", flush=True)


async def actors() -> tuple[Actor, Actor]:
    admin, _ = await Staff.get_or_create(
        telegram_id=1, defaults={"name": "Bench admin", "is_admin": True}
    )
    paris = await Department.get(name="Sales Paris")
    member = await StaffDepartment.filter(department=paris).order_by("id").first()
    role, _ = await Role.get_or_create(
        name="bench department reader", defaults={"read_level": Level.DEPARTMENT}
    )
    await StaffRole.get_or_create(staff_id=member.staff_id, role=role)
    staff = await Staff.get(id=member.staff_id)
    return await actor_for_staff(staff), await actor_for_staff(admin)


async def samples(count: int, rng: random.Random) -> dict[str, list[str]]:
    top = (await connection().execute_query_dict("SELECT MAX(id) AS m FROM contact"))[0]["m"]
    ids = [rng.randrange(1, top + 1) for _ in range(count * 3)]
    params = ", ".join(str(i) for i in ids)  # integers generated here, not input
    rows = await connection().execute_query_dict(
        "SELECT c.id, c.last_name, c.search_phones,"
        " (SELECT value FROM channel WHERE contact_id = c.id AND kind = 'email' LIMIT 1) AS email"
        f" FROM contact c WHERE c.id IN ({params})"
    )
    titles = [
        r["title"]
        for r in await connection().execute_query_dict(
            "SELECT title FROM company ORDER BY id LIMIT 2000"
        )
    ]
    mix: dict[str, list[str]] = {k: [] for k in ("name", "phone", "email", "company", "none")}
    separators = (" ", "-", ".", "")
    for row in rows:
        mix["name"].append(words(row["last_name"])[0][:4])
        national = row["search_phones"].split()[-1]
        start = rng.randrange(2, len(national) - 5)
        part = national[start : start + 4]
        sep = rng.choice(separators)
        mix["phone"].append(f"{part[:2]}{sep}{part[2:]}")
        if row["email"]:
            mix["email"].append(row["email"][: rng.randrange(5, 9)])
        title_words = [w for w in words(rng.choice(titles)) if len(w) >= 3 and not w.isdigit()]
        mix["company"].append(title_words[0] if title_words else "group")
        mix["none"].append("zq" + "".join(rng.choice("xjkvw") for _ in range(6)))
    return {k: v[:count] for k, v in mix.items()}


def raw_sql(text: str) -> tuple[str, list]:
    """The bare index query for the same text (what the use case builds on)."""
    digits = query_digits(text)
    tokens = words(text)
    if dialect() == "sqlite":
        if digits:
            return (
                "SELECT rowid FROM contact_phone_fts WHERE contact_phone_fts MATCH ? LIMIT 21",
                [f'"{digits}"'],
            )
        return (
            "SELECT rowid FROM contact_fts WHERE contact_fts MATCH ? LIMIT 21",
            [" AND ".join(f'"{t}"*' for t in tokens)],
        )
    if digits:
        return "SELECT id FROM contact WHERE search_phones LIKE $1 LIMIT 21", [f"%{digits}%"]
    return (
        "SELECT id FROM contact WHERE search_tsv @@ to_tsquery('simple', $1) LIMIT 21",
        [" & ".join(f"{t}:*" for t in tokens)],
    )


class Capture:
    """Wraps the connection to record the SQL the use case sends (for the plan check)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, list]] = []
        self._real = search_module.connection

    def __enter__(self):
        real = self._real()
        capture = self

        class Proxy:
            async def execute_query_dict(self, sql, values=None):
                capture.queries.append((sql, values or []))
                return await real.execute_query_dict(sql, values)

        search_module.connection = lambda: Proxy()
        return self

    def __exit__(self, *exc):
        search_module.connection = self._real


async def plan_scans_contact(sql: str, values: list) -> str | None:
    """The plan step that reads `contact` other than by primary-key look-up, if any."""
    if dialect() == "sqlite":
        rows = await connection().execute_query_dict("EXPLAIN QUERY PLAN " + sql, values)
        for row in rows:
            detail = row["detail"].strip()
            # "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" is a look-up per FTS hit; "SCAN c"
            # or "SEARCH c USING INDEX idx_contact_deleted..." walk the table.
            reads_contact = detail.split(" ")[1:2] in (["c"], ["contact"])
            if reads_contact and "INTEGER PRIMARY KEY (rowid=?)" not in detail:
                return detail
        return None
    rows = await connection().execute_query_dict("EXPLAIN " + sql, values)
    for row in rows:
        line = row["QUERY PLAN"].strip()
        if re.search(r"Seq Scan on contact( |$)", line):
            return line
    return None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(args: argparse.Namespace) -> int:
    url = args.database_url or f"sqlite://{OUT / 'search.sqlite3'}"
    OUT.mkdir(exist_ok=True)
    config.configure(config.CoreConfig(default_phone_region="FR"))
    await ensure_database(url, args.contacts)
    n = (await connection().execute_query_dict("SELECT COUNT(*) AS n FROM contact"))[0]["n"]
    dept, admin = await actors()
    mix = await samples(args.samples, random.Random(args.seed))
    print(
        f"\n{n:,} contacts on {dialect()}; {args.samples} queries per kind; department actor"
        f" reaches {len(dept.reach.department_staff)} staff\n"
    )
    header = f"{'query':<8} {'actor':<11} {'p50 ms':>7} {'p95 ms':>7} {'raw p50':>8} {'raw p95':>8}"
    print(header + f" {'ratio p95':>9} {'hits':>5}  plan")
    failures = 0
    for kind, queries in mix.items():
        for label, actor in (("department", dept), ("admin", admin)):
            with Capture() as capture:
                await search_contacts(actor, queries[0])
            scan = None
            for sql, values in capture.queries:
                scan = scan or await plan_scans_contact(sql, values)
            for text in queries:  # one untimed pass so both sides start with a warm cache
                await search_contacts(actor, text)
                await connection().execute_query_dict(*raw_sql(text))
            use_case, raw, hits = [], [], 0
            for _ in range(args.repeat):
                for text in queries:
                    t0 = time.perf_counter()
                    page = await search_contacts(actor, text)
                    t1 = time.perf_counter()
                    sql, values = raw_sql(text)
                    await connection().execute_query_dict(sql, values)
                    t2 = time.perf_counter()
                    use_case.append((t1 - t0) * 1000)
                    raw.append((t2 - t1) * 1000)
                    hits += bool(page.items)
            p50, p95 = statistics.median(use_case), pct(use_case, 0.95)
            r50, r95 = statistics.median(raw), pct(raw, 0.95)
            ratio = p95 / r95 if r95 else float("inf")
            ok = p95 <= TARGET_P95_MS and ratio <= TARGET_RATIO and scan is None
            failures += not ok
            print(
                f"{kind:<8} {label:<11} {p50:7.2f} {p95:7.2f} {r50:8.2f} {r95:8.2f} {ratio:9.1f}"
                f" {hits * 100 // len(use_case):4d}%  {'SCAN: ' + scan if scan else 'index only'}"
                f"{'' if ok else '   <-- misses target'}"
            )
    print(f"\ntargets: p95 <= {TARGET_P95_MS} ms, <= {TARGET_RATIO}x raw p95, no scan of contact")
    await Tortoise.close_connections()
    return 1 if failures and args.strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
