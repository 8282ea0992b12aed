"""Test fixtures: one real, migrated database per session (SQLite file or PostgreSQL), brought
back to its first-start state before each test (tests/database.py). Set
TEST_DB_URL=postgres://... to run the suite on PostgreSQL."""

import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import settings
from redis.asyncio import Redis
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from crm import config
from crm.actors import Actor, actor_for_staff, system_actor
from crm.setup import ensure_defaults
from models import Role, Staff, StaffDepartment, StaffRole, tortoise_config
from models.enums import Level
from tests.database import Template, empty_every_table, make_template

TEST_DB_URL = os.environ.get("TEST_DB_URL", "")

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (or pytest's --hypothesis-profile): `dev`,
# the default, tries a tenth of the examples each property test names; `moderate` a quarter, a
# few seconds more; `ci` (.ci/run) all of them, about a minute more of web form fuzzing per
# database. A test names its full count through `examples()`; one that names none gets the
# profile's max_examples.
PROFILE_SHARE = {"dev": 10, "moderate": 25, "ci": 100}  # per cent of each test's full count
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
for _name, _share in PROFILE_SHARE.items():
    settings.register_profile(_name, max_examples=_share)
settings.load_profile(PROFILE)


def examples(full: int) -> int:
    """How many examples a property test tries under the loaded profile: `full` under
    `ci`, a quarter under `moderate`, a tenth under `dev` (never fewer than ten)."""
    return max(10, full * settings.default.max_examples // 100)


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "asyncpg://", "postgresql://"))


# Fixtures through which a test reaches the suite's database (directly or via others).
DATABASE_FIXTURES = {"database_url", "_connected", "db"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that would only repeat themselves in the second half run once.

    `own_database`: they run `carnet` processes on SQLite files of their own (or need no
    database). They run in the SQLite half, or, when `make test` runs both halves
    (CARNET_BOTH_HALVES=1), in the half their marker names (`half="postgres"` for some, so the
    two halves take as long).

    `either_database`: they use the suite's database, but what they check does not depend on
    which one it is (a browser filling the form, the bot's link to Telegram). When both halves
    run, they run in the half their marker names; otherwise in the half that runs.

    A test that asks for no database fixture at all (pure rules, callback packing, the
    stand-in's own tests) cannot differ between the halves either: it runs in the SQLite half.
    """
    here = "postgres" if _is_postgres(TEST_DB_URL) else "sqlite"
    both = os.environ.get("CARNET_BOTH_HALVES") == "1"
    for item in items:
        own = item.get_closest_marker("own_database")
        either = item.get_closest_marker("either_database")
        if own is not None:
            home = own.kwargs.get("half", "sqlite") if both else "sqlite"
            reason = f"does not use the suite's database: runs once, in the {home} half"
        elif either is not None and both:
            home = either.kwargs.get("half", "sqlite")
            reason = f"the same on either database: runs once, in the {home} half"
        elif both and not DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            home = "sqlite"
            reason = "uses no database: runs once, in the sqlite half"
        else:
            continue
        if home != here:
            item.add_marker(pytest.mark.skip(reason=reason))


async def _create_pg_database(base_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"carnet_test_{secrets.token_hex(4)}"
    admin_url = base_url.replace("asyncpg://", "postgres://", 1)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')  # name is generated above, not input
        # A throwaway database: a commit need not wait for its WAL to reach the disk. What a
        # test can see (visibility, locks, order) is the same; only a crash could lose data.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    root, _, _ = base_url.rpartition("/")
    return f"{root}/{name}", name


async def _drop_pg_database(base_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base_url.replace("asyncpg://", "postgres://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh database with every real migration applied (FTS5 / pg_trgm included)."""
    if _is_postgres(TEST_DB_URL):
        url, name = await _create_pg_database(TEST_DB_URL)
        try:
            await migrate(config=tortoise_config(url))
            await Tortoise.close_connections()
            yield url
        finally:
            await Tortoise.close_connections()
            await _drop_pg_database(TEST_DB_URL, name)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite://{Path(tmp) / 'test.sqlite3'}"
            await migrate(config=tortoise_config(url))
            await Tortoise.close_connections()
            yield url


@pytest_asyncio.fixture(scope="session")
async def _connected(database_url: str) -> AsyncIterator[str]:
    await Tortoise.init(config=tortoise_config(database_url))
    yield database_url
    await Tortoise.close_connections()


@pytest_asyncio.fixture(scope="session")
async def _template(_connected: str) -> AsyncIterator[Template]:
    """The state every test starts from: no rows but the first-start defaults."""
    config.configure(config.CoreConfig(default_phone_region="FR"))
    await empty_every_table()
    await ensure_defaults()
    template = await make_template(_connected)
    yield template
    template.close()


@pytest_asyncio.fixture
async def db(_connected: str, _template: Template) -> AsyncIterator[str]:
    """An empty database with first-start defaults and the FR default phone region."""
    config.configure(config.CoreConfig(default_phone_region="FR"))
    await _template.restore()
    yield _connected


@pytest.fixture
def cli_actor() -> Actor:
    return system_actor("cli")


class StaffFactory:
    """Makes staff members with a role of chosen levels, in chosen departments."""

    def __init__(self) -> None:
        self._next = 1000

    async def __call__(
        self,
        name: str = "",
        *,
        level: Level | None = Level.ALL,
        levels: dict[str, Level] | None = None,
        departments: list[int] | None = None,
        admin: bool = False,
        active: bool = True,
    ) -> Staff:
        self._next += 1
        staff = await Staff.create(
            telegram_id=self._next,
            name=name or f"Staff {self._next}",
            is_admin=admin,
            is_active=active,
        )
        if levels or level is not None:
            all_levels = {
                f"{action}_level": (levels or {}).get(action, level or Level.NONE)
                for action in ("read", "add", "edit", "delete", "export", "import")
            }
            role = await Role.create(name=f"role-{self._next}", **all_levels)
            await StaffRole.create(staff=staff, role=role)
        for dept_id in departments or []:
            await StaffDepartment.create(staff=staff, department_id=dept_id)
        return staff


@pytest.fixture
def make_staff(db: str) -> StaffFactory:
    return StaffFactory()


async def actor_of(staff: Staff) -> Actor:
    return await actor_for_staff(await Staff.get(id=staff.id))


@pytest_asyncio.fixture
async def redis_url() -> str:
    """The tests' Redis (TEST_REDIS_URL); the test is skipped when it does not answer, and
    fails instead with CARNET_REQUIRE_REDIS=1 (as CI runs)."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = Redis.from_url(url)
    try:
        await client.ping()
    except OSError:
        if os.environ.get("CARNET_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not answering at {url} and CARNET_REQUIRE_REDIS=1")
        pytest.skip(f"Redis is not answering at {url}")
    finally:
        await client.aclose()
    return url
