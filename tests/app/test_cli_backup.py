"""`carnet backup` then `carnet restore`: the data at the time of the backup comes back, what
was written since is gone, and the database replaced is kept (SQLite) or refused (PostgreSQL
with tables, unless --force)."""

import asyncio
import os
import secrets
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.app.processes import carnet, ok, one_line_failure

TEST_DB_URL = os.environ.get("TEST_DB_URL", "")


def _contacts(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT COUNT(*) FROM contact").fetchone()[0])


@pytest.mark.own_database
def test_sqlite_round_trip_keeps_the_replaced_database(tmp_path):
    database = tmp_path / "data" / "carnet.sqlite3"
    ok(tmp_path, "db", "upgrade")
    ok(tmp_path, "demo-data", "20")
    assert ok(tmp_path, "backup", "monday.sqlite3").startswith(
        "backed up data/carnet.sqlite3 to monday.sqlite3 ("
    )
    ok(tmp_path, "demo-data", "7")  # written after the backup
    assert _contacts(database) == 27
    out = ok(tmp_path, "restore", "monday.sqlite3")
    assert out.startswith("restored data/carnet.sqlite3 from monday.sqlite3 (20 contacts)")
    assert "the previous database is kept as data/carnet.sqlite3.before-restore-" in out
    assert _contacts(database) == 20
    (kept,) = (tmp_path / "data").glob("carnet.sqlite3.before-restore-*")
    assert _contacts(kept) == 27
    assert "already up to date" in ok(tmp_path, "db", "upgrade")
    assert ok(tmp_path, "forms", "list").startswith("SLUG")


@pytest.mark.own_database
def test_sqlite_restore_on_a_new_machine_creates_the_database(tmp_path):
    ok(tmp_path, "db", "upgrade")
    ok(tmp_path, "staff", "add", "--telegram-id", "77", "--name", "Ann")
    ok(tmp_path, "backup", "copy.sqlite3")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.move(tmp_path / "copy.sqlite3", fresh / "copy.sqlite3")
    out = ok(fresh, "restore", "copy.sqlite3")
    assert out.strip() == "restored data/carnet.sqlite3 from copy.sqlite3 (0 contacts)"
    assert "Ann" in ok(fresh, "staff", "list")


def _is_postgres() -> bool:
    return TEST_DB_URL.startswith(("postgres://", "asyncpg://", "postgresql://"))


async def _admin(sql: str, url: str = TEST_DB_URL) -> int:
    import asyncpg

    connection = await asyncpg.connect(url.replace("asyncpg://", "postgres://", 1))
    try:
        if sql.startswith("SELECT"):
            return int(await connection.fetchval(sql))
        await connection.execute(sql)
        return 0
    finally:
        await connection.close()


@pytest.mark.skipif(not _is_postgres(), reason="PostgreSQL run only (TEST_DB_URL)")
@pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="pg_dump and pg_restore are not installed (postgresql-client)",
)
def test_postgresql_round_trip_refuses_a_database_with_tables_without_force(tmp_path):
    root = TEST_DB_URL.rpartition("/")[0].replace("asyncpg://", "postgres://", 1)
    names = [f"carnet_restore_{secrets.token_hex(4)}" for _ in range(2)]
    for name in names:  # generated above, not input
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    first, second = ({"DATABASE_URL": f"{root}/{name}"} for name in names)
    try:
        ok(tmp_path, "db", "upgrade", env=first)
        ok(tmp_path, "demo-data", "12", env=first)
        ok(tmp_path, "backup", "carnet.dump", env=first)
        ok(tmp_path, "demo-data", "5", env=first)  # written after the backup
        assert asyncio.run(_admin("SELECT COUNT(*) FROM contact", first["DATABASE_URL"])) == 17
        refused = one_line_failure(carnet(tmp_path, "restore", "carnet.dump", env=first))
        assert "already has" in refused and "--force" in refused
        ok(tmp_path, "restore", "carnet.dump", "--force", env=first)
        # Into an empty database (a new server): no --force needed.
        ok(tmp_path, "restore", "carnet.dump", env=second)
        for env in (first, second):
            count = asyncio.run(_admin("SELECT COUNT(*) FROM contact", env["DATABASE_URL"]))
            assert count == 12
            assert "already up to date" in ok(tmp_path, "db", "upgrade", env=env)
            demo = ok(tmp_path, "demo-data", "1", env=env)  # the ids go on after the restore
            assert demo.strip().startswith("added 1 contacts")
    finally:
        for name in names:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.skipif(not _is_postgres(), reason="PostgreSQL run only (TEST_DB_URL)")
def test_backup_on_postgresql_runs_pg_dump(tmp_path):
    url = TEST_DB_URL
    target = tmp_path / "carnet.dump"
    result = carnet(tmp_path, "backup", str(target), env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert "@" not in result.stdout  # no credentials printed
    again = carnet(tmp_path, "backup", str(target), env={"DATABASE_URL": url})
    assert again.returncode != 0 and "already exists" in again.stderr
