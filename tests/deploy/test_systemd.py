"""deploy/carnet.service: `systemd-analyze verify` finds nothing to say, and it would.

The unit names /opt/carnet/.venv/bin/carnet, which does not exist here, so verify runs with
--root on a fake root holding this system's own units (sysinit.target and friends) and an
executable at that path. The unit file itself is checked as shipped. With --root, verify
loads a unit by its name from the root's unit folders (not from the path given), so each
check writes the text it verifies to the root's /etc/systemd/system first.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, tool, unavailable

pytestmark = pytest.mark.own_database(half="postgres")

UNIT = DEPLOY / "carnet.service"
SYSTEM_UNITS = ("/usr/lib/systemd/system", "/lib/systemd/system")


@pytest.fixture(scope="module")
def analyze() -> str:
    return tool("systemd-analyze", "/usr/bin/systemd-analyze", package="systemd")


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory: pytest.TempPathFactory, analyze: str) -> Path:
    """A root with the system's units and the executable the unit starts; verify must be clean
    on a minimal unit there, or this container cannot run it and the tests skip."""
    root = tmp_path_factory.mktemp("root")
    units = next((Path(p) for p in SYSTEM_UNITS if Path(p, "sysinit.target").exists()), None)
    if units is None:
        unavailable("systemd's own units (sysinit.target) are not installed")
    assert units is not None
    shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
    executable = root / "opt/carnet/.venv/bin/carnet"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    output = _verify(analyze, root, "[Service]\nExecStart=/opt/carnet/.venv/bin/carnet serve\n")
    if output:
        unavailable(f"systemd-analyze verify cannot run here: {output.strip()[:300]}")
    return root


def _verify(analyze: str, root: Path, text: str) -> str:
    """What `systemd-analyze verify` says about a unit carnet.service of this text (warnings
    included, with the exit status when it is not 0); empty when it has nothing to say."""
    unit = root / "etc/systemd/system/carnet.service"
    unit.write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", "--generators=no", f"--root={root}", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = (result.stdout + result.stderr).strip()
    return f"{said}\n(exit status {result.returncode})" if said or result.returncode else ""


def _unit_variant(pattern: str, replacement: str) -> str:
    """The shipped unit with one line changed."""
    text, changed = re.subn(pattern, replacement, UNIT.read_text(), count=1, flags=re.M)
    assert changed == 1, f"no line matches {pattern!r} in {UNIT}"
    return text


def test_the_unit_verifies_without_a_warning(analyze, fake_root):
    assert _verify(analyze, fake_root, UNIT.read_text()) == ""


@pytest.mark.parametrize(
    ("pattern", "replacement", "complaint"),
    [
        (r"^Restart=on-failure$", "Restatr=on-failure", "Unknown key"),
        (r"^ProtectSystem=strict$", "ProtectSystem=strikt", "protect system"),
        (r"^TimeoutStopSec=.*$", "TimeoutStopSec=75 parsecs", "time value"),
        (r"^ExecStart=/opt/carnet/", "ExecStart=/opt/carnot/", "not executable"),
    ],
    ids=["misspelt-key", "bad-value", "bad-time", "missing-program"],
)
def test_a_broken_unit_does_not_verify(analyze, fake_root, pattern, replacement, complaint):
    variant = _unit_variant(pattern, replacement)
    assert complaint.lower() in _verify(analyze, fake_root, variant).lower()


def test_the_unit_is_hardened(analyze, fake_root):
    """systemd's own exposure score (0 safest, 10 unconfined) stays at 2 or below."""
    unit = fake_root / "etc/systemd/system/carnet.service"
    unit.write_text(UNIT.read_text())
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", "--no-pager",
         f"--root={fake_root}", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def test_the_unit_migrates_then_serves_as_the_carnet_user_and_stops_with_sigterm():
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", "[")):
            settings.setdefault(key.strip(), []).append(value.strip())
    assert settings["ExecStartPre"] == ["/opt/carnet/.venv/bin/carnet db upgrade"]
    assert settings["ExecStart"] == ["/opt/carnet/.venv/bin/carnet serve"]
    assert settings["User"] == ["carnet"] and settings["Restart"] == ["on-failure"]
    assert settings["KillSignal"] == ["SIGTERM"] and settings["ProtectSystem"] == ["strict"]
    # The one writable place is the working directory, where the default SQLite file goes.
    assert settings["WorkingDirectory"] == settings["ReadWritePaths"] == ["/var/lib/carnet"]
    assert settings["StateDirectory"] == ["carnet"]
