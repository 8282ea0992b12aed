"""Migrations: committed for every model change, and working forward and backward for real."""

import tempfile
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from models import tortoise_config
from tests.conftest import TEST_DB_URL, _create_pg_database, _drop_pg_database, _is_postgres

SEARCH_OBJECTS = {
    "sqlite": (
        "SELECT name FROM sqlite_master WHERE name IN"
        " ('contact_fts', 'contact_phone_fts', 'contact_search_ai')"
    ),
    "postgres": (
        "SELECT indexname AS name FROM pg_indexes WHERE indexname IN"
        " ('contact_search_tsv_idx', 'contact_search_phones_trgm_idx')"
    ),
}


async def test_every_model_change_has_a_migration():
    apps = tortoise_config("sqlite://:memory:")["apps"]
    async with TortoiseContext() as ctx:
        await ctx.init(config={"connections": {"default": "sqlite://:memory:"}, "apps": apps})
        changes = await MigrationAutodetector(ctx.apps, apps).changes()
    assert not changes, "models changed without a migration: run `make migration NAME=...`"


async def _search_objects(url: str) -> set[str]:
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        conn = ctx.db()
        rows = await conn.execute_query_dict(SEARCH_OBJECTS[conn.capabilities.dialect])
        await conn.close()
    return {r["name"] for r in rows}


async def _up_down_up(url: str) -> None:
    async with TortoiseContext():
        await migrate(config=tortoise_config(url))
        await Tortoise.close_connections()
    assert len(await _search_objects(url)) >= 2
    async with TortoiseContext():
        await migrate(config=tortoise_config(url), target="models.0001_initial")
        await Tortoise.close_connections()
    assert await _search_objects(url) == set()
    async with TortoiseContext():
        await migrate(config=tortoise_config(url))
        await Tortoise.close_connections()
    assert len(await _search_objects(url)) >= 2


@pytest.mark.slow
async def test_migrations_run_forward_backward_and_forward_on_a_fresh_database(_connected):
    if _is_postgres(TEST_DB_URL):
        url, name = await _create_pg_database(TEST_DB_URL)
        try:
            await _up_down_up(url)
        finally:
            await _drop_pg_database(TEST_DB_URL, name)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            await _up_down_up(f"sqlite://{Path(tmp) / 'fresh.sqlite3'}")
