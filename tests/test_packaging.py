"""What an installed (not editable) Carnet carries: every translation file, and its license."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "bot", "crm", "forms", "models", "scheduler")


def test_every_translation_file_is_package_data():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["*"]
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.ftl")]
    assert len(files) >= 20
    for path in files:
        package_dir = next(d for d in path.parents if (d / "__init__.py").exists())
        relative = path.relative_to(package_dir).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_license_ships_with_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / project["license-files"][0]).read_text("utf-8")


def test_the_changelog_has_a_section_for_the_packages_version():
    import re

    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert released and released[0] == version, "the newest release in CHANGELOG.md"
    assert "## [Unreleased]" in changelog
