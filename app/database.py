"""Database lifecycle: connect (only to a reachable, migrated database), migrate, check, close."""

import asyncio
import fcntl
import os
import pkgutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise
from tortoise.exceptions import BaseORMException
from tortoise.migrations.api.migrate import migrate
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget, PlanStep

import models.migrations
from app.settings import Settings
from crm.db import connection
from models import tortoise_config

APP = "models"
# A PostgreSQL host that drops packets would keep asyncpg waiting a minute; say so sooner.
ANSWER_WITHIN = 15.0


class DatabaseNotReadyError(Exception):
    """The database cannot be used as it is: missing, unreachable, not migrated, or a
    migration failed. The message names the database (never a password) and what to do."""


class DatabaseInUseError(DatabaseNotReadyError):
    """Another Carnet process holds the database (`carnet serve`, or a restore under way)."""


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What `upgrade` did: migrations applied and rolled back, in order, as `models.NNNN_x`."""

    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)


def describe(settings: Settings) -> str:
    """The database as a person recognises it: a file path, or host:port/name (no password)."""
    path = settings.sqlite_path
    if path is not None:
        return str(path)
    if settings.database_url.startswith("sqlite://"):
        return "an in-memory SQLite database"
    url = urlsplit(settings.database_url)
    return f"{url.hostname or 'localhost'}:{url.port or 5432}/{url.path.lstrip('/')}"


def known_migrations() -> list[str]:
    """Every migration shipped with this version, oldest first, as `models.NNNN_name`."""
    names = sorted(m.name for m in pkgutil.iter_modules(models.migrations.__path__))
    return [f"{APP}.{name}" for name in names]


def _unreachable(settings: Settings, exc: BaseException) -> DatabaseNotReadyError:
    """A connection failure as one sentence naming the database, never the URL's password."""
    if settings.sqlite_path is not None:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return DatabaseNotReadyError(
            f"the database at {settings.sqlite_path} cannot be read: {reason}"
        )
    if isinstance(exc, TimeoutError):
        reason = f"no answer within {ANSWER_WITHIN:.0f} s"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "connection refused (is PostgreSQL running there?)"
    elif isinstance(exc, OSError) and exc.__class__.__name__ == "gaierror":
        reason = "unknown host name"
    else:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__
    return DatabaseNotReadyError(
        f"the database at {describe(settings)} (DATABASE_URL) does not answer: {reason}"
    )


# What a failing driver raises: the network (OSError), the server (asyncpg), SQLite, Tortoise.
DRIVER_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, sqlite3.Error, BaseORMException)


def config_for(settings: Settings, *, create: bool = False) -> dict:
    """The Tortoise config; with `create`, the SQLite file's folder is made (for upgrades)."""
    path = settings.sqlite_path
    if path is not None and create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseNotReadyError(
                f"cannot create the folder of the database {path}: {exc.strerror or exc}"
            ) from exc
    return tortoise_config(settings.database_url)


async def _probe(settings: Settings) -> None:
    """One trivial query, so an unreachable database fails here with a clear sentence."""
    try:
        await asyncio.wait_for(connection().execute_query("SELECT 1"), ANSWER_WITHIN)
    except DRIVER_ERRORS as exc:
        raise _unreachable(settings, exc) from exc


async def _pending(settings: Settings) -> tuple[list[str], list[PlanStep]]:
    """(migrations recorded as applied, steps still to apply) on the connected database."""
    executor = MigrationExecutor(connection(), {APP: config_for(settings)["apps"][APP]})
    applied = await executor.recorder.applied_migrations()
    plan = await executor.plan([MigrationTarget(app_label=APP, name="__latest__")])
    return [f"{k.app_label}.{k.name}" for k in applied], [s for s in plan if not s.backward]


async def upgrade(settings: Settings, target: str | None = None) -> Upgrade:
    """Apply migrations up to `target` (default: the latest); an earlier target rolls back.

    Raises DatabaseNotReadyError (unreachable database, unknown target, a failed migration);
    the connections are closed whatever happens.
    """
    if target is not None and target != APP and target not in known_migrations():
        known = ", ".join(known_migrations())
        raise DatabaseNotReadyError(
            f"unknown migration target {target!r}; known: {APP} (the latest), {known}"
        )
    config = config_for(settings, create=True)
    plan: list[PlanStep] = []
    current: list[str] = []

    def remember(_connection: str, steps: list[PlanStep], _fake: bool, _dry: bool) -> None:
        plan.extend(steps)

    def progress(event: str, app: str, name: str) -> None:
        current[:] = [f"{app}.{name}"] if event.endswith("_start") else []

    try:
        await Tortoise.init(config=config)
        await _probe(settings)
        try:
            await migrate(config=config, target=target, reporter=remember, progress=progress)
        except DRIVER_ERRORS as exc:
            if not current:
                raise _unreachable(settings, exc) from exc
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise DatabaseNotReadyError(
                f"migration {current[0]} failed and was rolled back: {reason}"
            ) from exc
    finally:
        await Tortoise.close_connections()
    return Upgrade(
        applied=[f"{s.migration.app_label}.{s.migration.name}" for s in plan if not s.backward],
        rolled_back=[f"{s.migration.app_label}.{s.migration.name}" for s in plan if s.backward],
    )


async def connect(settings: Settings) -> None:
    """Connect to a database that answers and has every migration applied.

    Raises DatabaseNotReadyError otherwise (and leaves nothing open); a SQLite file that does
    not exist is not created: `carnet db upgrade` does that.
    """
    path = settings.sqlite_path
    upgrade_hint = "run `carnet db upgrade`"
    if path is not None and not path.exists():
        raise DatabaseNotReadyError(f"the database at {path} has no tables yet: {upgrade_hint}")
    try:
        await Tortoise.init(config=config_for(settings))
        await _probe(settings)
        try:
            applied, pending = await _pending(settings)
        except DRIVER_ERRORS as exc:
            raise _unreachable(settings, exc) from exc
        if not applied:
            raise DatabaseNotReadyError(
                f"the database at {describe(settings)} has no tables yet: {upgrade_hint}"
            )
        if pending:
            names = ", ".join(f"{s.migration.app_label}.{s.migration.name}" for s in pending)
            raise DatabaseNotReadyError(
                f"the database at {describe(settings)} lacks migrations {names}: {upgrade_hint}"
            )
    except BaseException:
        await Tortoise.close_connections()
        raise


async def close() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[None]:
    """`connect`, then `close` whatever the body does."""
    await connect(settings)
    try:
        yield
    finally:
        await close()


async def is_healthy(within: float = 2.0) -> bool:
    """Whether the database answers a trivial query within `within` seconds."""
    try:
        await asyncio.wait_for(connection().execute_query("SELECT 1"), within)
    except Exception:  # any failure means "not healthy"; the caller reports 503
        return False
    return True


# --- who is using the database ---------------------------------------------------------------

# What each holder of the lock is told to do about the other one.
_ADVICE = {"serve": "stop it first", "restore": "wait for it to finish"}


def lock_path(settings: Settings) -> Path | None:
    """The lock file next to a SQLite database (`<db>.serve.lock`); None for PostgreSQL."""
    path = settings.sqlite_path
    return None if path is None else path.with_name(f"{path.name}.serve.lock")


@contextmanager
def hold_database(settings: Settings, holder: str) -> Iterator[None]:
    """Hold the SQLite database's lock file for the body, as `carnet <holder>`.

    An exclusive flock: the kernel drops it when the process ends, however it ends, so a crash
    leaves no stale lock (the file itself stays; it only ever holds the holder's pid). Raises
    DatabaseInUseError naming the other holder and its pid. Nothing is held for PostgreSQL
    (restore counts the other sessions instead) or while the database's folder does not exist
    (there is nothing to protect yet, and the folder is not created here).
    """
    path = lock_path(settings)
    if path is None or not path.parent.is_dir():
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other, _, pid = os.pread(fd, 100, 0).decode(errors="replace").partition(" ")
            other = other if other in _ADVICE else "serve"
            who = f" (pid {pid.strip()})" if pid.strip().isdigit() else ""
            raise DatabaseInUseError(
                f"carnet {other} is running on {settings.sqlite_path}{who}; {_ADVICE[other]}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} {os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def serving_lock(settings: Settings) -> AbstractContextManager[None]:
    """Held by `carnet serve` for its whole life, so that `carnet restore` refuses meanwhile:

        with database.serving_lock(settings):
            ...  # connect, run the web app, the bot and the scheduler, close

    Raises DatabaseInUseError (a DatabaseNotReadyError: one line, exit 1) when another
    `carnet serve` or a `carnet restore` holds this SQLite database; a no-op for PostgreSQL.
    """
    return hold_database(settings, "serve")


@dataclass(frozen=True, slots=True)
class Occupancy:
    """What a PostgreSQL restore would replace: tables there, and other sessions using it."""

    tables: int
    other_sessions: int


async def occupancy(settings: Settings) -> Occupancy:
    """PostgreSQL: how many tables the current schema has (0: an empty database) and how many
    other client sessions are connected to the database (`carnet serve`, a psql...)."""
    try:
        await Tortoise.init(config=config_for(settings))
        await _probe(settings)
        rows = await connection().execute_query_dict(
            "SELECT (SELECT COUNT(*) FROM information_schema.tables"
            "        WHERE table_schema = current_schema()) AS tables,"
            " (SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            "  AND pid <> pg_backend_pid() AND backend_type = 'client backend') AS sessions"
        )
        return Occupancy(tables=int(rows[0]["tables"]), other_sessions=int(rows[0]["sessions"]))
    finally:
        await Tortoise.close_connections()
