"""A web form's texts per language and the company's brand (issue 12, hole 7): the pure rules,
the visitor's view of a form, and the use cases that set them."""

from dataclasses import replace

import pytest

from crm import config
from crm.actors import system_actor
from crm.errors import PermissionDeniedError, ValidationError
from crm.rules.fields import FieldError
from crm.rules.webform_look import (
    check_accent_color,
    check_logo_url,
    check_translations,
    logo_origin,
    merged_translations,
)
from crm.rules.webforms import FormField
from crm.webforms import definitions
from crm.webforms.definitions import DEFAULT_TEXTS, PublicForm
from models import HistoryEntry, WebForm
from tests.conftest import actor_of

CLI = system_actor("cli")


def a_form(**changes) -> PublicForm:
    values = dict(
        id=1, slug="quote", title="Ask for a quote",
        fields=[
            FormField("name", "text", {"en": "Name", "fr": "Nom"}, True, {"fr": "Jeanne"}, "name"),
            FormField("size", "select", {"en": "Size"}, options=["S", "M"]),
        ],
        scheme="contact", consent_text="I agree.", consent_required=True,
        success_text="Thanks!", redirect_url=None, allowed_origins=[], has_api_key=False,
        translations={"fr": {"title": "Demandez un devis", "consent_text": "J'accepte.",
                             "success_text": "Merci !"}},
    )  # fmt: skip
    values.update(changes)
    return PublicForm(**values)


# --- pure rules -----------------------------------------------------------------------------


def test_an_accent_colour_is_hash_and_six_hex_digits_only():
    assert check_accent_color("#1F5FBF") == "#1f5fbf"
    assert check_accent_color(" ") is None and check_accent_color(None) is None
    for bad in ("red", "#fff", "1f5fbf", "#1f5fbg", "rgb(1,2,3)", "#1f5fbf;x", 123):
        with pytest.raises(FieldError, match="#rrggbb"):
            check_accent_color(bad)


def test_a_logo_url_is_https_with_a_plain_host_and_bounded():
    url = "https://cdn.example.com:8443/img/logo.png?v=2"
    assert check_logo_url(url) == url and logo_origin(url) == "https://cdn.example.com:8443"
    assert logo_origin("http://example.com/l.png") is None and logo_origin(None) is None
    assert logo_origin("https://Example.COM/a.svg") == "https://example.com"
    assert check_logo_url("") is None
    for bad in (
        "http://example.com/logo.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//example.com/logo.png",
        "https://user@example.com/logo.png",
        "https://exa mple.com/logo.png",
        "https://example.com;script-src *",
        'https://example.com/"onerror=x',
        "https://exämple.com/logo.png",
    ):
        with pytest.raises(FieldError, match="https://"):
            check_logo_url(bad)
    with pytest.raises(FieldError, match="longer than 500"):
        check_logo_url("https://example.com/" + "a" * 500)


def test_translations_name_the_language_and_the_text_at_fault():
    assert check_translations({"fr": {"title": " Devis ", "success_text": ""}}) == {
        "fr": {"title": "Devis", "success_text": None}
    }
    with pytest.raises(FieldError, match="language must be one of en, fr"):
        check_translations({"de": {"title": "Angebot"}})
    with pytest.raises(FieldError, match="not 'subtitle'"):
        check_translations({"fr": {"subtitle": "x"}})
    with pytest.raises(FieldError, match="fr title is longer than 200"):
        check_translations({"fr": {"title": "x" * 201}})
    assert merged_translations(
        {"fr": {"title": "A", "success_text": "B"}}, {"fr": {"title": None, "success_text": "C"}}
    ) == {"fr": {"success_text": "C"}}
    assert merged_translations({"fr": {"title": "A"}}, {"fr": {"title": None}}) == {}


def test_a_french_visitor_sees_every_text_of_the_form_in_french():
    french = a_form().in_language("fr")
    assert (french.title, french.consent_text, french.success_text) == (
        "Demandez un devis",
        "J'accepte.",
        "Merci !",
    )
    assert [f.label_in("fr") for f in french.fields] == ["Nom", "Size"]  # no French: the team's
    assert french.fields[0].placeholder == {"fr": "Jeanne"}
    english = a_form().in_language("en")
    assert (english.title, english.consent_text, english.success_text) == (
        "Ask for a quote",
        "I agree.",
        "Thanks!",
    )
    assert [f.label_in("en") for f in english.fields] == ["Name", "Size"]
    assert english.fields[0].placeholder == {}  # only a French one: none rather than French


def test_a_missing_translation_falls_back_to_the_teams_text_or_the_stock_one():
    form = a_form(
        translations={"fr": {"title": "Devis"}}, consent_text=DEFAULT_TEXTS["en"]["consent"]
    )
    french = form.in_language("fr")
    assert french.title == "Devis" and french.success_text == "Thanks!"
    assert french.consent_text == DEFAULT_TEXTS["fr"]["consent"]  # stock, untouched
    # No consent text, no consent box, whatever the translations hold.
    assert replace(form, consent_text=None).in_language("fr").consent_text is None


def test_labels_fall_back_to_the_teams_language_before_english():
    config.configure(config.CoreConfig(default_language="fr"))
    try:
        field = FormField("size", "text", {"en": "Size", "fr": "Taille"})
        assert field.in_language("de", "fr").label_in("de") == "Taille"
        form = a_form(fields=[field]).in_language("de")
        assert form.fields[0].label_in("de") == "Taille"
    finally:
        config.configure(config.CoreConfig())


# --- use cases ------------------------------------------------------------------------------


async def make_form(**settings) -> definitions.FormDetails:
    return await definitions.create_form(CLI, {"slug": "quote", "title": "Quote", **settings})


async def test_a_text_is_set_and_cleared_per_language(db):
    await make_form()
    details = await definitions.set_form_text(CLI, "quote", "title", "fr", "Devis")
    assert details.form.translations == {"fr": {"title": "Devis"}}
    assert details.form.text_in("title", "fr") == "Devis"
    assert (await definitions.get_public_form("quote")).in_language("fr").title == "Devis"
    # The team's language is the form's own text.
    details = await definitions.set_form_text(CLI, "quote", "title", "en", "Get a quote")
    assert details.form.title == "Get a quote" and details.form.text_in("title", "en") == (
        "Get a quote"
    )
    details = await definitions.set_form_text(CLI, "quote", "success_text", "fr", "Merci")
    details = await definitions.set_form_text(CLI, "quote", "title", "fr", None)
    assert details.form.translations == {"fr": {"success_text": "Merci"}}
    assert (await WebForm.get(slug="quote")).translations == {"fr": {"success_text": "Merci"}}
    entry = (
        await HistoryEntry.filter(entity="web_form", field="translations").order_by("-id").first()
    )
    assert entry is not None and "fr title: Devis" in entry.before


async def test_bad_texts_are_refused_with_clear_errors(db):
    await make_form()
    with pytest.raises(ValidationError) as caught:
        await definitions.set_form_text(CLI, "quote", "title", "en", None)
    assert caught.value.errors == {"title": "is required"}
    with pytest.raises(ValidationError) as caught:
        await definitions.set_form_text(CLI, "quote", "title", "fr", "x" * 201)
    assert caught.value.errors == {"translations": "fr title is longer than 200 characters"}
    with pytest.raises(ValidationError) as caught:
        await definitions.set_form_text(CLI, "quote", "title", "de", "Angebot")
    assert "language" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        await definitions.set_form_text(CLI, "quote", "consent_text", "en", "")
    assert "consent_text" in caught.value.errors  # consent is required


async def test_a_form_is_created_with_its_texts_in_both_languages(db):
    details = await make_form(
        translations={
            "en": {"success_text": "Thanks"},
            "fr": {"title": "Devis", "consent_text": "J'accepte", "success_text": "Merci"},
        }
    )
    form = details.form
    assert (form.title, form.success_text) == ("Quote", "Thanks")
    assert form.translations == {
        "fr": {"title": "Devis", "consent_text": "J'accepte", "success_text": "Merci"}
    }


async def test_the_brand_is_set_checked_and_cleared(db):
    await make_form()
    details = await definitions.set_brand(
        CLI,
        "quote",
        brand_name="Acme <SARL>",
        accent_color="#C0FFEE",
        logo_url="https://acme.fr/l.png",
    )
    form = details.form
    assert (form.brand_name, form.accent_color, form.logo_url) == (
        "Acme <SARL>",
        "#c0ffee",
        "https://acme.fr/l.png",
    )
    with pytest.raises(ValidationError) as caught:
        await definitions.set_brand(
            CLI, "quote", accent_color="blue", logo_url="http://acme.fr/l.png"
        )
    assert set(caught.value.errors) == {"accent_color", "logo_url"}
    assert "#rrggbb" in caught.value.errors["accent_color"]
    assert "https://" in caught.value.errors["logo_url"]
    details = await definitions.set_brand(CLI, "quote", logo_url=None, accent_color="")
    assert (details.form.logo_url, details.form.accent_color) == (None, None)
    assert details.form.brand_name == "Acme <SARL>"


async def test_only_staff_with_the_settings_right_set_texts_and_brand(db, make_staff):
    await make_form()
    clerk = await actor_of(await make_staff("Clerk"))
    with pytest.raises(PermissionDeniedError):
        await definitions.set_form_text(clerk, "quote", "title", "fr", "Devis")
    with pytest.raises(PermissionDeniedError):
        await definitions.set_brand(clerk, "quote", accent_color="#000000")


# --- a choice list's options per language ---------------------------------------------------

SIZES = {"name": "size", "type": "select", "label": {"en": "Size", "fr": "Taille"}}


def test_a_select_has_its_options_labelled_per_language():
    from crm.rules.webforms import check_field

    field = check_field(
        {**SIZES, "options": ["Small", "Large"], "option_labels": {"fr": [" Petite ", "Grande"]}}
    )
    assert field.option_labels == {"fr": ["Petite", "Grande"]}
    assert field.to_spec()["option_labels"] == {"fr": ["Petite", "Grande"]}
    assert "option_labels" not in check_field({**SIZES, "options": ["S"]}).to_spec()
    french = field.in_language("fr")
    assert (french.options, french.option_labels_in("fr")) == (
        ["Small", "Large"],
        ["Petite", "Grande"],
    )
    assert field.in_language("en").option_labels_in("en") == ["Small", "Large"]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"fr": ["Petite"]}, "option_labels (fr) must give one label per option (2)"),
        ({"de": ["Klein", "Groß"]}, "option_labels language must be one of en, fr"),
        ({"fr": ["Petite", ""]}, "option_labels (fr) must be non-empty texts"),
        (["Petite", "Grande"], "option_labels must map languages (en, fr) to lists of labels"),
    ],
)
def test_bad_option_labels_are_named(labels, expected):
    from crm.rules.webforms import check_field

    with pytest.raises(FieldError) as caught:
        check_field({**SIZES, "options": ["Small", "Large"], "option_labels": labels})
    assert str(caught.value) == expected


def test_only_a_select_has_option_labels():
    from crm.rules.webforms import check_field

    with pytest.raises(FieldError, match="only a select has options"):
        check_field({**SIZES, "type": "text", "option_labels": {"fr": ["x"]}})


def test_a_visitor_may_answer_with_an_options_label_in_their_language():
    from crm.rules.webforms import check_field, read_answers

    field = check_field(
        {**SIZES, "options": ["Small", "Large"], "option_labels": {"fr": ["Petite", "Grande"]}}
    )
    answers, errors = read_answers([field], {"size": "grande"}, consent_required=False, region=None)
    assert (answers, errors) == ({"size": "Large"}, {})


async def test_new_options_drop_their_old_labels_and_labels_are_set_per_language(db):
    await definitions.create_form(
        CLI,
        {"slug": "quote", "title": "Quote", "fields": [
            {"name": "name", "type": "text", "label": "Name", "maps_to": "name"},
            {**SIZES, "options": ["Small", "Large"], "option_labels": {"fr": ["Petite", "Grande"]}},
        ]},
    )  # fmt: skip
    form_id = (await WebForm.get(slug="quote")).id
    details = await definitions.update_form_field(
        CLI, form_id, "size", option_labels={"fr": ["P", "G"]}
    )
    assert details.form.fields[1].option_labels == {"fr": ["P", "G"]}
    with pytest.raises(ValidationError) as caught:
        await definitions.update_form_field(CLI, form_id, "size", option_labels={"fr": ["P"]})
    assert caught.value.errors == {
        "fields.1": "option_labels (fr) must give one label per option (2)"
    }
    details = await definitions.update_form_field(CLI, form_id, "size", options=["S", "M", "L"])
    assert details.form.fields[1].option_labels == {}  # their order may no longer match
    details = await definitions.update_form_field(
        CLI, form_id, "size", option_labels={"fr": ["P", "M", "G"]}
    )
    details = await definitions.update_form_field(CLI, form_id, "size", option_labels={"fr": None})
    assert details.form.fields[1].option_labels == {}


async def test_a_text_in_the_teams_new_language_replaces_the_translation_it_had(db):
    """The team's language changed from English to French: the French title written as a
    translation must not hide the form's own title set since."""
    await make_form(translations={"fr": {"title": "Devis"}})
    config.configure(config.CoreConfig(default_language="fr", default_phone_region="FR"))
    try:
        details = await definitions.set_form_text(CLI, "quote", "title", "fr", "Nouveau devis")
        assert details.form.title == "Nouveau devis" and details.form.translations == {}
        assert details.form.in_language("fr").title == "Nouveau devis"
    finally:
        config.configure(config.CoreConfig(default_phone_region="FR"))
