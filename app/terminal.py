"""What every `carnet` command shares: the parser that fails in one line, argument types, and
the way results are printed (aligned tables for people, JSON for scripts)."""

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from crm.staff import MAX_TELEGRAM_ID

USAGE_ERROR = 2  # argparse's own exit status for bad arguments, kept for scripts
CONFIG_ERROR = 78  # EX_CONFIG: a bad setting, named in the message


class CliError(Exception):
    """A reason a command cannot go on, printed as `carnet: <reason>` with a non-zero exit."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: the problem and the command's --help.

    argparse prints the whole usage block first (eight lines for `forms create`), which buries
    the one that matters. Subparsers are made of this class too, so each names its own prog.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"carnet: {message}; see `{self.prog} --help`\n")


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def telegram_id(text: str) -> int:
    """A Telegram user id: Telegram's ids fit in a signed 64-bit integer (a BIGINT column)."""
    number = positive_int(text)
    if number > MAX_TELEGRAM_ID:
        raise argparse.ArgumentTypeError(f"{text} is too large (at most {MAX_TELEGRAM_ID})")
    return number


def non_blank(text: str) -> str:
    """A name typed on the command line: an empty one is a mistake, not a way to clear it."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def comma_list(text: str) -> list[str]:
    """`a, b,c` -> ['a', 'b', 'c'] (blanks dropped; '' is the empty list)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def say(text: str) -> None:
    """One line on stdout: what a command tells its user (errors go to stderr in app.cli)."""
    sys.stdout.write(f"{text}\n")


def yes(value: bool) -> str:
    return "yes" if value else "no"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the last column is never padded."""
    table = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        say("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (for scripts) instead of a table"
    )
