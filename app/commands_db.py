"""`carnet db upgrade`, `carnet backup FILE` and `carnet restore FILE`."""

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from app import database
from app.settings import Settings
from app.terminal import CliError, say

# Tables any Carnet database has since its first migration: a file without them is not ours.
CARNET_TABLES = {"tortoise_migrations", "contact", "staff", "web_form"}


def add_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="database commands", description="Database commands.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply migrations (creates the SQLite file on the first run)",
        description="Apply the migrations this version ships, or go back to an earlier one.",
    )
    upgrade.add_argument(
        "--target",
        metavar="MIGRATION",
        help="migrate to this migration, e.g. models.0001_initial (earlier ones roll back)",
    )
    upgrade.set_defaults(handler=db_upgrade, connect=False)

    backup = commands.add_parser(
        "backup",
        help="write a consistent copy of the database to a new FILE",
        description="SQLite: a consistent copy made with the online backup API, safe while "
        "Carnet runs. PostgreSQL: pg_dump's custom format (needs pg_dump installed).",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the new file (never overwritten)")
    backup.set_defaults(handler=backup_database, connect=False)

    restore = commands.add_parser(
        "restore",
        help="replace the database with a backup made by `carnet backup`",
        description="SQLite: checks FILE is a Carnet database, keeps the current one as "
        "<database>.before-restore-<time>, then copies FILE in with the backup API. "
        "PostgreSQL: runs pg_restore, only into an empty database unless --force. "
        "Stop `carnet serve` first.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="a file made by `carnet backup`")
    restore.add_argument(
        "--force",
        action="store_true",
        help="PostgreSQL: restore over a database that has tables (pg_restore --clean)",
    )
    restore.set_defaults(handler=restore_database, connect=False)


# --- db upgrade -----------------------------------------------------------------------------


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    done = asyncio.run(database.upgrade(settings, args.target))
    parts = []
    if done.rolled_back:
        parts.append("rolled back " + ", ".join(done.rolled_back))
    if done.applied:
        parts.append("applied " + ", ".join(done.applied))
    if not parts:
        say(
            "database is already up to date" if not args.target else f"database is at {args.target}"
        )
    else:
        state = "database is up to date" if not args.target else f"database is at {args.target}"
        say(f"{'; '.join(parts)}; {state}")
    return 0


# --- backup ---------------------------------------------------------------------------------


def _writable_target(target: Path) -> None:
    """Refuse a backup target that exists or whose folder cannot take a new file, by name."""
    if target.exists() or target.is_symlink():
        what = "a folder" if target.is_dir() else "a file"
        raise CliError(f"{target} already exists ({what}); choose a new file")
    folder = target.parent
    if not folder.exists():
        raise CliError(f"cannot write {target}: folder {folder} does not exist")
    if not folder.is_dir():
        raise CliError(f"cannot write {target}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"cannot write {target}: folder {folder} is not writable")


def _create_empty(target: Path) -> None:
    """Create the new file first, so the system says why it cannot be (SQLite only says
    "unable to open database file"); an empty file is an empty SQLite database."""
    _writable_target(target)
    try:
        target.open("xb").close()
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _pg_params(settings: Settings) -> tuple[list[str], dict[str, str], str]:
    """(connection options, environment with PGPASSWORD, database name) for pg_* tools."""
    url = urlsplit(settings.database_url)
    env = {**os.environ, "PGPASSWORD": unquote(url.password or "")}
    options = [
        f"--host={url.hostname or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={unquote(url.username or 'postgres')}",
    ]
    return options, env, unquote(url.path.lstrip("/"))


def _require_tool(name: str) -> None:
    if shutil.which(name) is None:
        raise CliError(f"{name} is not installed (Debian: apt-get install postgresql-client)")


def _run_tool(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise CliError(f"{command[0]} failed: {lines[-1] if lines else 'no message'}")


def _pg_dump(settings: Settings, target: Path) -> int:
    """PostgreSQL: pg_dump's custom format; the password goes through the environment."""
    _require_tool("pg_dump")
    options, env, name = _pg_params(settings)
    _run_tool(["pg_dump", "--format=custom", f"--file={target}", *options, name], env)
    size = target.stat().st_size
    say(f"backed up {database.describe(settings)} to {target} ({size:,} bytes)")
    return 0


def _sqlite_copy(source_path: Path, target: Path) -> None:
    """Copy a whole database with SQLite's backup API: a consistent snapshot even while
    another process writes (it restarts when the source changes under it)."""
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def backup_database(settings: Settings, args: argparse.Namespace) -> int:
    """SQLite: the online backup API (safe while Carnet runs). PostgreSQL: pg_dump."""
    target: Path = args.file
    _no_memory_database(settings)
    _writable_target(target)
    source_path = settings.sqlite_path
    if source_path is None:
        return _pg_dump(settings, target)
    if not source_path.exists():
        raise CliError(f"the database at {source_path} has no tables yet: run `carnet db upgrade`")
    _create_empty(target)
    try:
        _sqlite_copy(source_path, target)
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise CliError(f"cannot back up {source_path} to {target}: {exc}") from exc
    say(f"backed up {source_path} to {target} ({target.stat().st_size:,} bytes)")
    return 0


# --- restore --------------------------------------------------------------------------------


def _readable_backup(path: Path) -> None:
    if not path.exists():
        raise CliError(f"{path} does not exist")
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    if not os.access(path, os.R_OK):
        raise CliError(f"{path} is not readable")


def _check_sqlite_backup(path: Path) -> tuple[int, list[str]]:
    """(contacts, migrations) of a SQLite file known to be a whole, readable Carnet database;
    raises CliError naming what is wrong with it."""
    try:
        backup = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise CliError(f"{path} cannot be opened as a SQLite database: {exc}") from exc
    try:
        verdict = backup.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise CliError(f"{path} is a damaged SQLite database ({verdict})")
        tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
        missing = CARNET_TABLES - tables
        if missing:
            raise CliError(
                f"{path} is not a Carnet database (no {', '.join(sorted(missing))} table)"
            )
        migrations = [
            f"{app}.{name}"
            for app, name in backup.execute("SELECT app, name FROM tortoise_migrations")
        ]
        contacts = int(backup.execute("SELECT COUNT(*) FROM contact").fetchone()[0])
    except sqlite3.Error as exc:  # "file is not a database", a truncated file...
        raise CliError(f"{path} is not a readable SQLite database: {exc}") from exc
    finally:
        backup.close()
    newer = sorted(set(migrations) - set(database.known_migrations()))
    if newer:
        raise CliError(
            f"{path} was made by a newer Carnet (migrations {', '.join(newer)}); upgrade first"
        )
    return contacts, migrations


def _restore_sqlite(settings: Settings, source_path: Path, target: Path) -> int:
    """Check the backup, keep the current database aside, copy the backup in.

    The current file is kept, not overwritten: a restore of the wrong file must be undoable.
    Both copies go through the backup API, so a database in WAL mode is copied whole.
    """
    if source_path.resolve() == target.resolve():
        raise CliError(f"{source_path} is the database itself; give a backup file")
    contacts, migrations = _check_sqlite_backup(source_path)
    kept: Path | None = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        _create_empty(kept)
        try:
            _sqlite_copy(target, kept)
        except sqlite3.Error as exc:
            kept.unlink(missing_ok=True)
            raise CliError(f"cannot keep a copy of {target} before restoring: {exc}") from exc
    else:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(f"cannot create the folder {target.parent}: {exc.strerror}") from exc
        _create_empty(target)
    try:
        _sqlite_copy(source_path, target)  # one step: a failure rolls the target back whole
    except sqlite3.Error as exc:
        if kept is None:
            target.unlink(missing_ok=True)
        raise CliError(f"cannot restore into {target}: {exc} (it was not changed)") from exc
    behind = len(database.known_migrations()) - len(migrations)
    notes = [f"restored {target} from {source_path} ({contacts:,} contacts)"]
    if kept is not None:
        notes.append(f"the previous database is kept as {kept}")
    if behind > 0:
        notes.append("run `carnet db upgrade` next (the backup is from an older version)")
    say("; ".join(notes))
    return 0


def _restore_postgres(settings: Settings, source_path: Path, force: bool) -> int:
    """pg_restore a custom-format dump; into a database with tables only with --force."""
    with source_path.open("rb") as file:
        if file.read(5) != b"PGDMP":
            raise CliError(
                f"{source_path} is not a pg_dump custom-format archive (`carnet backup`)"
            )
    _require_tool("pg_restore")
    tables = asyncio.run(database.table_count(settings))
    if tables and not force:
        raise CliError(
            f"the database at {database.describe(settings)} already has {tables} tables;"
            " restore into an empty database, or add --force to replace what the backup holds"
        )
    options, env, name = _pg_params(settings)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error"]
    _run_tool([*command, *options, f"--dbname={name}", str(source_path)], env)
    say(f"restored {database.describe(settings)} from {source_path}")
    return 0


def _no_memory_database(settings: Settings) -> None:
    if settings.sqlite_path is None and settings.database_url.startswith("sqlite://"):
        raise CliError(
            "DATABASE_URL is an in-memory SQLite database: nothing to back up or restore"
        )


def restore_database(settings: Settings, args: argparse.Namespace) -> int:
    source_path: Path = args.file
    _no_memory_database(settings)
    _readable_backup(source_path)
    target = settings.sqlite_path
    if target is None:
        return _restore_postgres(settings, source_path, args.force)
    return _restore_sqlite(settings, source_path, target)
