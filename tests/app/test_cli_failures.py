"""Every `carnet` command, failing as a real process: it exits (no hang on an open connection),
non-zero, with exactly one `carnet: ...` line on stderr and no traceback. Bad arguments and bad
settings, which fail before any database is opened, are checked in the same process.

The processes run a few at a time from one fixture (each is mostly Python start-up); each
case is then checked on its own."""

import shlex
import shutil
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.cli import main
from tests.app.processes import carnet, one_line_failure

pytestmark = pytest.mark.own_database(half="postgres")

NO_TABLES = "the database at data/carnet.sqlite3 has no tables yet: run `carnet db upgrade`"
PG_DOWN = {"DATABASE_URL": "postgres://carnet:s3cret-pw@127.0.0.1:1/crm"}
PG_REFUSED = "the database at 127.0.0.1:1/crm (DATABASE_URL) does not answer: connection refused"
TOO_LARGE = "99999999999999999999999 is too large (at most 9223372036854775807)"
NOT_A_DATABASE = "the database at data/carnet.sqlite3 cannot be read: file is not a database"
BEHIND = (
    "the database at data/carnet.sqlite3 lacks migrations"
    " models.0003_channel_contact_kind_index, models.0004_contact_taken_at"
)
FIELD = "fields create tier --label Tier --type"

# (name, database state, command line, environment, expected part of the one line)
CASES = [
    # A database that was never migrated: said so, and no file is created.
    ("staff-list-no-db", "missing", "staff list", {}, NO_TABLES),
    ("staff-add-no-db", "missing", "staff add --telegram-id 1", {}, NO_TABLES),
    ("staff-off-no-db", "missing", "staff deactivate 1", {}, NO_TABLES),
    ("fields-list-no-db", "missing", "fields list", {}, NO_TABLES),
    ("forms-list-no-db", "missing", "forms list", {}, NO_TABLES),
    ("demo-no-db", "missing", "demo-data 3", {}, NO_TABLES),
    ("serve-no-db", "missing", "serve", {"WEB_PORT": "1"}, NO_TABLES),
    ("backup-no-db", "missing", "backup copy.sqlite3", {}, NO_TABLES),
    ("roles-list-no-db", "missing", "roles list", {}, NO_TABLES),
    # It used to print a ValueError, then hang forever on the connection left open.
    ("upgrade-unknown-target", "missing", "db upgrade --target models.0099_x", {},
     "unknown migration target 'models.0099_x'; known: models (the latest),"
     " models.0001_initial, models.0002_search"),
    ("upgrade-target-without-app", "upgraded", "db upgrade --target 0001_initial", {},
     "unknown migration target '0001_initial'"),
    ("empty-file", "empty", "staff list", {}, NO_TABLES),
    ("not-a-database", "garbage", "forms list", {}, NOT_A_DATABASE),
    ("upgrade-not-a-database", "garbage", "db upgrade", {}, NOT_A_DATABASE),
    ("behind", "behind", "forms list", {}, BEHIND),
    # PostgreSQL that does not answer: its host, never its password.
    ("pg-staff", "missing", "staff list", PG_DOWN, PG_REFUSED),
    ("pg-upgrade", "missing", "db upgrade", PG_DOWN, PG_REFUSED),
    ("pg-serve", "missing", "serve", {**PG_DOWN, "WEB_PORT": "1"}, PG_REFUSED),
    ("pg-unknown-host", "missing", "forms list",
     {"DATABASE_URL": "postgres://carnet:s3cret-pw@db.invalid/crm"},
     "the database at db.invalid:5432/crm (DATABASE_URL) does not answer: unknown host name"),
    ("restore-pg-not-a-dump", "missing", "restore notes.txt", PG_DOWN,
     "notes.txt is not a pg_dump custom-format archive"),
    # pg_dump's first error line (the host), not its last ("Is the server running...?"); and
    # no empty x.dump left behind, which a retry would take for an existing file.
    ("backup-pg-down", "missing", "backup x.dump", PG_DOWN,
     'pg_dump failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'),
    # Refused by the core or by the command, the thing named.
    ("unknown-member", "upgraded", "staff deactivate 424242", {},
     "no staff member has Telegram id 424242 (see `carnet staff list --all`)"),
    ("role-unknown-member", "upgraded", "staff role 424242 --set Employee", {},
     "no staff member has Telegram id 424242 (see `carnet staff list --all`)"),
    ("activate-unknown-member", "upgraded", "staff activate 424242", {},
     "no staff member has Telegram id 424242 (see `carnet staff list --all`)"),
    ("unknown-role", "upgraded", "staff add --telegram-id 8 --roles Boss", {},
     "no role named 'Boss' (roles: Department head, Director, Employee)"),
    ("field-code", "upgraded", "fields create 1x --label X --type string", {},
     "code: must start with a letter"),
    ("field-yes-no-multiple", "upgraded", "fields create vip --label VIP --type boolean --multiple",
     {}, "multiple: a yes/no field holds one value"),
    ("field-list-options", "upgraded", f"{FIELD} list", {},
     "options: a list field needs at least one option"),
    ("field-options-not-list", "upgraded", f"{FIELD} string --options a,b", {},
     "options: only a list field has options"),
    ("field-repeated-option", "upgraded", f"{FIELD} list --options a,A", {},
     "options: must not repeat a value"),
    # Forms: the form named, or the setting and why.
    ("forms-show-missing", "upgraded", "forms show nope", {}, "form 'nope' does not exist"),
    ("forms-edit-missing", "upgraded", "forms edit nope --title X", {},
     "form 'nope' does not exist"),
    ("forms-disable-missing", "upgraded", "forms disable nope", {}, "form 'nope' does not exist"),
    ("forms-create-taken", "upgraded", "forms create contact --title X", {},
     "slug: 'contact' is already used by another form"),
    ("forms-create-scheme", "upgraded", "forms create new --title X --scheme boat", {},
     "scheme: must be one of contact, deal, quote"),
    ("forms-edit-dedup", "upgraded", "forms edit contact --dedup sometimes", {},
     "dedup_policy: must be one of allow, merge, replace"),
    ("forms-edit-nothing", "upgraded", "forms edit contact", {},
     "options: give at least one setting to change"),
    # Backup and restore: the file named, and why.
    ("backup-proc", "upgraded", "backup /proc/x.sqlite3", {},
     "cannot write /proc/x.sqlite3: No such file or directory"),
    ("backup-folder", "upgraded", "backup data", {},
     "data already exists (a folder); choose a new file"),
    ("backup-no-folder", "upgraded", "backup nowhere/x.sqlite3", {},
     "cannot write nowhere/x.sqlite3: folder nowhere does not exist"),
    ("restore-missing", "upgraded", "restore nothing.sqlite3", {},
     "nothing.sqlite3 does not exist"),
    ("restore-itself", "upgraded", "restore data/carnet.sqlite3", {},
     "data/carnet.sqlite3 is the database itself; give a backup file"),
    ("restore-text", "upgraded", "restore notes.txt", {},
     "notes.txt is not a readable SQLite database: file is not a database"),
    ("restore-damaged", "upgraded", "restore damaged.sqlite3", {},
     "damaged.sqlite3 is not a readable SQLite database: database disk image is malformed"),
    ("restore-foreign", "upgraded", "restore other.sqlite3", {},
     "other.sqlite3 is not a Carnet database (no contact, staff, tortoise_migrations,"
     " web_form table)"),
]  # fmt: skip


def _prepare(root: Path) -> dict[str, Path]:
    """One folder per database state (made by the CLI itself where it can)."""
    states = ("missing", "empty", "garbage", "behind", "upgraded")
    folders = {name: root / "states" / name for name in states}
    for folder in folders.values():
        folder.mkdir(parents=True)
    for name in ("empty", "garbage"):
        (folders[name] / "data").mkdir()
    (folders["empty"] / "data" / "carnet.sqlite3").write_bytes(b"")
    (folders["garbage"] / "data" / "carnet.sqlite3").write_bytes(b"not a database" * 100)
    for folder, args in (
        (folders["behind"], ["db", "upgrade", "--target", "models.0002_search"]),
        (folders["upgraded"], ["db", "upgrade"]),
    ):
        assert carnet(folder, *args).returncode == 0
    (folders["upgraded"] / "notes.txt").write_text("hello\n")
    (folders["missing"] / "notes.txt").write_text("hello\n")
    with sqlite3.connect(folders["upgraded"] / "other.sqlite3") as other:
        other.execute("CREATE TABLE t (a)")
    whole = (folders["upgraded"] / "data" / "carnet.sqlite3").read_bytes()
    (folders["upgraded"] / "damaged.sqlite3").write_bytes(whole[: len(whole) // 2])
    return folders


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    root = tmp_path_factory.mktemp("failures")
    folders = _prepare(root)
    # Each case runs in its own copy of its state's folder: running side by side, they must
    # not lock each other's database, and one creating a file must not hide another.
    for name, state, *_ in CASES:
        shutil.copytree(folders[state], root / name)

    def run(case: tuple) -> tuple[str, tuple[subprocess.CompletedProcess[str], Path]]:
        name, _, command, env, _ = case
        result = carnet(root / name, *shlex.split(command), env=env, timeout=30)
        return name, (result, root / name)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize(
    ("name", "expected", "state"),
    [(name, expected, state) for name, state, _, _, expected in CASES],
    ids=[case[0] for case in CASES],
)
@pytest.mark.slow  # the fixture runs every case: seconds, whichever case is asked
def test_a_failing_command_exits_with_one_line(outcomes, name, expected, state):
    result, folder = outcomes[name]
    line = one_line_failure(result)
    assert expected in line
    assert "s3cret-pw" not in result.stderr + result.stdout
    if state == "missing":
        assert not (folder / "data").exists()
    assert not (folder / "x.dump").exists()


# Refused before any database is opened: checked in this process (no start-up to pay).
EARLY = [
    # Settings: a configuration error naming the variable, whatever the command.
    ("forms list", {"REDIS_URL": "nonsense"},
     "carnet: configuration error: REDIS_URL: must start with redis://, rediss:// or unix://"),
    # A bad port: it used to be "unexpected ValueError: Port could not be cast...", exit 1.
    ("serve", {"REDIS_URL": "redis://h:notaport/0"},
     "carnet: configuration error: REDIS_URL: the port must be a number from 1 to 65535"),
    ("staff list", {"DATABASE_URL": "postgres://u:s3cret-pw@h:99999/db"},
     "carnet: configuration error: DATABASE_URL: the port must be a number from 1 to 65535"),
    ("staff list", {"WEB_HOST": "999.1.1.1"},
     "carnet: configuration error: WEB_HOST: must be an IP address"),
    ("roles list", {"LOG_LEVEL": "loud"}, "carnet: configuration error: LOG_LEVEL:"),
    ("serve", {"ADMIN_TELEGRAM_IDS": "99999999999999999999999"},
     "ADMIN_TELEGRAM_IDS: each Telegram user id must be between 1 and 9223372036854775807"),
    # Arguments: one line and the command's own --help, exit status 2.
    ("", {}, "carnet: the following arguments are required: COMMAND; see `carnet --help`"),
    ("forms create x", {},
     "carnet: the following arguments are required: --title; see `carnet forms create --help`"),
    ("staff add --telegram-id 99999999999999999999999", {},
     f"carnet: argument --telegram-id: {TOO_LARGE}; see `carnet staff add --help`"),
    ("staff add --telegram-id 7 --name ' '", {},
     "carnet: argument --name: must not be empty; see `carnet staff add --help`"),
    ("staff role 99999999999999999999999 --set ''", {}, TOO_LARGE),
    ("staff role 7", {}, "one of the arguments --set --add --remove is required"),
    ("fields create x --label X --type colour", {}, "argument --type: invalid choice: 'colour'"),
    ("frobnicate", {}, "argument COMMAND: invalid choice: 'frobnicate'"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "env", "expected"), EARLY, ids=[c[0] for c in EARLY])
def test_bad_arguments_and_settings_are_one_line(
    monkeypatch, capsys, tmp_path, command, env, expected
):
    monkeypatch.chdir(tmp_path)  # no .env, and nothing created here
    for name in ("DATABASE_URL", "REDIS_URL", "WEB_HOST", "LOG_LEVEL", "ADMIN_TELEGRAM_IDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        status = main(shlex.split(command))
    except SystemExit as exit_:  # argparse exits by itself
        status = exit_.code
    captured = capsys.readouterr()
    assert status not in (0, None)
    if "configuration error" in expected:
        assert status == 78  # EX_CONFIG: the systemd unit does not restart on it
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("carnet: "), captured.err
    assert expected in lines[0]
    assert list(tmp_path.iterdir()) == []
