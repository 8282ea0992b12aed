"""GET /forms/{slug}: the hosted page, its JSON twin for embed.js, and the thank-you page."""

import re
import time

import pytest

from crm.rules.webforms import FormField, check_field
from crm.webforms.definitions import PublicForm
from forms.embed import safe_redirect
from forms.page import explain_errors
from forms.spam import Signer
from tests.forms.conftest import CONTACT, SECRET, make_form


async def page_of(client, path: str = f"/forms/{CONTACT}", **headers: str) -> str:
    response = await client.get(path, headers=headers)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    return await response.text()


async def test_the_page_is_accessible_and_mobile_friendly(client, db):
    page = await page_of(client)
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    for name in ("name", "phone", "email", "message"):
        assert f'<label for="f-{name}">' in page and f'id="f-{name}" name="{name}"' in page
    assert '<input type="tel" id="f-phone" name="phone"' in page
    assert 'autocomplete="email"' in page and 'autocomplete="name"' in page
    assert "<fieldset" in page and "<legend>Consent" in page
    assert '<input type="checkbox" id="f-consent" name="consent" value="on" required>' in page
    assert 'method="post" action="/forms/contact"' in page
    assert '<button type="submit">Send</button>' in page


async def test_the_page_loads_nothing_from_elsewhere(client, db):
    response = await client.get(f"/forms/{CONTACT}")
    page = await response.text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_page_has_a_hidden_trap_and_a_signed_token(client, db):
    before = time.time()
    page = await page_of(client)
    assert re.search(
        r'<div class="hp" aria-hidden="true">.*<input type="text" id="hp-input" '
        r'name="website_url" value="" tabindex="-1" autocomplete="off">',
        page,
    )
    token = re.search(r'name="_token" value="([^"]+)"', page).group(1)
    signer = Signer(SECRET.encode())
    assert signer.token_problem(CONTACT, token, time.time() + 5, min_fill=3, max_age=60) is None
    assert signer.token_problem(CONTACT, token, before, min_fill=3, max_age=60) == "too fast"
    assert signer.token_problem("other", token, time.time() + 5, min_fill=3, max_age=60)


async def test_utm_parameters_of_the_page_address_ride_in_hidden_fields(client, db):
    page = await page_of(client, f"/forms/{CONTACT}?utm_source=news&utm_campaign=%3Cb%3Espring&x=1")
    assert '<input type="hidden" name="utm_source" value="news">' in page
    assert '<input type="hidden" name="utm_campaign" value="&lt;b&gt;spring">' in page
    assert 'name="x"' not in page


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "", "fr"),
        ("de-DE, fr;q=0.5, en;q=0.4", "", "fr"),
        ("en-GB,fr;q=0.9", "", "en"),
        ("fr;q=0, en;q=0.2", "", "en"),
        ("de, it", "", "en"),
        ("", "", "en"),
        ("fr", "?lang=en", "en"),
        ("en", "?lang=fr-CA", "fr"),
        ("fr", "?lang=xx", "fr"),
        ("garbage;;q=abc,,", "", "en"),
    ],
)
async def test_the_language_follows_accept_language_or_the_lang_parameter(
    client, db, accept, query, expected
):
    page = await page_of(client, f"/forms/{CONTACT}{query}", **{"Accept-Language": accept})
    assert f'<html lang="{expected}">' in page
    assert ("Envoyer" in page) is (expected == "fr")
    assert f'name="_lang" value="{expected}"' in page


async def test_french_labels_and_placeholders_come_from_the_form(client, db):
    await make_form(
        slug="devis",
        title="Devis",
        fields=[
            {
                "name": "nom",
                "type": "text",
                "label": {"en": "Name", "fr": "Nom complet"},
                "required": True,
                "maps_to": "name",
                "placeholder": {"en": "Jane Doe", "fr": "Jeanne Dupont"},
            },
            {"name": "size", "type": "select", "label": {"en": "Size"}, "options": ["S", "M", "L"]},
            {"name": "newsletter", "type": "checkbox", "label": {"en": "News", "fr": "Actus"}},
        ],
    )
    page = await page_of(client, "/forms/devis?lang=fr")
    assert "Nom complet" in page and 'placeholder="Jeanne Dupont"' in page
    assert '<label for="f-size">Size</label>' in page  # no French label: English
    assert '<option value="M">M</option>' in page and "Choisir…" in page
    assert '<input type="checkbox" id="f-newsletter" name="newsletter" value="on">' in page
    assert "required><span" not in page


async def test_the_json_twin_gives_embed_js_the_form_and_a_fresh_token(client, db):
    response = await client.get(f"/forms/{CONTACT}?format=json&lang=fr")
    assert response.status == 200
    spec = await response.json()
    assert spec["slug"] == CONTACT and spec["lang"] == "fr" and spec["trap"] == "website_url"
    assert [f["name"] for f in spec["fields"]] == ["name", "phone", "email", "message"]
    assert spec["fields"][0] == {
        "name": "name",
        "type": "text",
        "label": "Nom",
        "placeholder": "",
        "required": True,
        "options": [],
        "option_texts": [],
        "autocomplete": "name",
    }
    assert spec["consent"]["required"] is True and spec["consent"]["text"]
    assert spec["texts"]["submit"] == "Envoyer"
    signer = Signer(SECRET.encode())
    assert (
        signer.token_problem(CONTACT, spec["token"], time.time() + 5, min_fill=3, max_age=60)
        is None
    )
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_thank_you_page_shows_the_success_text(client, db):
    await make_form(slug="offer", title="Offer", success_text="Merci <b>beaucoup</b>\nÀ bientôt")
    page = await page_of(client, "/forms/offer?sent=1")
    assert 'role="status">Merci &lt;b&gt;beaucoup&lt;/b&gt;\nÀ bientôt</p>' in page


def test_only_web_addresses_are_redirect_targets():
    assert safe_redirect("https://example.com/thanks") == "https://example.com/thanks"
    for url in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "//evil", None):
        assert safe_redirect(url) is None


async def test_the_stock_texts_of_the_contact_form_speak_the_visitors_language(client, db):
    french = await page_of(client, **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "<h1>Contactez-nous</h1>" in french and "Contact us" not in french
    assert "J&#x27;accepte que les données" in french or "J'accepte que les données" in french
    english = await page_of(client, **{"Accept-Language": "en-GB"})
    assert "<h1>Contact us</h1>" in english and "I agree that the data" in english


async def test_texts_an_administrator_wrote_are_shown_as_written_in_every_language(client, db):
    from crm.actors import system_actor
    from crm.webforms import definitions

    await definitions.edit_form(
        system_actor("test"), CONTACT, {"title": "Écrivez-nous", "consent_text": "OK pour moi."}
    )
    english = await page_of(client, **{"Accept-Language": "en"})
    assert "<h1>Écrivez-nous</h1>" in english and "OK pour moi." in english


class _KeyTranslator:
    """Says which message key the page picks, instead of its text."""

    language = "en"

    def plain(self, key: str, **values: str) -> str:
        return key


def test_each_core_message_is_explained_by_its_own_message_key():
    def spec(name: str, kind: str = "text", maps_to: str | None = None) -> FormField:
        options = ["a"] if kind == "select" else []
        raw = {"name": name, "type": kind, "label": name, "maps_to": maps_to}
        return check_field({**raw, "options": options})

    form = PublicForm(
        id=1,
        slug="f",
        title="F",
        fields=[
            spec("name", maps_to="name"),
            spec("tel", "tel"),
            spec("mobile", maps_to="phone"),
            spec("mail", "email"),
            spec("work", maps_to="email"),
            spec("site", "url"),
            spec("home", maps_to="website"),
            spec("day", "date"),
            spec("qty", "number"),
            spec("size", "select"),
            spec("agree", "checkbox"),
        ],
        scheme="contact",
        consent_text="I agree",
        consent_required=True,
        success_text=None,
        redirect_url=None,
        allowed_origins=[],
        has_api_key=False,
    )
    cases = [
        ("consent", "must be accepted", "page-error-consent"),
        ("consent", "is required", "page-error-required"),
        ("name", "must be accepted", "page-error-other"),
        ("name", "is required", "page-error-required"),
        ("tel", "is empty", "page-error-required"),
        ("agree", "must be checked", "page-error-checked"),
        ("size", "must be one of the options", "page-error-option"),
        ("size", "must be one of a, b", "page-error-other"),
        ("mail", "must be one value", "page-error-one-value"),
        ("tel", "is longer than 255 characters", "page-error-too-long"),
        ("name", "needs a country code such as +33", "page-error-phone-country"),
        ("tel", "must be text", "page-error-phone"),
        ("mobile", "is not a valid phone number", "page-error-phone"),
        ("mail", "must be a date such as", "page-error-email"),
        ("work", "The domain name x is not valid.", "page-error-email"),
        ("site", "must be a number such as 12.50", "page-error-url"),
        ("home", "must be a web address", "page-error-url"),
        ("day", "must be a date such as 1990-04-25", "page-error-date"),
        ("name", "must be a date such as 1990-04-25", "page-error-date"),
        ("qty", "must be a number such as 12.50", "page-error-number"),
        ("qty", "must be a whole number", "page-error-number"),
        ("qty", "is too large", "page-error-other"),
        ("name", "must be text", "page-error-other"),
    ]
    for name, message, key in cases:
        explained = explain_errors(form, {name: message}, _KeyTranslator())  # type: ignore[arg-type]
        assert explained == {name: key}, (name, message)
    assert explain_errors(form, {"other": "x"}, _KeyTranslator()) == {"other": "x"}  # type: ignore[arg-type]
