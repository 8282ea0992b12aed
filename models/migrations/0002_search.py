"""Search indexes, per database: FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL.

The contact row carries derived columns (`search_text`: folded words of names, e-mails and
companies; `search_phones`: digit forms of every phone) that the core keeps in step; this
migration indexes them. SQLite triggers contain `;` inside BEGIN…END, so the migration runs one
statement at a time through RunPython rather than RunSQL (STACK.md §1.2).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_UP = [
    "CREATE VIRTUAL TABLE contact_fts USING fts5(search_text, content='contact',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    # Trigram: any run of >= 3 digits anywhere in a phone matches through the index.
    "CREATE VIRTUAL TABLE contact_phone_fts USING fts5(search_phones, content='contact',"
    " content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER contact_search_ai AFTER INSERT ON contact BEGIN"
    " INSERT INTO contact_fts(rowid, search_text) VALUES (new.id, new.search_text);"
    " INSERT INTO contact_phone_fts(rowid, search_phones) VALUES (new.id, new.search_phones);"
    " END",
    "CREATE TRIGGER contact_search_ad AFTER DELETE ON contact BEGIN"
    " INSERT INTO contact_fts(contact_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO contact_phone_fts(contact_phone_fts, rowid, search_phones)"
    " VALUES ('delete', old.id, old.search_phones);"
    " END",
    "CREATE TRIGGER contact_search_text_au AFTER UPDATE OF search_text ON contact"
    " WHEN old.search_text IS NOT new.search_text BEGIN"
    " INSERT INTO contact_fts(contact_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO contact_fts(rowid, search_text) VALUES (new.id, new.search_text);"
    " END",
    "CREATE TRIGGER contact_search_phones_au AFTER UPDATE OF search_phones ON contact"
    " WHEN old.search_phones IS NOT new.search_phones BEGIN"
    " INSERT INTO contact_phone_fts(contact_phone_fts, rowid, search_phones)"
    " VALUES ('delete', old.id, old.search_phones);"
    " INSERT INTO contact_phone_fts(rowid, search_phones) VALUES (new.id, new.search_phones);"
    " END",
    "INSERT INTO contact_fts(contact_fts) VALUES ('rebuild')",
    "INSERT INTO contact_phone_fts(contact_phone_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS contact_search_phones_au",
    "DROP TRIGGER IF EXISTS contact_search_text_au",
    "DROP TRIGGER IF EXISTS contact_search_ad",
    "DROP TRIGGER IF EXISTS contact_search_ai",
    "DROP TABLE IF EXISTS contact_phone_fts",
    "DROP TABLE IF EXISTS contact_fts",
]
PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # The words are folded and split by the core, so the 'simple' configuration (no stemming,
    # no stop words) sees exactly the tokens SQLite's unicode61 sees.
    "ALTER TABLE contact ADD COLUMN search_tsv tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX contact_search_tsv_idx ON contact USING gin (search_tsv)",
    "CREATE INDEX contact_search_phones_trgm_idx ON contact USING gin (search_phones gin_trgm_ops)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS contact_search_phones_trgm_idx",
    "DROP INDEX IF EXISTS contact_search_tsv_idx",
    "ALTER TABLE contact DROP COLUMN IF EXISTS search_tsv",
]


async def _run(schema_editor, sqlite_sql: list[str], pg_sql: list[str]) -> None:
    client = schema_editor.client
    statements = sqlite_sql if client.capabilities.dialect == "sqlite" else pg_sql
    for sql in statements:
        await client.execute_query(sql)


async def forward(apps, schema_editor) -> None:
    await _run(schema_editor, SQLITE_UP, PG_UP)


async def backward(apps, schema_editor) -> None:
    await _run(schema_editor, SQLITE_DOWN, PG_DOWN)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]
    operations = [ops.RunPython(forward, backward)]
