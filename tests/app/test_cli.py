"""The `carnet` CLI as a user runs it: real processes, a real file database."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.processes import carnet

pytestmark = pytest.mark.own_database

ROOT = Path(__file__).resolve().parents[2]


FIRST_UPGRADE: list[str] = []


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    result = carnet(path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    FIRST_UPGRADE.append(result.stdout)
    return path


def test_db_upgrade_creates_the_database_says_what_it_applied_and_is_idempotent(upgraded):
    assert (upgraded / "data" / "carnet.sqlite3").exists()
    assert FIRST_UPGRADE[0].startswith("applied models.0001_initial, models.0002_search, ")
    assert FIRST_UPGRADE[0].rstrip().endswith("; database is up to date")
    again = carnet(upgraded, "db", "upgrade")
    assert again.returncode == 0 and again.stdout == "database is already up to date\n"


def test_db_upgrade_to_an_earlier_target_says_what_it_rolled_back(tmp_path):
    url = {"DATABASE_URL": f"sqlite://{tmp_path / 'back.sqlite3'}"}
    assert carnet(tmp_path, "db", "upgrade", env=url).returncode == 0
    back = carnet(tmp_path, "db", "upgrade", "--target", "models.0002_search", env=url)
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith("rolled back models.")
    assert back.stdout.rstrip().endswith(
        "models.0004_contact_taken_at, models.0003_channel_contact_kind_index;"
        " database is at models.0002_search"
    )


def test_staff_add_makes_an_admin(upgraded):
    result = carnet(upgraded, "staff", "add", "--telegram-id", "4242", "--admin", "--name", "Ann")
    assert result.returncode == 0, result.stderr
    assert "admin" in result.stdout and "4242" in result.stdout
    with sqlite3.connect(upgraded / "data" / "carnet.sqlite3") as db:
        row = db.execute("SELECT name, is_admin, is_active FROM staff WHERE telegram_id = 4242")
        assert row.fetchone() == ("Ann", 1, 1)


def test_demo_data_adds_searchable_contacts(upgraded):
    result = carnet(upgraded, "demo-data", "300")
    assert result.returncode == 0, result.stderr
    assert "added 300 contacts" in result.stdout
    with sqlite3.connect(upgraded / "data" / "carnet.sqlite3") as db:
        count = db.execute("SELECT COUNT(*) FROM contact").fetchone()[0]
        indexed = db.execute(
            "SELECT COUNT(*) FROM contact_fts WHERE contact_fts MATCH 'gmail*'"
        ).fetchone()[0]
    assert count == 300
    assert indexed > 0


def test_backup_writes_a_consistent_copy_and_refuses_to_overwrite(upgraded):
    target = upgraded / "backup.sqlite3"
    first = carnet(upgraded, "backup", str(target))
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT COUNT(*) FROM staff").fetchone()[0] >= 1
    second = carnet(upgraded, "backup", str(target))
    assert second.returncode != 0
    assert "already exists" in second.stderr and "Traceback" not in second.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["staff", "add", "--telegram-id", "abc"], {}, "expected a positive whole number"),
        (["demo-data", "-5"], {}, "expected a positive whole number, got '-5'"),
        (["db", "upgrade"], {"DEFAULT_PHONE_REGION": "XX"}, "DEFAULT_PHONE_REGION"),
        (["db", "upgrade"], {"DATABASE_URL": "oracle://x"}, "DATABASE_URL"),
        (["backup", "/nonexistent/dir/x.sqlite3"], {}, "does not exist"),
        (["frobnicate"], {}, "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_gives_one_line_and_a_non_zero_exit(upgraded, args, env, expected):
    result = carnet(upgraded, *args, env=env)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("carnet: ")


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path):
    result = carnet(
        tmp_path,
        "staff",
        "add",
        "--telegram-id",
        "1",
        env={"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_serve_answers_healthz_says_the_bot_is_off_and_stops_cleanly(upgraded):
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment.update(
        DATABASE_URL=f"sqlite://{upgraded / 'data' / 'carnet.sqlite3'}", WEB_PORT=str(port)
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=upgraded,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60  # start-up imports aiogram: slow on a busy machine
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and json.loads(body)["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "bot: off" in output
    assert "Traceback" not in output


def test_version_comes_from_the_one_version_helper(monkeypatch, capsys):
    """`carnet --version` and /healthz read the same function (app.version): one answer."""
    from importlib.metadata import PackageNotFoundError

    from app import version
    from app.cli import main

    def not_installed(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(version, "version", not_installed)
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == "carnet unknown\n"
