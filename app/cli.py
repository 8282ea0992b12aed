"""The `carnet` command line: serve, db upgrade, staff add, demo-data, backup."""

import argparse
import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
import uvloop
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from tortoise.exceptions import BaseORMException

from app import database
from app.runtime import core_config, serve
from app.settings import Settings, SettingsError, load_settings
from crm import config
from crm.actors import system_actor
from crm.errors import CrmError, ValidationError

MAX_DEMO = 10_000_000


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carnet", description="Carnet contacts CRM")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run the web app (and the bot when BOT_TOKEN is set)")
    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--target", help="migrate to this migration, e.g. models.0001_initial")
    staff = commands.add_parser("staff", help="staff commands")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    add = staff_commands.add_parser("add", help="add or reactivate a staff member")
    add.add_argument("--telegram-id", required=True, type=_positive_int)
    add.add_argument("--admin", action="store_true")
    add.add_argument("--name", default="")
    demo = commands.add_parser("demo-data", help="add N realistic demo contacts")
    demo.add_argument("count", type=_positive_int, metavar="N")
    demo.add_argument("--seed", type=int, default=7)
    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("file", type=Path, metavar="FILE")
    return parser


async def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    config.configure(core_config(settings))
    await database.connect(settings)
    try:
        return await work()
    finally:
        await database.close()


async def _staff_add(settings: Settings, args: argparse.Namespace) -> int:
    from crm.staff import add_staff

    async def work() -> int:
        staff = await add_staff(
            system_actor("cli"), args.telegram_id, name=args.name, admin=args.admin
        )
        role = "admin" if staff.is_admin else "staff member"
        print(f"{role} #{staff.id} (Telegram id {staff.telegram_id}) is active")
        return 0

    return await _with_db(settings, work)


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from crm.demo import generate
    from crm.setup import ensure_defaults

    if args.count > MAX_DEMO:
        raise ValidationError({"N": f"must be at most {MAX_DEMO:,}"})

    async def work() -> int:
        await ensure_defaults()
        columns = (
            *Progress.get_default_columns()[:1],
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task("contacts", total=args.count)
            stats = await generate(
                args.count, seed=args.seed, progress=lambda n: bar.advance(task, n)
            )
        print(
            f"added {stats.contacts:,} contacts, {stats.companies:,} companies, "
            f"{stats.deals:,} deals, {stats.activities:,} activities in {stats.seconds:.1f} s"
        )
        return 0

    return await _with_db(settings, work)


def _pg_dump(settings: Settings, target: Path) -> int:
    """PostgreSQL: pg_dump's custom format; the password goes through the environment."""
    if target.exists():
        raise ValidationError({"FILE": f"{target} already exists; choose a new file"})
    if shutil.which("pg_dump") is None:
        raise ValidationError(
            {"FILE": "pg_dump is not installed (Debian: apt-get install postgresql-client)"}
        )
    url = urlsplit(settings.database_url)
    env = {**os.environ, "PGPASSWORD": unquote(url.password or "")}
    command = [
        "pg_dump",
        "--format=custom",
        f"--file={target}",
        f"--host={url.hostname or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={unquote(url.username or 'postgres')}",
        url.path.lstrip("/"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["pg_dump failed"])[-1]
        raise ValidationError({"pg_dump": reason})
    size = target.stat().st_size
    print(f"backed up {url.hostname}/{url.path.lstrip('/')} to {target} ({size:,} bytes)")
    return 0


def _backup(settings: Settings, target: Path) -> int:
    """SQLite: the online backup API (safe while Carnet runs). PostgreSQL: use pg_dump."""
    source = settings.sqlite_path
    if source is None:
        return _pg_dump(settings, target)
    if not source.exists():
        raise ValidationError({"DATABASE_URL": f"{source} does not exist; run 'carnet db upgrade'"})
    if target.exists():
        raise ValidationError({"FILE": f"{target} already exists; choose a new file"})
    if not target.parent.exists():
        raise ValidationError({"FILE": f"folder {target.parent} does not exist"})
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    print(f"backed up {source} to {target} ({target.stat().st_size:,} bytes)")
    return 0


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("tortoise").setLevel(
        max(logging.WARNING, logging.getLevelName(settings.log_level))
    )
    if args.command == "serve":
        # uvloop: the bot and the web app spend most of their time in the event loop and in
        # HTTP; measured by bench/bot.py, it serves more searches per second on one core.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(settings))
        return 0
    if args.command == "db":
        asyncio.run(database.upgrade(settings, args.target))
        print("database is up to date" if not args.target else f"database is at {args.target}")
        return 0
    if args.command == "staff":
        return asyncio.run(_staff_add(settings, args))
    if args.command == "demo-data":
        return asyncio.run(_demo(settings, args))
    if args.command == "backup":
        return _backup(settings, args.file)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input or a failing database gives one line and a non-zero exit."""
    try:
        return run(argv)
    except SettingsError as exc:
        print(f"carnet: configuration error: {exc}", file=sys.stderr)
    except ValidationError as exc:
        print(f"carnet: {exc.message}", file=sys.stderr)
    except CrmError as exc:
        print(f"carnet: {exc.message}", file=sys.stderr)
    except (BaseORMException, OSError, sqlite3.Error, ValueError, asyncpg.PostgresError) as exc:
        print(
            f"carnet: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    return 2
