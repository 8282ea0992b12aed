"""`carnet forms list|create|edit|disable` as an administrator runs them: real processes, a real
file database."""

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.app import processes

pytestmark = pytest.mark.own_database

KEY = "a-random-server-key-0123456789"


def carnet(path: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    database = {"DATABASE_URL": f"sqlite://{path / 'carnet.sqlite3'}"}
    return processes.carnet(path, *args, env=database, input=input, timeout=120)


def ok(path: Path, *args: str, input: str | None = None) -> str:
    result = carnet(path, *args, input=input)
    assert result.returncode == 0, result.stderr
    return result.stdout


def row(path: Path, slug: str) -> sqlite3.Row:
    with sqlite3.connect(path / "carnet.sqlite3") as db:
        db.row_factory = sqlite3.Row
        found = db.execute("SELECT * FROM web_form WHERE slug = ?", (slug,)).fetchone()
    assert found is not None
    return found


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("forms")
    ok(path, "db", "upgrade")
    ok(path, "staff", "add", "--telegram-id", "501", "--name", "Ann")
    return path


def test_list_shows_the_contact_form_from_the_first_run(database):
    lines = ok(database, "forms", "list").splitlines()
    assert lines[0].split() == [
        *("SLUG", "TITLE", "SCHEME", "POLICY", "ACTIVE"),
        *("LEADS", "PENDING", "SPAM", "HELD", "REJECTED", "FAILED"),
    ]
    assert lines[1].split() == [
        *("contact", "Contact", "us", "contact", "merge", "yes"),
        *("0", "0", "0", "0", "0", "0"),
    ]


def test_create_stores_every_option_and_never_prints_the_key(database):
    out = ok(
        database,
        "forms",
        "create",
        "quotes",
        "--title",
        "Quote request",
        "--scheme",
        "quote",
        "--dedup",
        "replace",
        "--queue",
        "1",
        "--redirect",
        "https://site.example/thanks",
        "--origins",
        "https://Site.example,https://shop.example:8443",
        "--api-key",
        KEY,
        "--consent",
        "I agree to be called back.",
    )
    assert out.startswith("created form 'quotes' (active): scheme quote, duplicates replace")
    assert KEY not in out
    form = row(database, "quotes")
    assert (form["title"], form["scheme"], form["dedup_policy"]) == (
        "Quote request",
        "quote",
        "replace",
    )
    assert json.loads(form["responsible_queue"]) == [1]
    assert form["redirect_url"] == "https://site.example/thanks"
    assert json.loads(form["allowed_origins"]) == [
        "https://site.example",
        "https://shop.example:8443",
    ]
    assert form["api_key_hash"] and KEY not in form["api_key_hash"]
    assert (form["consent_text"], form["consent_required"]) == ("I agree to be called back.", 1)
    assert json.loads(form["fields_spec"]) == json.loads(row(database, "contact")["fields_spec"])


def test_edit_changes_only_what_is_given_and_disable_hides_the_form(database):
    ok(database, "forms", "create", "spring", "--title", "Spring")
    out = ok(database, "forms", "edit", "spring", "--no-consent", "--dedup", "allow")
    assert "duplicates allow" in out and "consent off" in out
    form = row(database, "spring")
    assert (form["title"], form["consent_required"], form["consent_text"]) == ("Spring", 0, None)
    assert ok(database, "forms", "disable", "spring").strip() == (
        "form 'spring' is disabled (its submissions are kept)"
    )
    listed = {
        line.split()[0]: line.split() for line in ok(database, "forms", "list").splitlines()[1:]
    }
    assert listed["spring"][-7:] == ["no", "0", "0", "0", "0", "0", "0"]
    ok(database, "forms", "edit", "spring", "--enable")
    assert row(database, "spring")["is_active"] == 1


def test_list_counts_leads_apart_from_spam_held_rejected_and_pending_posts(database):
    ok(database, "forms", "create", "counted", "--title", "Counted")
    form_id = row(database, "counted")["id"]
    statuses = ["created"] * 8 + ["merged"] * 2 + ["spam"] * 15 + ["held"] * 3
    statuses += ["rejected", "received"]
    with sqlite3.connect(database / "carnet.sqlite3") as db:
        for status in statuses:
            db.execute(
                "INSERT INTO form_submission (form_id, received_at, payload, utm, status)"
                " VALUES (?, '2030-01-01 00:00:00+00:00', '{}', '{}', ?)",
                (form_id, status),
            )
    line = next(
        line for line in ok(database, "forms", "list").splitlines() if line.startswith("counted")
    )
    # LEADS (created + merged), PENDING, SPAM, HELD, REJECTED, FAILED: 30 posts, 10 leads.
    assert line.split()[-6:] == ["10", "1", "15", "3", "1", "0"]
    listed = {form["slug"]: form for form in json.loads(ok(database, "forms", "list", "--json"))}
    assert listed["counted"]["submissions"] == 30 and listed["counted"]["leads"] == 10
    assert listed["counted"]["outcomes"] == {
        "received": 1,
        "created": 8,
        "merged": 2,
        "spam": 15,
        "held": 3,
        "rejected": 1,
        "failed": 0,
    }
    shown = json.loads(ok(database, "forms", "show", "counted"))
    assert (shown["submissions"], shown["leads"], shown["outcomes"]["held"]) == (30, 10, 3)


def test_held_lists_the_spam_and_held_posts_of_a_form_newest_first(database):
    ok(database, "forms", "create", "flooded", "--title", "Flooded")
    form_id = row(database, "flooded")["id"]
    posts = [
        ("2030-01-01 09:00:00+00:00", "held", "rate limit: address", "Ann Held", "ann@x.fr"),
        ("2030-01-01 10:00:00+00:00", "spam", "trap", "Bot <b>", "bot@x.fr"),
        ("2030-01-01 11:00:00+00:00", "created", None, "Real Lead", "real@x.fr"),
        ("2030-01-01 12:00:00+00:00", "held", "rate limit: form", "Zoé Late", None),
    ]
    with sqlite3.connect(database / "carnet.sqlite3") as db:
        for at, status, reason, name, email in posts:
            payload = json.dumps({"name": name, "email": email})
            db.execute(
                "INSERT INTO form_submission (form_id, received_at, payload, utm, status, reason)"
                " VALUES (?, ?, ?, '{}', ?, ?)",
                (form_id, at, payload, status, reason),
            )
    lines = ok(database, "forms", "held", "flooded").splitlines()
    assert lines[0].split() == ["ID", "RECEIVED", "STATUS", "REASON", "NAME", "E-MAIL"]
    assert [line.split()[3] for line in lines[1:4]] == ["held", "spam", "held"]
    assert "rate limit: form" in lines[1] and "Zoé Late" in lines[1]
    assert "2030-01-01 12:00" in lines[1] and "Ann Held" in lines[3] and "ann@x.fr" in lines[3]
    assert "Real Lead" not in "\n".join(lines)
    assert lines[-1] == "3 held posts; release or delete them in the bot: /settings → Web forms"
    document = json.loads(ok(database, "forms", "held", "flooded", "--json"))
    assert (document["slug"], document["total"], document["page"], document["pages"]) == (
        "flooded",
        3,
        1,
        1,
    )
    first = document["submissions"][0]
    assert (first["status"], first["reason"], first["name"], first["email"]) == (
        "held",
        "rate limit: form",
        "Zoé Late",
        None,
    )
    assert first["received_at"].startswith("2030-01-01T12:00:00")
    assert [s["name"] for s in document["submissions"]] == ["Zoé Late", "Bot <b>", "Ann Held"]


def test_held_of_an_unknown_form_says_so(database):
    result = carnet(database, "forms", "held", "nowhere")
    assert result.returncode != 0
    assert "form 'nowhere' does not exist" in result.stderr


FIELDS = [
    {"name": "who", "type": "text", "label": {"en": "Your name", "fr": "Votre nom"},
     "required": True, "maps_to": "name"},
    {"name": "mobile", "type": "tel", "label": "Mobile", "placeholder": {"fr": "06 12 34 56 78"},
     "maps_to": "phone"},
    {"name": "firm", "type": "text", "label": "Company", "maps_to": "company"},
    {"name": "size", "type": "select", "label": "Team size", "options": ["1-10", "11-50"]},
]  # fmt: skip


def test_fields_come_from_a_json_file_and_show_prints_them_back(database, tmp_path):
    path = tmp_path / "fields.json"
    path.write_text(json.dumps(FIELDS), encoding="utf-8")
    ok(database, "forms", "create", "custom", "--title", "Custom", "--fields", str(path))
    shown = json.loads(ok(database, "forms", "show", "custom"))
    assert [(f["name"], f["type"], f["maps_to"]) for f in shown["fields"]] == [
        ("who", "text", "name"),
        ("mobile", "tel", "phone"),
        ("firm", "text", "company"),
        ("size", "select", None),
    ]
    assert shown["fields"][1]["label"] == {"en": "Mobile"}
    assert shown["fields"][3]["options"] == ["1-10", "11-50"]
    assert (shown["slug"], shown["has_api_key"], shown["submissions"]) == ("custom", False, 0)
    # What `show` prints goes back in as is (its "fields" are taken): edit a label and save.
    shown["fields"][2]["label"] = {"en": "Company", "fr": "Société"}
    path.write_text(json.dumps(shown), encoding="utf-8")
    ok(database, "forms", "edit", "custom", "--fields", str(path))
    stored = json.loads(row(database, "custom")["fields_spec"])
    assert stored[2]["label"] == {"en": "Company", "fr": "Société"}


def test_fields_can_be_piped_in(database):
    ok(database, "forms", "edit", "custom", "--fields", "-", input=json.dumps(FIELDS[:2]))
    assert [f["name"] for f in json.loads(row(database, "custom")["fields_spec"])] == [
        "who",
        "mobile",
    ]


def test_show_never_prints_the_api_key(database):
    ok(database, "forms", "create", "keyed", "--title", "Keyed", "--api-key", KEY)
    out = ok(database, "forms", "show", "keyed")
    assert KEY not in out and json.loads(out)["has_api_key"] is True


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ('[{"name": "who", "label": "Name"}]', "fields: one field must feed the contact's name"),
        (
            '[{"name": "who", "label": "Name", "maps_to": "name"},'
            ' {"name": "when", "type": "date", "label": "Phone", "maps_to": "phone"}]',
            "fields.1: a field that feeds phone must be of type tel or text",
        ),
        ('[{"name": "consent", "label": "x", "maps_to": "name"}]', "name 'consent' is reserved"),
        ("[]", "fields: must be a non-empty list of fields"),
    ],
)
def test_bad_fields_are_named_one_line(database, tmp_path, fields, expected):
    path = tmp_path / "bad.json"
    path.write_text(fields, encoding="utf-8")
    result = carnet(database, "forms", "edit", "contact", "--fields", str(path))
    assert result.returncode != 0
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert json.loads(row(database, "contact")["fields_spec"])[0]["name"] == "name"  # unchanged


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[{"name": ', "is not valid JSON (line 1, column 11"),
        ('"name"', 'must hold a list of fields, or a form with a "fields" list'),
        (None, "cannot read"),
    ],
)
def test_an_unreadable_fields_file_is_refused_by_the_parser(database, tmp_path, content, expected):
    path = tmp_path / "fields.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = carnet(database, "forms", "edit", "contact", "--fields", str(path))
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "nope"], "form 'nope' does not exist"),
        (["create", "contact", "--title", "Again"], "already used by another form"),
        (["create", "Bad Slug", "--title", "X"], "slug: must be"),
        (
            ["create", "x1", "--title", "X", "--scheme", "invoice", "--redirect", "javascript:1"],
            "scheme: must be one of contact, deal, quote; redirect_url: must be",
        ),
        (["create", "x3", "--title", "X", "--queue", "424242"], "staff #424242 do not exist"),
        (["edit", "nope", "--title", "X"], "form 'nope' does not exist"),
        (["edit", "contact"], "give at least one setting to change"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(database, args, expected):
    result = carnet(database, "forms", *args)
    assert result.returncode != 0
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["create", "x6", "--title", "X", "--consent", "ok", "--no-consent"],
            "carnet: argument --no-consent: not allowed with argument --consent;"
            " see `carnet forms create --help`",
        ),
        (
            ["create", "x7"],
            "carnet: the following arguments are required: --title;"
            " see `carnet forms create --help`",
        ),
    ],
)
def test_bad_arguments_are_refused_by_the_parser_in_one_line(database, args, expected):
    result = carnet(database, "forms", *args)
    assert result.returncode == 2
    assert result.stderr == expected + "\n"
