"""`carnet staff|roles|fields` as an administrator runs them: real processes on one file
database, through the same use cases (and guards) as the bot's /settings."""

import json
from pathlib import Path

import pytest

from tests.app.processes import ROOT, carnet, ok, one_line_failure

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("staff")
    ok(path, "db", "upgrade")
    ok(path, "staff", "add", "--telegram-id", "501", "--name", "Ann", "--admin")
    ok(path, "staff", "add", "--telegram-id", "502", "--name", "Bob", "--roles", "employee")
    return path


def _member(folder: Path, telegram_id: int, *flags: str) -> dict:
    listed = json.loads(ok(folder, "staff", "list", "--json", *flags))
    return next(m for m in listed if m["telegram_id"] == telegram_id)


def test_staff_list_shows_roles_and_admins_as_a_table_and_as_json(folder):
    lines = ok(folder, "staff", "list").splitlines()
    assert lines[0].split() == [
        *("ID", "TELEGRAM", "ID", "NAME", "ADMIN", "ACTIVE", "ROLES", "DEPARTMENTS")
    ]
    assert [line.split()[1:5] for line in lines[1:]] == [
        ["501", "Ann", "yes", "yes"],
        ["502", "Bob", "no", "yes"],
    ]
    bob = _member(folder, 502)
    assert (bob["name"], bob["is_admin"], bob["is_active"]) == ("Bob", False, True)
    assert (bob["roles"], bob["departments"]) == (["Employee"], [])


def test_roles_are_set_added_and_removed_by_name(folder):
    out = ok(folder, "staff", "role", "502", "--set", "director, Department head")
    assert out.strip().endswith("holds Department head, Director")
    assert _member(folder, 502)["roles"] == ["Department head", "Director"]
    ok(folder, "staff", "role", "502", "--remove", "Director")
    ok(folder, "staff", "role", "502", "--add", "Employee")
    assert _member(folder, 502)["roles"] == ["Department head", "Employee"]
    assert ok(folder, "staff", "role", "502", "--set", "").strip().endswith("holds no role")


def test_deactivate_hides_a_member_until_activate(folder):
    out = ok(folder, "staff", "deactivate", "502")
    assert "is deactivated" in out and "Telegram id 502" in out
    assert [m["telegram_id"] for m in json.loads(ok(folder, "staff", "list", "--json"))] == [501]
    assert _member(folder, 502, "--all")["is_active"] is False
    assert "already deactivated" in ok(folder, "staff", "deactivate", "502")
    assert "is active again" in ok(folder, "staff", "activate", "502")
    assert _member(folder, 502)["is_active"] is True


def test_roles_list_gives_each_level(folder):
    roles = {r["name"]: r for r in json.loads(ok(folder, "roles", "list", "--json"))}
    assert roles["Director"]["levels"]["read"] == "all"
    assert roles["Employee"]["levels"]["import"] == "none"
    assert ok(folder, "roles", "list").splitlines()[0].split()[:3] == ["ID", "NAME", "READ"]


def test_a_custom_field_made_here_feeds_the_readme_form(folder, tmp_path):
    out = ok(folder, "fields", "create", "team_size", "--type", "list", "--label", "Team size",
             "--options", "1-10, 11-50,50+", "--required")  # fmt: skip
    assert "maps_to: custom.team_size" in out
    ok(folder, "fields", "create", "seats", "--type", "integer", "--label", "Seats")
    listed = {f["code"]: f for f in json.loads(ok(folder, "fields", "list", "--json"))}
    assert listed["team_size"]["options"] == ["1-10", "11-50", "50+"]
    assert (listed["team_size"]["type"], listed["team_size"]["required"]) == ("list", True)
    assert listed["seats"]["type"] == "integer"
    assert ok(folder, "fields", "list").splitlines()[0].split()[:3] == ["CODE", "LABEL", "TYPE"]
    # The README's example form (it failed with "custom field 'team_size' does not exist").
    fields = [
        {"name": "name", "type": "text", "label": {"en": "Your name"}, "required": True,
         "maps_to": "name"},
        {"name": "size", "type": "select", "label": "Team size",
         "options": ["1-10", "11-50", "50+"], "maps_to": "custom.team_size"},
        {"name": "seats", "type": "number", "label": "Seats", "maps_to": "custom.seats"},
    ]  # fmt: skip
    path = tmp_path / "fields.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    ok(folder, "forms", "create", "demo", "--title", "Demo", "--fields", str(path))
    again = one_line_failure(
        carnet(folder, "fields", "create", "team_size", "--type", "string", "--label", "X")
    )
    assert again == "carnet: code: is already used by another field"


def test_staff_add_help_explains_every_option(folder):
    result = carnet(folder, "staff", "add", "--help")
    assert result.returncode == 0 and result.stderr == ""
    for option, words in (
        ("--telegram-id", "numeric Telegram user id"),
        ("--name", "the name colleagues see"),
        ("--admin", "administrator"),
        ("--roles", "roles to give them"),
    ):
        assert option in result.stdout and words in result.stdout


def test_version_is_the_installed_distribution(folder):
    from importlib.metadata import version

    result = carnet(folder, "--version", fresh=True)
    assert result.returncode == 0
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert result.stdout == f"carnet {version('carnet')}\n" == f"carnet {project['version']}\n"
