"""A pytest plugin for `make test`: one line per finished test file, labelled by database.

`make test` runs the SQLite and PostgreSQL halves side by side; dots from two processes would
mix into one unreadable line, and buffering each half until it ends left the terminal silent
for minutes. With CARNET_TEST_LABEL set, passing and skipped tests print nothing and each file
prints a line such as

    [sqlite] tests/bot/test_card.py: 41 passed (3.2 s) · 312/1446 done, 2:31

Failures still print in full at the end, and skip reasons are listed (`-rs` in the Makefile).
Without the variable (plain `pytest`), pytest reports as usual.
"""

import os
import time
from collections import Counter

import pytest

LABEL = "CARNET_TEST_LABEL"


class FileProgress:
    def __init__(self, label: str, config: pytest.Config) -> None:
        self.label = label
        self.config = config
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.file: str | None = None
        self.file_started = self.started
        self.outcomes: Counter[str] = Counter()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self._line(f"{self.total} tests collected")

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """No dot for a pass or a skip: the file's line counts them."""
        if report.passed and report.when == "call" and not hasattr(report, "wasxfail"):
            return "passed", "", "PASSED"
        if report.skipped and not hasattr(report, "wasxfail"):
            return "skipped", "", "SKIPPED"
        return None

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        file = nodeid.split("::", 1)[0]
        if file != self.file:
            self._flush()
            self.file, self.file_started = file, time.monotonic()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.outcomes["failed" if report.when == "call" else "error"] += 1
        elif report.skipped:
            self.outcomes["skipped"] += 1
        elif report.when == "call":
            self.outcomes["passed"] += 1

    def pytest_runtest_logfinish(self) -> None:
        self.done += 1

    def pytest_sessionfinish(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self.file is None or not self.outcomes:
            return
        counts = ", ".join(
            f"{n} {'FAILED' if what == 'failed' else what.upper() if what == 'error' else what}"
            for what, n in sorted(self.outcomes.items())
        )
        took = time.monotonic() - self.file_started
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        self._line(
            f"{self.file}: {counts} ({took:.1f} s) · {self.done}/{self.total} done,"
            f" {minutes}:{seconds:02d}"
        )
        self.outcomes.clear()

    def _line(self, text: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"[{self.label}] {text}", flush=True)


def pytest_configure(config: pytest.Config) -> None:
    label = os.environ.get(LABEL)
    if label:
        config.pluginmanager.register(FileProgress(label, config), "carnet-file-progress")
