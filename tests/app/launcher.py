"""A warm start for `carnet` processes in tests: `python -m tests.app.launcher SOCKET`.

Most of a CLI command's time is Python importing what it needs (about 0.7 s; the command itself
often takes a tenth of that), and the CLI tests start some two hundred commands. This server
imports all that once, then forks a process per command asked over a Unix socket. The
command's process takes the asked folder, environment, stdin, stdout and stderr, and ends as
`python -m app` does: `raise SystemExit(main())` at the top level, so the interpreter's own
shutdown runs (a thread or a connection left open still hangs it, and the timeout still
catches that). What it does not go through is a fresh interpreter's start-up; tests of that
start `python -m app` themselves (tests/app/processes.py, `fresh=True`).

Per command, a supervisor process forks the command's process, waits for it (killing it after
the timeout) and answers with its exit status and output, so that several commands can run at
once while the server only forks.
"""

import gc
import importlib
import json
import os
import pkgutil
import select
import signal
import socket
import sys
import tempfile
from typing import Any

# What commands import: the CLI, then, on their first use, the database drivers, the
# migrations, the defaults every connected command ensures, the demo data generator.
WARM = [
    "app.cli",
    "aiosqlite",
    "tortoise.backends.sqlite",
    "tortoise.backends.asyncpg",
    "crm.setup",
    "crm.demo",
    "models.migrations",
]


def warm_up() -> None:
    """Import once what every command's process would import again."""
    for name in WARM:
        importlib.import_module(name)
    migrations = importlib.import_module("models.migrations")
    for module in pkgutil.iter_modules(migrations.__path__):
        importlib.import_module(f"models.migrations.{module.name}")
    # Objects made so far are never collected: the collector would otherwise walk them in each
    # command's process (at the latest when it exits), copying every page it touches.
    gc.freeze()


def serve(path: str) -> dict[str, Any]:
    """Accept requests for ever; returns only in a command's process, with its request."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    parent = os.getppid()
    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the test run is gone (killed, say): so is the server
                raise SystemExit(0) from None
            continue
        conn.settimeout(None)
        request = json.loads(_read_all(conn))
        if os.fork() == 0:
            listener.close()
            return _supervise(conn, request)
        conn.close()


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _supervise(conn: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
    """In the supervisor: run the command's process, answer, exit. Returns in the command's
    process only."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # waitpid works again, here and below
    with (
        tempfile.TemporaryFile() as stdin,
        tempfile.TemporaryFile() as stdout,
        tempfile.TemporaryFile() as stderr,
    ):
        stdin.write((request["input"] or "").encode())
        stdin.seek(0)
        pid = os.fork()
        if pid == 0:
            conn.close()
            for stream, fd in ((stdin, 0), (stdout, 1), (stderr, 2)):
                os.dup2(stream.fileno(), fd)
            return request
        pidfd = os.pidfd_open(pid)
        finished, _, _ = select.select([pidfd], [], [], request["timeout"])
        if not finished:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        answer = {
            "returncode": os.waitstatus_to_exitcode(status),
            "timed_out": not finished,
            "stdout": _text(stdout),
            "stderr": _text(stderr),
        }
    conn.sendall(json.dumps(answer).encode())
    conn.close()
    os._exit(0)


def _text(stream: Any) -> str:
    stream.seek(0)
    return str(stream.read().decode("utf-8", "replace"))


def _become_the_command(request: dict[str, Any]) -> None:
    """The command's process: its folder, its environment, its argv, default signals."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [sys.argv[0], *request["args"]]
    # As a fresh interpreter has them (it ignores SIGPIPE itself, as the server did).
    for number in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    warm_up()
    _become_the_command(serve(sys.argv[1]))
    from app.cli import main

    raise SystemExit(main())
