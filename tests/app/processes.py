"""Run `python -m app` as a user does: a real process, in its own folder, with a timeout."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables a developer's shell or CI may set that would change what a command does.
CLEARED = ("DATABASE_URL", "DEFAULT_PHONE_REGION", "REDIS_URL", "WEB_HOST", "LOG_LEVEL")


def carnet(
    folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`carnet ARGS` with cwd=folder and DATABASE_URL=folder/data/carnet.sqlite3 (relative,
    as in the default) unless `env` says otherwise; raises TimeoutExpired if it hangs."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(DATABASE_URL="sqlite://data/carnet.sqlite3", PYTHONPATH=str(ROOT))
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(folder: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = carnet(folder, *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    """The single `carnet: ...` line a failing command printed (asserted: non-zero exit, one
    line on stderr, no traceback)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("carnet: "), result.stderr
    return lines[0]
