"""The clean database every test starts from, restored in one step instead of rebuilt.

The session migrates its database once, fills in the first-start defaults once, and keeps that
state as a template. Before each test the template comes back whole: every table as it was
(the default rows with their ids, nothing else), the ids to be handed out next (sqlite_sequence
or the PostgreSQL sequences), and on SQLite the search index. Emptying every table, rebuilding
the index and reseeding the defaults before each test took about nine tenths of a core test's
time; a restore takes a few milliseconds. tests/test_database_fixture.py checks that the two
give the same database. (The old reset left SQLite's sqlite_sequence alone, so on SQLite ids
went on climbing from test to test; they now start at 1 in every test, as on PostgreSQL.)
"""

import sqlite3

from crm.db import connection, dialect

# Tables a restore leaves alone: the migration recorder (the schema does not change in a test).
KEEP_TABLES = {"tortoise_migrations"}
TEMPLATE_SCHEMA = "carnet_test_template"


# A throwaway database: a commit need not wait for the disk. What a test can see (visibility,
# locks, order) is the same; only a crash could lose data.
SQLITE_SYNCHRONOUS = "PRAGMA synchronous = OFF"


class SqliteTemplate:
    """An in-memory copy of the database file, copied back page by page with SQLite's backup
    API through a connection of its own (Tortoise's sees the new pages at its next query, as it
    would another process's writes). Page for page, so the search index comes back too."""

    def __init__(self, path: str) -> None:
        self._live = sqlite3.connect(path, isolation_level=None)
        self._live.execute(SQLITE_SYNCHRONOUS)
        self._copy = sqlite3.connect(":memory:")
        self._live.backup(self._copy)

    async def restore(self) -> None:
        self._copy.backup(self._live)
        # Set again for each test: a test may change it (the fuzz tests set it, then FULL).
        await connection().execute_script(SQLITE_SYNCHRONOUS)

    def close(self) -> None:
        self._copy.close()
        self._live.close()


class PostgresTemplate:
    """Copies of the tables that hold rows (the defaults) in a schema of their own, and one
    script, sent in one round trip: empty every table, copy the defaults back, set every
    sequence where it stood. Foreign keys are off meanwhile (session_replication_role), as the
    rows go in whatever the order of the tables."""

    def __init__(self, script: str) -> None:
        self.script = script

    @classmethod
    async def build(cls) -> "PostgresTemplate":
        conn = connection()
        rows = await conn.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [r["tablename"] for r in rows if r["tablename"] not in KEEP_TABLES]
        filled = [
            t for t in tables if (await conn.execute_query_dict(f'SELECT 1 FROM "{t}" LIMIT 1'))
        ]
        await conn.execute_script(
            f'DROP SCHEMA IF EXISTS "{TEMPLATE_SCHEMA}" CASCADE;'
            f'CREATE SCHEMA "{TEMPLATE_SCHEMA}";'
            + "".join(
                f'CREATE TABLE "{TEMPLATE_SCHEMA}"."{t}" AS SELECT * FROM "{t}";' for t in filled
            )
        )
        copies = []
        for table in filled:
            # Generated columns are computed again on insert; they cannot be given.
            columns = await conn.execute_query_dict(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0"
                " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                [f'public."{table}"'],
            )
            names = ", ".join(f'"{c["attname"]}"' for c in columns)
            copies.append(
                f'INSERT INTO "{table}" ({names}) OVERRIDING SYSTEM VALUE'
                f' SELECT {names} FROM "{TEMPLATE_SCHEMA}"."{table}";'
            )
        sequences = await conn.execute_query_dict(
            "SELECT schemaname, sequencename, last_value FROM pg_sequences"
            " WHERE schemaname = 'public' ORDER BY sequencename"
        )
        positions = ", ".join(
            f"setval('\"{s['sequencename']}\"', {s['last_value'] or 1},"
            f" {'true' if s['last_value'] is not None else 'false'})"
            for s in sequences
        )
        return cls(
            "SET session_replication_role = replica;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "".join(copies)
            + "SET session_replication_role = DEFAULT;"
            + (f"SELECT {positions};" if positions else "")
        )

    async def restore(self) -> None:
        await connection().execute_script(self.script)

    def close(self) -> None:
        pass


Template = SqliteTemplate | PostgresTemplate


async def empty_every_table() -> None:
    """The slow way to a clean database, used once to make the template (and by the test that
    the template gives the same state): delete every row, rebuild the SQLite search index, and
    start every id at 1 again (SQLite's sqlite_sequence, PostgreSQL's sequences)."""
    conn = connection()
    if dialect() == "sqlite":
        rows = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'contact_%fts%'"
        )
        names = [r["name"] for r in rows if r["name"] not in KEEP_TABLES]
        await conn.execute_script(
            "PRAGMA foreign_keys = OFF;"
            + "".join(f'DELETE FROM "{n}";' for n in names)
            + "DELETE FROM sqlite_sequence;"
            + "INSERT INTO contact_fts(contact_fts) VALUES ('rebuild');"
            + "INSERT INTO contact_phone_fts(contact_phone_fts) VALUES ('rebuild');"
            + "PRAGMA foreign_keys = ON;"
        )
    else:
        rows = await conn.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        names = [r["tablename"] for r in rows if r["tablename"] not in KEEP_TABLES]
        await conn.execute_script(
            "SET session_replication_role = replica;"
            + "".join(f'DELETE FROM "{n}";' for n in names)
            + "SET session_replication_role = DEFAULT;"
            + "SELECT setval(c.oid, 1, false) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'S' AND n.nspname = 'public';"
        )


async def make_template(database_url: str) -> Template:
    """The template of the connected database, as it is now."""
    if dialect() == "sqlite":
        return SqliteTemplate(database_url.removeprefix("sqlite://"))
    return await PostgresTemplate.build()
