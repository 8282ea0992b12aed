"""The warm launcher (tests/app/launcher.py) answers as `python -m app` does: the same output,
the same exit status, the same files, for successes, refusals and bad arguments alike."""

import subprocess
from pathlib import Path

import pytest

from tests.app.processes import carnet

pytestmark = pytest.mark.own_database(half="postgres")

COMMANDS = [
    ["--version"],
    ["staff", "list"],  # no database yet: refused, and nothing created
    ["db", "upgrade"],
    ["staff", "add", "--telegram-id", "77", "--name", "Ann", "--admin"],
    ["staff", "list", "--json"],
    ["frobnicate"],
]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if "-wal" not in p.name)


@pytest.mark.slow
def test_warm_and_fresh_processes_give_the_same_answers(tmp_path):
    warm, fresh = tmp_path / "warm", tmp_path / "fresh"
    for folder in (warm, fresh):
        folder.mkdir()
    for command in COMMANDS:
        by_launcher = carnet(warm, *command)
        by_python = carnet(fresh, *command, fresh=True)
        assert (by_launcher.returncode, by_launcher.stdout, by_launcher.stderr) == (
            by_python.returncode,
            by_python.stdout,
            by_python.stderr,
        ), command
        assert _files(warm) == _files(fresh), command


def test_stdin_reaches_a_warm_command(tmp_path):
    piped = carnet(tmp_path, "forms", "edit", "contact", "--fields", "-", input="[{]")
    assert piped.returncode == 2
    assert piped.stderr.startswith("carnet: argument --fields: - is not valid JSON (line 1")


def test_a_warm_command_past_its_timeout_is_killed_and_raises(tmp_path):
    assert carnet(tmp_path, "db", "upgrade").returncode == 0
    with pytest.raises(subprocess.TimeoutExpired):
        carnet(tmp_path, "demo-data", "1000000", timeout=0.5)
    # Killed, not left running: the database is free for the next command at once.
    assert carnet(tmp_path, "staff", "add", "--telegram-id", "5", timeout=10).returncode == 0
