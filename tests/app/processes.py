"""Run `python -m app` as a user does: a real process, in its own folder, with a timeout.

Commands start warm by default (tests/app/launcher.py: a process forked from one that has
already imported app.cli, ending as `python -m app` ends); `fresh=True` starts a new
interpreter, for the tests whose subject is start-up itself. test_launcher.py checks that both
give the same answers."""

import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables a developer's shell or CI may set that would change what a command does.
CLEARED = ("DATABASE_URL", "DEFAULT_PHONE_REGION", "REDIS_URL", "WEB_HOST", "LOG_LEVEL")


class Launcher:
    """The warm launcher's server, started at the first command and stopped at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: subprocess.Popen[str] | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="carnet-launcher-")
        self.path = os.path.join(self._folder.name, "socket")

    def _start(self) -> None:
        with self._lock:
            if self._server is not None and self._server.poll() is None:
                return
            log = open(os.path.join(self._folder.name, "log"), "a")  # noqa: SIM115
            self._server = subprocess.Popen(
                [sys.executable, "-m", "tests.app.launcher", self.path],
                cwd=ROOT,
                env=_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            log.close()
            assert self._server.stdout is not None
            ready = self._server.stdout.readline()
            assert ready == "ready\n", f"the launcher did not start: {self.log()}"
            atexit.register(self.stop)

    def log(self) -> str:
        return Path(self._folder.name, "log").read_text()

    def run(
        self, folder: Path, args: list[str], env: dict[str, str], input: str | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        self._start()
        request = {
            "args": args,
            "cwd": str(folder),
            "env": env,
            "input": input,
            "timeout": timeout,
        }
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self.path)
            conn.sendall(json.dumps(request).encode())
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(timeout + 30)  # the supervisor answers by the timeout
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        assert chunks, f"the launcher gave no answer: {self.log()}"
        answer = json.loads(b"".join(chunks))
        command = [sys.executable, "-m", "app", *args]
        if answer["timed_out"]:
            raise subprocess.TimeoutExpired(command, timeout, answer["stdout"], answer["stderr"])
        return subprocess.CompletedProcess(
            command, answer["returncode"], answer["stdout"], answer["stderr"]
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server.wait()
            self._server = None
        self._folder.cleanup()


LAUNCHER = Launcher()


def _environment(env: dict[str, str] | None = None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(DATABASE_URL="sqlite://data/carnet.sqlite3", PYTHONPATH=str(ROOT))
    environment.update(env or {})
    return environment


def carnet(
    folder: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 30,
    input: str | None = None,
    fresh: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`carnet ARGS` with cwd=folder and DATABASE_URL=folder/data/carnet.sqlite3 (relative,
    as in the default) unless `env` says otherwise; raises TimeoutExpired if it hangs."""
    environment = _environment(env)
    if not fresh:
        return LAUNCHER.run(folder, list(args), environment, input, timeout)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=folder,
        env=environment,
        input=input,
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
