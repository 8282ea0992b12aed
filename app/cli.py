"""The `carnet` command line: serve, db upgrade, staff add, forms, demo-data, backup."""

import argparse
import asyncio
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import asyncpg
import uvloop
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from tortoise.exceptions import BaseORMException

from app import database
from app.settings import Settings, SettingsError, core_config, load_settings
from crm import config
from crm.actors import system_actor
from crm.errors import CrmError, ValidationError

if TYPE_CHECKING:
    from crm.webforms import FormDetails

MAX_DEMO = 10_000_000


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _fields_file(text: str) -> list[Any]:
    """`--fields FILE` (or `-` for stdin): a JSON list of fields, or a form as `forms show`
    prints it (its "fields" are taken). Read while the arguments are parsed, before any event
    loop runs; the core checks each field."""
    try:
        raw = sys.stdin.read() if text == "-" else Path(text).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"{text} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if isinstance(data, dict) and "fields" in data:
        data = data["fields"]
    if not isinstance(data, list):
        raise argparse.ArgumentTypeError(
            f'{text} must hold a list of fields, or a form with a "fields" list'
        )
    return data


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
    _forms_parser(commands)
    demo = commands.add_parser("demo-data", help="add N realistic demo contacts")
    demo.add_argument("count", type=_positive_int, metavar="N")
    demo.add_argument("--seed", type=int, default=7)
    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("file", type=Path, metavar="FILE")
    return parser


def _form_options(parser: argparse.ArgumentParser) -> None:
    """The settings `forms create` and `forms edit` share (checked by the core, one line)."""
    parser.add_argument("--scheme", metavar="contact|deal|quote", help="what a lead creates")
    parser.add_argument(
        "--dedup", metavar="allow|merge|replace", help="what a known visitor does (merge)"
    )
    parser.add_argument(
        "--queue", metavar="STAFF_IDS", help="staff ids taking leads in turn; '' for the admins"
    )
    parser.add_argument("--redirect", metavar="URL", help="where browsers go after a post")
    parser.add_argument("--success", metavar="TEXT", help="the text shown after a post")
    parser.add_argument(
        "--origins", metavar="A,B", help="sites that may embed the form (scheme://host[:port])"
    )
    parser.add_argument(
        "--api-key", metavar="KEY", help="a random key servers send in X-Carnet-Form-Key"
    )
    parser.add_argument(
        "--fields",
        type=_fields_file,
        metavar="FILE",
        help="the form's fields as JSON ('-' reads stdin); `forms show` prints the format",
    )
    consent = parser.add_mutually_exclusive_group()
    consent.add_argument("--consent", metavar="TEXT", help="the consent text (box required)")
    consent.add_argument("--no-consent", action="store_true", help="no consent checkbox")


def _forms_parser(commands: Any) -> None:
    forms = commands.add_parser("forms", help="web forms")
    forms_commands = forms.add_subparsers(dest="forms_command", required=True, metavar="COMMAND")
    forms_commands.add_parser("list", help="list the web forms")
    show = forms_commands.add_parser(
        "show", help="print a form's settings and fields as JSON (the key only as has_api_key)"
    )
    show.add_argument("slug", metavar="SLUG")
    create = forms_commands.add_parser(
        "create", help="create a form (fields: name, phone, e-mail, message, unless --fields)"
    )
    create.add_argument("slug", metavar="SLUG")
    create.add_argument("--title", required=True)
    _form_options(create)
    edit = forms_commands.add_parser("edit", help="change a form's settings")
    edit.add_argument("slug", metavar="SLUG")
    edit.add_argument("--title")
    _form_options(edit)
    edit.add_argument("--enable", action="store_true", help="serve a disabled form again")
    disable = forms_commands.add_parser("disable", help="stop serving a form")
    disable.add_argument("slug", metavar="SLUG")


def _form_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, in the core's names."""
    changes: dict[str, Any] = {}
    for option, name in (
        ("title", "title"),
        ("scheme", "scheme"),
        ("dedup", "dedup_policy"),
        ("queue", "responsible_queue"),
        ("redirect", "redirect_url"),
        ("success", "success_text"),
        ("origins", "allowed_origins"),
        ("api_key", "api_key"),
        ("fields", "fields"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            changes[name] = value
    if args.consent is not None:
        changes.update(consent_text=args.consent, consent_required=True)
    elif args.no_consent:
        changes.update(consent_text=None, consent_required=False)
    if getattr(args, "enable", False):
        changes["is_active"] = True
    return changes


def _as_json(details: "FormDetails") -> str:
    """A form's settings in the core's names; its fields as `--fields` takes them back."""
    form = details.form
    document = {
        "slug": form.slug,
        "title": form.title,
        "scheme": form.scheme,
        "dedup_policy": details.dedup_policy,
        "responsible_queue": details.responsible_queue,
        "consent_required": form.consent_required,
        "consent_text": form.consent_text,
        "success_text": form.success_text,
        "redirect_url": form.redirect_url,
        "allowed_origins": form.allowed_origins,
        "has_api_key": form.has_api_key,
        "is_active": details.is_active,
        "submissions": details.submissions,
        "fields": [field.to_spec() for field in form.fields],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _describe(details: "FormDetails", verb: str = "") -> str:
    """One line about a form (never its API key)."""
    form = details.form
    queue = ", ".join(f"#{i}" for i in details.responsible_queue) or "admins"
    state = "active" if details.is_active else "disabled"
    consent = "required" if form.consent_required else "off"
    return (
        f"{verb}form '{form.slug}' ({state}): scheme {form.scheme},"
        f" duplicates {details.dedup_policy}, queue {queue}, consent {consent},"
        f" API key {_yes(form.has_api_key)}; served at /forms/{form.slug}"
    )


async def _forms(settings: Settings, args: argparse.Namespace) -> int:
    from crm import webforms
    from crm.setup import ensure_defaults

    actor = system_actor("cli")

    async def work() -> int:
        await ensure_defaults()  # the `contact` form exists before the first `serve` too
        if args.forms_command == "list":
            rows = [["SLUG", "TITLE", "SCHEME", "POLICY", "ACTIVE", "SUBMISSIONS"]]
            for details in await webforms.form_details(actor):
                title = details.form.title
                rows.append(
                    [
                        details.slug,
                        title if len(title) <= 40 else title[:39] + "…",
                        details.form.scheme,
                        details.dedup_policy,
                        _yes(details.is_active),
                        str(details.submissions),
                    ]
                )
            _print_table(rows)
        elif args.forms_command == "show":
            print(_as_json(await webforms.get_form(actor, args.slug)))
        elif args.forms_command == "create":
            created = await webforms.create_form(actor, {"slug": args.slug, **_form_changes(args)})
            print(_describe(created, "created "))
        elif args.forms_command == "edit":
            changes = _form_changes(args)
            if not changes:
                raise ValidationError({"options": "give at least one setting to change"})
            print(_describe(await webforms.edit_form(actor, args.slug, changes)))
        else:
            await webforms.disable_form(actor, args.slug)
            print(f"form '{args.slug}' is disabled (its submissions are kept)")
        return 0

    return await _with_db(settings, work)


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
        # Imported here: aiogram's types take seconds to import, and only `serve` needs them.
        from app.runtime import serve

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
    if args.command == "forms":
        return asyncio.run(_forms(settings, args))
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
