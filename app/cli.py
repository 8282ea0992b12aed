"""The `carnet` command line: the parser, the database around each command, and the one-line
errors. The commands live in app/commands_*.py."""

import argparse
import asyncio
import logging
import sqlite3
import sys

import asyncpg
from tortoise.exceptions import BaseORMException

from app import commands_db, commands_fields, commands_forms, commands_staff, database
from app.settings import Settings, SettingsError, core_config, load_settings
from app.terminal import CONFIG_ERROR, CliError, Parser, positive_int
from app.version import carnet_version
from crm import config
from crm.errors import CrmError, ValidationError

MAX_DEMO = 10_000_000


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="carnet", description="Carnet contacts CRM")
    parser.add_argument("--version", action="version", version=f"carnet {carnet_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the web app, the scheduler and (when BOT_TOKEN is set) the bot",
        description="Run the web app, the scheduler and, when BOT_TOKEN is set, the Telegram "
        "bot, until SIGINT or SIGTERM.",
    )
    serve.set_defaults(handler=None, connect=False)
    commands_db.add_commands(commands)
    commands_staff.add_commands(commands)
    commands_fields.add_commands(commands)
    commands_forms.add_commands(commands)
    demo = commands.add_parser(
        "demo-data",
        help="add N realistic demo contacts",
        description="Add N realistic French/English contacts with companies, deals and "
        "activities, and demo staff.",
    )
    demo.add_argument("count", type=positive_int, metavar="N", help="how many contacts")
    demo.add_argument(
        "--seed", type=int, default=7, help="the random seed (same seed, same data; 7)"
    )
    demo.set_defaults(handler=_demo)
    return parser


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here, as uvloop is for `serve`: every other command starts without them.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from crm.demo import generate

    if args.count > MAX_DEMO:
        raise ValidationError({"N": f"must be at most {MAX_DEMO:,}"})
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("contacts", total=args.count)
        stats = await generate(args.count, seed=args.seed, progress=lambda n: bar.advance(task, n))
    print(
        f"added {stats.contacts:,} contacts, {stats.companies:,} companies, "
        f"{stats.deals:,} deals, {stats.activities:,} activities in {stats.seconds:.1f} s"
    )
    return 0


async def _connected(settings: Settings, args: argparse.Namespace) -> int:
    """Run a command on a connected, migrated database; the connections are closed whatever
    the command raises (an open one would keep the process from exiting)."""
    from crm.setup import ensure_defaults

    config.configure(core_config(settings))
    async with database.connected(settings):
        await ensure_defaults()  # e.g. the `contact` form exists before the first `serve` too
        result: int = await args.handler(settings, args)
        return result


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
        # Imported here: aiogram's types take seconds to import, and only `serve` needs them.
        import uvloop

        from app.runtime import serve

        # uvloop: the bot and the web app spend most of their time in the event loop and in
        # HTTP; measured by bench/bot.py, it serves more searches per second on one core.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(settings))
        return 0
    if not getattr(args, "connect", True):
        # db upgrade, backup, restore: they open (or refuse) the database themselves.
        return int(args.handler(settings, args))
    return asyncio.run(_connected(settings, args))


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point: whatever fails gives one line on stderr and a non-zero exit."""
    try:
        return run(argv)
    except SettingsError as exc:
        # EX_CONFIG (sysexits.h): the systemd unit does not restart on it; a restart would only
        # repeat the same error.
        message, status = f"configuration error: {exc}", CONFIG_ERROR
    except (CliError, database.DatabaseNotReadyError) as exc:
        message, status = str(exc), 1
    except CrmError as exc:
        message, status = exc.message, 1
    except KeyboardInterrupt:
        message, status = "interrupted", 130
    except (BaseORMException, OSError, sqlite3.Error, asyncpg.PostgresError) as exc:
        # A database or system failure no check foresaw: its kind and first line, no traceback.
        message, status = f"{type(exc).__name__}: {_first_line(exc)}", 1
    except Exception as exc:  # a bug: still one line, and where to look
        logging.getLogger("carnet").debug("unexpected error", exc_info=True)
        message = (
            f"unexpected {type(exc).__name__}: {_first_line(exc)} (LOG_LEVEL=debug shows more)"
        )
        status = 1
    print(f"carnet: {message}", file=sys.stderr)
    return status
