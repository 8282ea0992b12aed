"""Finding the system tools the deploy tests drive, or skipping with the reason."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
REQUIRED = os.environ.get("CARNET_REQUIRE_DEPLOY") == "1"


def unavailable(reason: str) -> None:
    """Skip with `reason`, or fail when CARNET_REQUIRE_DEPLOY=1 (as in CI)."""
    if REQUIRED:
        pytest.fail(f"{reason}, and CARNET_REQUIRE_DEPLOY=1", pytrace=False)
    pytest.skip(f"{reason} (set CARNET_REQUIRE_DEPLOY=1 to make this a failure)")


def tool(name: str, *places: str, package: str) -> str:
    """The path of the program `name` (on PATH or in `places`), or skip naming its package."""
    found = shutil.which(name) or next((p for p in places if os.access(p, os.X_OK)), None)
    if found is None:
        unavailable(f"{name} is not installed (apt-get install {package})")
    assert found is not None
    return found
