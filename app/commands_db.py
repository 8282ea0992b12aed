"""`carnet db upgrade`, `carnet backup FILE` and `carnet restore FILE`."""

import argparse
import asyncio
import os
import re
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
# A table in `pg_restore --list`: "216; 1259 32030 TABLE public tortoise_migrations postgres".
# Where `pg_restore --data-only --file=-` starts the tortoise_migrations rows (tab-separated).
COPY_MIGRATIONS = re.compile(r"COPY \S*tortoise_migrations \((?P<columns>[^)]*)\) FROM stdin;")
TOC_TABLE = re.compile(r"\d+; \d+ \d+ TABLE (?P<schema>\S+) (?P<name>\S+) ")


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


def _tool_error(tool: str, stderr: str, password: str) -> str:
    """What went wrong, in one line: the tool's first `<tool>: error:` line (it names the host;
    the lines after it are hints such as "Is the server running...?"), else its last line;
    never the password, should a tool ever print it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    prefix = f"{tool}: error: "
    errors = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
    line = errors[0] if errors else (lines[-1] if lines else "no message")
    return line.replace(password, "***") if password else line


def _run_tool(command: list[str], env: dict[str, str], failure: str = "") -> str:
    """Run a pg_* tool; its stdout, or CliError `<failure>: <what went wrong>`."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = _tool_error(command[0], result.stderr, env.get("PGPASSWORD", ""))
        raise CliError(f"{failure or command[0] + ' failed'}: {reason}")
    return result.stdout


def _pg_dump(settings: Settings, target: Path) -> int:
    """PostgreSQL: pg_dump's custom format; the password goes through the environment."""
    _require_tool("pg_dump")
    options, env, name = _pg_params(settings)
    try:
        _run_tool(["pg_dump", "--format=custom", f"--file={target}", *options, name], env)
    except BaseException:
        # pg_dump creates the file before it connects: a retry must not find it "already there".
        target.unlink(missing_ok=True)
        raise
    size = target.stat().st_size
    say(f"backed up {database.describe(settings)} to {target} ({size:,} bytes)")
    return 0


def _sqlite_copy(source_path: Path, target: Path, *, standalone: bool) -> None:
    """Copy a whole database with SQLite's backup API: a consistent snapshot even while
    another process writes (it restarts when the source changes under it).

    `standalone`: the copy is a file to keep (a backup), not the live database. The copy
    inherits the source's WAL mode, so merely opening it would leave -wal and -shm files next
    to it, and it would not open from read-only media: it is switched to a rollback journal.
    """
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
            if standalone:
                destination.execute("PRAGMA journal_mode=DELETE")
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
        _sqlite_copy(source_path, target, standalone=True)
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


def _with_journals(path: Path) -> list[Path]:
    """A SQLite database's files, its -wal and -shm first (see _move)."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "")]


def _move(source: Path, target: Path) -> None:
    """Move a database with its journals. The -wal goes first: a -wal left behind next to no
    database could be replayed into the next database made under that name."""
    for side, moved in zip(_with_journals(source), _with_journals(target), strict=True):
        if side.exists():
            os.replace(side, moved)


def _keep_aside(target: Path) -> tuple[Path, bool]:
    """Keep the current database as `<db>.before-restore-<time>`: (that path, whether the
    database was moved there rather than copied).

    A copy through the backup API is consistent even with a -wal; a damaged database (exactly
    when a restore is wanted) cannot be read page by page, so it is moved aside whole instead.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    _create_empty(kept)
    try:
        _sqlite_copy(target, kept, standalone=True)
        return kept, False
    except sqlite3.Error:
        pass
    try:
        _move(target, kept)
    except OSError as exc:
        raise CliError(f"cannot move {target} aside before restoring: {exc.strerror}") from exc
    return kept, True


def _restore_sqlite(settings: Settings, source_path: Path, target: Path) -> int:
    """Check the backup, keep the current database aside, copy the backup in.

    The current file is kept, not overwritten: a restore of the wrong file must be undoable.
    The copies go through the backup API, so a database in WAL mode is copied whole. Refused
    while `carnet serve` holds the database (it would go on writing to the file kept aside).
    """
    if source_path.resolve() == target.resolve():
        raise CliError(f"{source_path} is the database itself; give a backup file")
    contacts, migrations = _check_sqlite_backup(source_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the folder {target.parent}: {exc.strerror}") from exc
    with database.hold_database(settings, "restore"):
        kept, moved = _keep_aside(target) if target.exists() else (None, False)
        if not target.exists():
            _create_empty(target)
        try:
            _sqlite_copy(source_path, target, standalone=False)  # one step: all or nothing
        except sqlite3.Error as exc:
            if kept is None or moved:
                target.unlink(missing_ok=True)
            if kept is not None and moved:
                _move(kept, target)
            raise CliError(f"cannot restore into {target}: {exc} (it was not changed)") from exc
    behind = len(database.known_migrations()) - len(migrations)
    notes = [f"restored {target} from {source_path} ({contacts:,} contacts)"]
    if kept is not None:
        how = "moved, as it cannot be read whole," if moved else "kept"
        notes.append(f"the previous database is {how} as {kept}")
    if behind > 0:
        notes.append("run `carnet db upgrade` next (the backup is from an older version)")
    say("; ".join(notes))
    return 0


def _archived_migrations(path: Path) -> list[str]:
    """The migrations recorded in a `carnet backup` pg_dump archive, read with pg_restore
    itself (no database needed): its table of contents must list Carnet's tables, and the
    tortoise_migrations data comes out as the COPY block of `pg_restore --data-only`.
    Raises CliError naming what is wrong with the file."""
    env = dict(os.environ)
    unreadable = f"{path} is not a readable pg_dump archive"
    listing = _run_tool(["pg_restore", "--list", str(path)], env, unreadable)
    tables = {m["name"] for m in map(TOC_TABLE.match, listing.splitlines()) if m}
    missing = CARNET_TABLES - tables
    if missing:
        raise CliError(f"{path} is not a Carnet database (no {', '.join(sorted(missing))} table)")
    sql = _run_tool(
        ["pg_restore", "--data-only", "--table=tortoise_migrations", "--file=-", str(path)],
        env,
        unreadable,
    )
    migrations: list[str] = []
    columns: list[str] | None = None
    for line in sql.splitlines():
        if columns is None:
            copy = COPY_MIGRATIONS.match(line)
            if copy:
                columns = [name.strip().strip('"') for name in copy["columns"].split(",")]
        elif line == "\\.":
            break
        else:
            row = dict(zip(columns, line.split("\t"), strict=False))
            migrations.append(f"{row.get('app')}.{row.get('name')}")
    newer = sorted(set(migrations) - set(database.known_migrations()))
    if newer:
        raise CliError(
            f"{path} was made by a newer Carnet (migrations {', '.join(newer)}); upgrade first"
        )
    return migrations


def _restore_postgres(settings: Settings, source_path: Path, force: bool) -> int:
    """pg_restore a custom-format dump of a Carnet database no newer than this version, in
    one transaction (a failure part-way leaves the database as it was); into a database with
    tables only with --force; never while other sessions (`carnet serve`) use the database."""
    with source_path.open("rb") as file:
        if file.read(5) != b"PGDMP":
            raise CliError(
                f"{source_path} is not a pg_dump custom-format archive (`carnet backup`)"
            )
    _require_tool("pg_restore")
    migrations = _archived_migrations(source_path)
    there = asyncio.run(database.occupancy(settings))
    where = database.describe(settings)
    if there.other_sessions:
        sessions = (
            "1 other session is"
            if there.other_sessions == 1
            else (f"{there.other_sessions} other sessions are")
        )
        raise CliError(
            f"{sessions} connected to {where} (is carnet serve running?); stop them first"
        )
    if there.tables and not force:
        raise CliError(
            f"the database at {where} already has {there.tables} tables;"
            " restore into an empty database, or add --force to replace what the backup holds"
        )
    options, env, name = _pg_params(settings)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run_tool([*command, "--exit-on-error", *options, f"--dbname={name}", str(source_path)], env)
    notes = [f"restored {where} from {source_path}"]
    if len(migrations) < len(database.known_migrations()):
        notes.append("run `carnet db upgrade` next (the backup is from an older version)")
    say("; ".join(notes))
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
