"""Realistic French and English demo data, written in batches fast enough for a million contacts.

Rows are built with the same pure rules as the use cases (folded search words, duplicate name
keys, phone digit forms) and written with parameterised bulk inserts, because per-row ORM calls
would take an hour for 1,000,000 contacts (STACK.md §7).
"""

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from tortoise.transactions import in_transaction

from crm.db import Params, connection, dialect
from crm.rules.text import fold, name_key, search_text
from models import (
    Activity,
    Company,
    Contact,
    ContactDeal,
    ContactType,
    Deal,
    Department,
    Source,
    Staff,
    StaffDepartment,
)

BATCH = 5000
LOCALES = ("fr_FR", "en_GB", "en_US")
POOL = 400
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "outlook.com", "yahoo.co.uk", "laposte.net")
INDUSTRIES = ("Retail", "Manufacturing", "IT", "Finance", "Logistics", "Consulting", "Health")
STAGES = ("new", "qualified", "proposal", "won", "lost")
DEMO_STAFF_BASE = 9_000_000_000  # Telegram ids no real user has; demo staff are not reachable


@dataclass(frozen=True, slots=True)
class DemoStats:
    contacts: int
    companies: int
    deals: int
    activities: int
    seconds: float


@dataclass(frozen=True, slots=True)
class _Pools:
    first: dict[str, list[str]]
    last: dict[str, list[str]]
    companies: dict[str, list[str]]


def _pools(seed: int) -> _Pools:
    first: dict[str, list[str]] = {}
    last: dict[str, list[str]] = {}
    companies: dict[str, list[str]] = {}
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        first[locale] = list({fake.first_name() for _ in range(POOL)})
        last[locale] = list({fake.last_name() for _ in range(POOL)})
        companies[locale] = list({fake.company() for _ in range(POOL)})
    return _Pools(first, last, companies)


def _phone(rng: random.Random, locale: str) -> tuple[str, str, str]:
    """(as typed, E.164, national digits) for a valid mobile number of the locale's country.

    The national forms follow the numbering plans (FR/GB: trunk 0 + number; US: 10 digits);
    tests check them against phonenumbers for a sample.
    """
    if locale == "fr_FR":
        rest = f"{rng.randrange(10**8):08d}"
        prefix = rng.choice("67")
        typed = f"0{prefix} {rest[0:2]} {rest[2:4]} {rest[4:6]} {rest[6:8]}"
        return typed, f"+33{prefix}{rest}", f"0{prefix}{rest}"
    if locale == "en_GB":
        rest = f"{rng.randrange(10**8):08d}"
        typed = f"+44 7{rest[0]}{rest[1:3]} {rest[3:]}"
        return typed, f"+447{rest}", f"07{rest}"
    area = rng.choice(("201", "212", "415", "617", "312"))
    line = f"{rng.randrange(200, 1000):03d}{rng.randrange(10**4):04d}"
    typed = f"({area}) {line[:3]}-{line[3:]}"
    return typed, f"+1{area}{line}", f"{area}{line}"


async def _ensure_staff() -> list[int]:
    """Demo departments and staff (Sales > Sales Paris, Sales London; Support) if there are none."""
    existing = await Staff.filter(telegram_id__gte=DEMO_STAFF_BASE).values_list("id", flat=True)
    if existing:
        return list(existing)
    sales = await Department.create(name="Sales")
    paris = await Department.create(name="Sales Paris", parent=sales)
    london = await Department.create(name="Sales London", parent=sales)
    support = await Department.create(name="Support")
    ids = []
    for index, dept in enumerate([sales, paris, paris, paris, london, london, london, support] * 2):
        staff = await Staff.create(
            telegram_id=DEMO_STAFF_BASE + index,
            name=f"Demo staff {index + 1}",
            language="fr" if dept is paris else "en",
        )
        await StaffDepartment.create(staff=staff, department=dept)
        ids.append(staff.id)
    return ids


async def _next_id(table_model) -> int:
    last = await table_model.all().order_by("-id").first().values_list("id", flat=True)
    return (last or 0) + 1


def _contact_rows(
    start_id: int,
    count: int,
    rng: random.Random,
    pools: _Pools,
    staff_ids: list[int],
    type_ids: list[int],
    source_ids: list[int],
    company_ids: list[int],
    company_titles: dict[int, str],
    now: datetime,
):
    contacts, channels, links, history = [], [], [], []
    for offset in range(count):
        contact_id = start_id + offset
        locale = rng.choice(LOCALES)
        first = rng.choice(pools.first[locale])
        last = rng.choice(pools.last[locale])
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 730))
        emails, phones = [], []
        company_id = rng.choice(company_ids) if company_ids and rng.random() < 0.6 else None
        for _ in range(1 if rng.random() < 0.75 else 2):
            typed, e164, national = _phone(rng, locale)
            phones.append((typed, e164, national))
        if rng.random() < 0.85:
            local = ".".join(fold(p).replace(" ", "") for p in (first, last))
            emails.append(f"{local}{rng.randrange(100)}@{rng.choice(DOMAINS)}")
        titles = [company_titles[company_id]] if company_id else []
        text = search_text([first, last], emails, titles)
        digits = " ".join(dict.fromkeys(k for _, e164, nat in phones for k in (e164[1:], nat)))
        contacts.append(
            [
                contact_id,
                first,
                last,
                rng.choice(type_ids),
                rng.choice(source_ids),
                rng.choice(staff_ids),
                rng.random() < 0.1,
                True,
                created,
                created,
                1,
                text,
                digits,
                name_key(first, last),
            ]
        )
        for sort, (typed, e164, _) in enumerate(phones):
            channels.append([contact_id, "phone", "MOBILE", typed, e164, sort == 0, sort])
        for sort, email in enumerate(emails):
            channels.append([contact_id, "email", "WORK", email, email, sort == 0, sort])
        if company_id:
            links.append([contact_id, company_id, True])
        history.append(["contact", contact_id, created, "demo data", "created", f"{first} {last}"])
    return contacts, channels, links, history


def _insert(table: str, columns: list[str], dialect_name: str) -> str:
    params = Params(dialect_name)
    placeholders = ", ".join(params(None) for _ in columns)
    # Table and column names are the constants above; values are parameters.
    return f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})'


CONTACT_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "type_id",
    "source_id",
    "responsible_id",
    "opened",
    "include_in_export",
    "created_at",
    "updated_at",
    "version",
    "search_text",
    "search_phones",
    "name_key",
]
CHANNEL_COLUMNS = ["contact_id", "kind", "value_type", "value", "normalized", "is_primary", "sort"]
LINK_COLUMNS = ["contact_id", "company_id", "is_primary"]
HISTORY_COLUMNS = ["entity", "entity_id", "at", "actor_label", "kind", "after"]


async def generate(
    count: int, *, seed: int = 7, progress: Callable[[int], None] | None = None
) -> DemoStats:
    """Add `count` contacts with companies, deals and activities; returns what was made."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    rng = random.Random(seed)
    pools = await asyncio.to_thread(_pools, seed)
    staff_ids = await _ensure_staff()
    type_ids: list[Any] = list(await ContactType.all().values_list("id", flat=True)) or [None]
    source_ids: list[Any] = list(await Source.all().values_list("id", flat=True)) or [None]
    now = datetime.now(UTC)
    company_count = max(1, count // 20)
    companies = [
        Company(
            title=title,
            title_key=" ".join(fold(title).split()),
            industry=rng.choice(INDUSTRIES),
            responsible_id=rng.choice(staff_ids),
        )
        for title in (
            f"{rng.choice(pools.companies[rng.choice(LOCALES)])} {i}" for i in range(company_count)
        )
    ]
    first_company = await _next_id(Company)
    await Company.bulk_create(companies, batch_size=1000)
    company_rows = await Company.filter(id__gte=first_company).values_list("id", "title")
    company_titles = dict(company_rows)
    company_ids = list(company_titles)
    name = dialect()
    sql = {
        "contact": _insert("contact", CONTACT_COLUMNS, name),
        "channel": _insert("channel", CHANNEL_COLUMNS, name),
        "contact_company": _insert("contact_company", LINK_COLUMNS, name),
        "history_entry": _insert("history_entry", HISTORY_COLUMNS, name),
    }
    next_id = await _next_id(Contact)
    first_contact = next_id
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        rows = await asyncio.to_thread(
            _contact_rows,
            next_id,
            size,
            rng,
            pools,
            staff_ids,
            type_ids,
            source_ids,
            company_ids,
            company_titles,
            now,
        )
        async with in_transaction() as conn:
            for table, batch in zip(sql, rows, strict=True):
                if batch:
                    await conn.execute_many(sql[table], batch)
        next_id += size
        done += size
        if progress:
            progress(size)
    if name != "sqlite":
        await connection().execute_script(
            "SELECT setval(pg_get_serial_sequence('contact', 'id'), (SELECT MAX(id) FROM contact))"
        )
    # Fresh planner statistics, as after a real import: SQLite's planner has none until ANALYZE.
    await connection().execute_script("ANALYZE")
    deals, activities = await _deals_and_activities(
        rng, first_contact, next_id, staff_ids, count, now
    )
    return DemoStats(count, company_count, deals, activities, loop.time() - started)


async def _deals_and_activities(
    rng: random.Random, first: int, end: int, staff_ids: list[int], count: int, now: datetime
) -> tuple[int, int]:
    deal_count = count // 10
    activity_count = count // 10
    if not count:
        return 0, 0
    deals = [
        Deal(
            title=f"Deal {i + 1}",
            stage=rng.choice(STAGES),
            amount=Decimal(rng.randrange(100, 100_000)),
            currency="EUR",
            responsible_id=rng.choice(staff_ids),
        )
        for i in range(deal_count)
    ]
    first_deal = await _next_id(Deal)
    await Deal.bulk_create(deals, batch_size=1000)
    deal_ids = list(await Deal.filter(id__gte=first_deal).values_list("id", flat=True))
    await ContactDeal.bulk_create(
        [ContactDeal(contact_id=rng.randrange(first, end), deal_id=d) for d in deal_ids],
        batch_size=1000,
        ignore_conflicts=True,
    )
    await Activity.bulk_create(
        [
            Activity(
                kind=rng.choice(("call", "meeting", "task")),
                subject="Follow-up",
                start_at=now + timedelta(hours=rng.randrange(-500, 500)),
                responsible_id=rng.choice(staff_ids),
                contact_id=rng.randrange(first, end),
            )
            for _ in range(activity_count)
        ],
        batch_size=1000,
    )
    return deal_count, activity_count
