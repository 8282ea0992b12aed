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


@pytest.mark.own_database
def test_a_backup_is_a_standalone_file_not_in_wal_mode(tmp_path):
    """The live database is in WAL mode; a backup that kept it would grow -wal and -shm files
    as soon as it is opened, and would not open from read-only media."""
    ok(tmp_path, "db", "upgrade")
    ok(tmp_path, "backup", "b.sqlite3")
    backup = sqlite3.connect(tmp_path / "b.sqlite3")
    try:
        assert backup.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert backup.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 0
    finally:
        backup.close()
    assert sorted(p.name for p in tmp_path.glob("b.sqlite3*")) == ["b.sqlite3"]
    with sqlite3.connect(tmp_path / "data" / "carnet.sqlite3") as live:
        assert live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # left as it was


@pytest.mark.own_database
def test_restore_moves_a_damaged_database_aside_and_restores(tmp_path):
    """A damaged database is when a restore is wanted: it cannot be copied page by page, so it
    is moved aside whole (with its -wal), under the same name a copy would have had."""
    database = tmp_path / "data" / "carnet.sqlite3"
    ok(tmp_path, "db", "upgrade")
    ok(tmp_path, "demo-data", "4")
    ok(tmp_path, "backup", "good.sqlite3")
    database.write_bytes(b"not a database" * 100)
    (tmp_path / "data" / "carnet.sqlite3-wal").write_bytes(b"stale")
    out = ok(tmp_path, "restore", "good.sqlite3")
    assert out.startswith("restored data/carnet.sqlite3 from good.sqlite3 (4 contacts)")
    assert "the previous database is moved, as it cannot be read whole, as data/carnet" in out
    assert _contacts(database) == 4
    (kept,) = (tmp_path / "data").glob("carnet.sqlite3.before-restore-*[0-9Z]")
    assert kept.read_bytes() == b"not a database" * 100
    assert kept.with_name(kept.name + "-wal").read_bytes() == b"stale"
    assert ok(tmp_path, "forms", "list").startswith("SLUG")


@pytest.mark.own_database
def test_restore_refuses_while_carnet_serve_holds_the_database(tmp_path, monkeypatch):
    from app.database import DatabaseInUseError, serving_lock
    from app.settings import Settings

    ok(tmp_path, "db", "upgrade")
    ok(tmp_path, "backup", "b.sqlite3")
    monkeypatch.chdir(tmp_path)  # the same relative path as the processes'
    settings = Settings(database_url="sqlite://data/carnet.sqlite3")
    with serving_lock(settings):
        refused = one_line_failure(carnet(tmp_path, "restore", "b.sqlite3"))
        assert refused == (
            f"carnet: carnet serve is running on data/carnet.sqlite3 (pid {os.getpid()});"
            " stop it first"
        )
        with pytest.raises(DatabaseInUseError), serving_lock(settings):  # a second serve
            pass
    assert not list((tmp_path / "data").glob("*before-restore*"))
    assert ok(tmp_path, "restore", "b.sqlite3").startswith("restored")  # once it has stopped


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
@pytest.mark.slow
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


@pytest.mark.skipif(not _is_postgres(), reason="PostgreSQL run only (TEST_DB_URL)")
@pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="pg_dump and pg_restore are not installed (postgresql-client)",
)
@pytest.mark.slow
def test_postgresql_restore_is_whole_or_nothing_and_checks_the_archive_first(tmp_path):
    root = TEST_DB_URL.rpartition("/")[0].replace("asyncpg://", "postgres://", 1)
    names = [f"carnet_restore_{secrets.token_hex(4)}" for _ in range(2)]
    for name in names:  # generated above, not input
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    first, empty = ({"DATABASE_URL": f"{root}/{name}"} for name in names)
    url = first["DATABASE_URL"]
    tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
    try:
        ok(tmp_path, "db", "upgrade", env=first)
        ok(tmp_path, "demo-data", "3", env=first)
        ok(tmp_path, "backup", "good.dump", env=first)
        ok(tmp_path, "demo-data", "2", env=first)
        # A view of the user's on `contact`: pg_restore --clean cannot drop the table, and
        # fails part-way. In one transaction, what it dropped before that comes back.
        asyncio.run(_admin("CREATE VIEW kept_view AS SELECT id FROM contact", url))
        before = asyncio.run(_admin(tables, url))
        failed = one_line_failure(carnet(tmp_path, "restore", "good.dump", "--force", env=first))
        assert failed.startswith("carnet: pg_restore failed: ")
        assert asyncio.run(_admin(tables, url)) == before
        assert asyncio.run(_admin("SELECT COUNT(*) FROM contact", url)) == 5
        asyncio.run(_admin("DROP VIEW kept_view", url))

        async def restore_while_connected() -> str:
            import asyncpg

            serving = await asyncpg.connect(url)
            try:
                command = ["restore", "good.dump", "--force"]
                return one_line_failure(
                    await asyncio.to_thread(carnet, tmp_path, *command, env=first)
                )
            finally:
                await serving.close()

        busy = asyncio.run(restore_while_connected())
        assert busy.endswith("(is carnet serve running?); stop them first")
        assert "1 other session is connected to 127.0.0.1:5432/carnet_restore_" in busy

        asyncio.run(
            _admin(
                "INSERT INTO tortoise_migrations (app, name, applied_at)"
                " VALUES ('models', '9999_future', now())",
                url,
            )
        )
        ok(tmp_path, "backup", "future.dump", env=first)
        newer = one_line_failure(carnet(tmp_path, "restore", "future.dump", env=empty))
        assert newer == (
            "carnet: future.dump was made by a newer Carnet (migrations models.9999_future);"
            " upgrade first"
        )
        ok(tmp_path, "backup", "empty.dump", env=empty)  # a database, but not Carnet's
        foreign = one_line_failure(carnet(tmp_path, "restore", "empty.dump", "--force", env=first))
        assert foreign == (
            "carnet: empty.dump is not a Carnet database"
            " (no contact, staff, tortoise_migrations, web_form table)"
        )
        assert asyncio.run(_admin("SELECT COUNT(*) FROM contact", url)) == 5
        assert asyncio.run(_admin(tables, root + "/" + names[1])) == 0
    finally:
        for name in names:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
