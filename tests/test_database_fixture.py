"""The `db` fixture's restore (tests/database.py) leaves the database exactly as emptying every
table, rebuilding the search index and reseeding the defaults did: the same rows with the same
ids, the same next ids, a search index that matches the contacts."""

import re
from datetime import datetime
from typing import Any

from crm import contacts, search
from crm.actors import system_actor
from crm.db import connection, dialect
from crm.setup import ensure_defaults
from models import Role, Source, WebForm
from tests.database import KEEP_TABLES, Template, empty_every_table

CLI = system_actor("cli")
# A timestamp as SQLite stores it; PostgreSQL gives datetime objects.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


def _value(value: Any) -> Any:
    """Times differ between two seedings (the template was made at the session's start)."""
    if isinstance(value, datetime) or (isinstance(value, str) and TIMESTAMP.match(value)):
        return "<time>"
    return value


async def _dump() -> dict[str, Any]:
    """Every row of every table, and where each id sequence stands."""
    conn = connection()
    if dialect() == "sqlite":
        rows = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'contact_%fts%'"
        )
        sequences_query = "SELECT name, seq FROM sqlite_sequence ORDER BY name"
    else:
        rows = await conn.execute_query_dict(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
        sequences_query = (
            "SELECT sequencename AS name, last_value AS seq FROM pg_sequences"
            " WHERE schemaname = 'public' ORDER BY sequencename"
        )
    dump: dict[str, Any] = {}
    for name in sorted(r["name"] for r in rows if r["name"] not in KEEP_TABLES):
        table = await conn.execute_query_dict(f'SELECT * FROM "{name}"')
        dump[name] = sorted(
            tuple(sorted((k, repr(_value(v))) for k, v in row.items())) for row in table
        )
    dump["<sequences>"] = await conn.execute_query_dict(sequences_query)
    return dump


async def _write_everywhere() -> None:
    """What tests do: add rows, change and remove default ones, fill the search index."""
    for n in range(3):
        await contacts.create_contact(
            CLI,
            {"first_name": f"Zacharie{n}", "last_name": "Dirty", "phones": [f"+3361234567{n}"]},
            allow_duplicate=True,
        )
    await Role.filter(name="Employee").update(name="Renamed")
    await Source.filter(name="Other").delete()
    await WebForm.all().update(title="Changed")


async def test_a_restore_gives_the_state_a_full_reset_gave(db: str, _template: Template) -> None:
    await _write_everywhere()
    await empty_every_table()
    await ensure_defaults()
    reseeded = await _dump()

    await _write_everywhere()
    await _template.restore()

    assert await _dump() == reseeded
    assert len(reseeded["role"]) == 3 and len(reseeded["web_form"]) == 1
    assert reseeded["contact"] == []


async def test_after_a_restore_ids_start_at_one_and_search_sees_only_new_contacts(
    db: str, _template: Template
) -> None:
    await _write_everywhere()
    await _template.restore()

    card = await contacts.create_contact(CLI, {"first_name": "Zacharie", "last_name": "Clean"})

    assert card.id == 1
    page = await search.search_contacts(CLI, "zacharie")
    assert [row.id for row in page.items] == [1]
    assert (await search.search_contacts(CLI, "dirty")).items == []
    if dialect() == "sqlite":  # the index holds exactly what the contact table says
        for index in ("contact_fts", "contact_phone_fts"):
            await connection().execute_script(
                f"INSERT INTO {index}({index}) VALUES ('integrity-check')"
            )
