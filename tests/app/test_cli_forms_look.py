"""`carnet forms create|edit` with a form's texts per language and the company's brand, as an
administrator runs them: real processes, a real file database (issue 12, hole 7)."""

import json

import pytest

from tests.app.test_cli_forms import carnet, ok, row

pytestmark = pytest.mark.own_database

FIELDS = [
    {"name": "who", "type": "text", "maps_to": "name", "required": True,
     "label": {"en": "Your name", "fr": "Votre nom"},
     "placeholder": {"en": "Jane Doe", "fr": "Jeanne Dupont"}},
    {"name": "size", "type": "select", "label": {"en": "Team size", "fr": "Effectif"},
     "options": ["1-10", "11-50"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms-look")
    ok(path, "db", "upgrade")
    return path


def test_create_takes_the_french_texts_the_brand_and_bilingual_fields(database, tmp_path):
    fields = tmp_path / "fields.json"
    fields.write_text(json.dumps(FIELDS), encoding="utf-8")
    ok(
        database,
        *("forms", "create", "devis", "--title", "Get a quote", "--title-fr", "Demandez un devis"),
        *("--consent", "I agree.", "--consent-fr", "J'accepte.", "--success-fr", "Merci !"),
        *("--brand-name", "Acme", "--accent-color", "#8A1538"),
        *("--logo-url", "https://cdn.acme.example/logo.png", "--fields", str(fields)),
    )
    stored = row(database, "devis")
    assert json.loads(stored["translations"]) == {
        "fr": {
            "title": "Demandez un devis",
            "consent_text": "J'accepte.",
            "success_text": "Merci !",
        }
    }
    assert (stored["title"], stored["consent_text"]) == ("Get a quote", "I agree.")
    assert (stored["brand_name"], stored["accent_color"], stored["logo_url"]) == (
        "Acme",
        "#8a1538",
        "https://cdn.acme.example/logo.png",
    )
    shown = json.loads(ok(database, "forms", "show", "devis"))
    assert shown["translations"]["fr"]["title"] == "Demandez un devis"
    assert (shown["brand_name"], shown["accent_color"]) == ("Acme", "#8a1538")
    assert shown["logo_url"] == "https://cdn.acme.example/logo.png"
    assert shown["fields"][0]["label"] == {"en": "Your name", "fr": "Votre nom"}
    assert shown["fields"][0]["placeholder"] == {"en": "Jane Doe", "fr": "Jeanne Dupont"}


def test_edit_changes_one_language_and_an_empty_value_clears(database):
    ok(
        database,
        "forms",
        "edit",
        "devis",
        "--success-fr",
        "Merci, à bientôt",
        "--title-en",
        "Quote",
    )
    stored = row(database, "devis")
    assert stored["title"] == "Quote"  # English is the team's language: the form's own text
    assert json.loads(stored["translations"])["fr"]["success_text"] == "Merci, à bientôt"
    ok(database, "forms", "edit", "devis", "--title-fr", "", "--logo-url", "", "--accent-color", "")
    stored = row(database, "devis")
    assert "title" not in json.loads(stored["translations"])["fr"]
    assert (stored["logo_url"], stored["accent_color"], stored["brand_name"]) == (
        None,
        None,
        "Acme",
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--accent-color", "red"], "accent_color: must be a colour written #rrggbb"),
        (["--logo-url", "http://acme.example/l.png"], "logo_url: must be an https:// address"),
        (["--title-fr", "x" * 201], "translations: fr title is longer than 200 characters"),
        (["--title-en", ""], "title: is required"),
    ],
)
def test_a_bad_colour_logo_or_text_is_one_line_and_a_non_zero_exit(database, args, expected):
    result = carnet(database, "forms", "edit", "devis", *args)
    assert result.returncode != 0
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert row(database, "devis")["title"] == "Quote"  # unchanged
