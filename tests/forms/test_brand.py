"""A form's texts per language and the company's brand on the hosted page and in embed.js
(issue 12, hole 7)."""

import re

import forms.page
from tests.forms.conftest import aged_token, make_form

FIELDS = [
    {
        "name": "name",
        "type": "text",
        "label": {"en": "Your name", "fr": "Votre nom"},
        "placeholder": {"en": "Jane Doe", "fr": "Jeanne Dupont"},
        "required": True,
        "maps_to": "name",
    },
    {"name": "email", "type": "email", "label": {"en": "E-mail", "fr": "Courriel"}},
]
# Title, consent, success text, a label: the form page shows all but the success text.
ENGLISH = ("Ask for a quote", "I accept the terms.", "Thanks, we call you back.", "Your name")
FRENCH = ("Demandez un devis", "J’accepte les conditions.", "Merci, on vous rappelle.", "Votre nom")
ON_PAGE = (0, 1, 3)
LOGO = "https://cdn.acme.example/brand/logo.svg?v=3"


async def bilingual_form(**settings):
    return await make_form(
        slug="quote",
        title=ENGLISH[0],
        consent_text=ENGLISH[1],
        success_text=ENGLISH[2],
        fields=FIELDS,
        translations={
            "fr": {"title": FRENCH[0], "consent_text": FRENCH[1], "success_text": FRENCH[2]}
        },
        **settings,
    )


async def page(client, path: str, **headers: str):
    response = await client.get(path, headers=headers)
    assert response.status == 200
    return response, await response.text()


async def test_a_french_visitor_sees_only_french_and_an_english_one_only_english(client, db):
    await bilingual_form()
    _, french = await page(client, "/forms/quote", **{"Accept-Language": "fr-CA,fr;q=0.9"})
    assert all(FRENCH[i] in french for i in ON_PAGE)
    assert 'placeholder="Jeanne Dupont"' in french and "Courriel" in french
    assert not any(text in french for text in ENGLISH) and "Jane Doe" not in french
    _, english = await page(client, "/forms/quote?lang=en")
    assert all(ENGLISH[i] in english for i in ON_PAGE) and 'placeholder="Jane Doe"' in english
    assert not any(text in english for text in FRENCH) and "Courriel" not in english


async def test_the_thank_you_page_thanks_in_the_visitors_language(client, db):
    await bilingual_form()
    _, french = await page(client, "/forms/quote?sent=1&lang=fr")
    assert FRENCH[2] in french and f"<h1>{FRENCH[0]}</h1>" in french and ENGLISH[2] not in french


async def test_a_french_post_with_errors_comes_back_in_french(client, db):
    await bilingual_form()
    response = await client.post(
        "/forms/quote", data={"_token": aged_token("quote"), "_lang": "fr", "email": "x"}
    )
    assert response.status == 422
    text = await response.text()
    assert FRENCH[0] in text and "Votre nom" in text and ENGLISH[0] not in text


async def test_the_page_carries_the_companys_name_colour_and_logo(client, db):
    await bilingual_form(brand_name="Acme & <Fils>", accent_color="#8a1538", logo_url=LOGO)
    response, text = await page(client, "/forms/quote?lang=fr")
    assert '<header class="brand">' in text
    assert "Acme &amp; &lt;Fils&gt;" in text and "<Fils>" not in text
    assert f'<img src="{LOGO}" alt=""' in text and 'referrerpolicy="no-referrer"' in text
    assert "--accent:#8a1538" in text and "--on-accent:#fff" in text
    policy = response.headers["Content-Security-Policy"]
    assert "img-src data: https://cdn.acme.example;" in policy
    assert policy.count("https://cdn.acme.example") == 1 and "*" not in policy
    _, sent = await page(client, "/forms/quote?sent=1")
    assert "Acme &amp; &lt;Fils&gt;" in sent and "--accent:#8a1538" in sent


async def test_without_a_logo_the_page_loads_no_image_from_elsewhere(client, db):
    await bilingual_form(brand_name="Acme")
    response, text = await page(client, "/forms/quote")
    assert "<img" not in text and "Acme" in text
    assert "img-src data:;" in response.headers["Content-Security-Policy"]
    _, plain = await page(client, "/forms/contact")
    assert '<header class="brand">' not in plain


async def test_a_logo_alone_heads_the_page_without_an_empty_name(client, db):
    await bilingual_form(logo_url=LOGO)
    _, text = await page(client, "/forms/quote?lang=fr")
    assert f'<img src="{LOGO}" alt=""' in text and 'class="brand-name"' not in text


def test_text_on_the_accent_colour_is_the_one_that_reads():
    assert forms.page.accent_text_color("#1f5fbf") == "#fff"
    assert forms.page.accent_text_color("#ffd700") == "#1b1b1b"
    assert forms.page.accent_text_color("#000000") == "#fff"
    assert forms.page.accent_text_color("#ffffff") == "#1b1b1b"


async def test_embed_js_gets_the_colour_and_the_name(client, db):
    await bilingual_form(brand_name="Acme", accent_color="#8a1538", logo_url=LOGO)
    response = await client.get("/forms/quote?format=json&lang=fr")
    spec = await response.json()
    assert spec["title"] == FRENCH[0] and spec["consent"]["text"] == FRENCH[1]
    assert spec["success_text"] == FRENCH[2]
    assert spec["brand"] == {"name": "Acme", "accent": "#8a1538", "on_accent": "#fff"}
    script = await (await client.get("/forms/quote/embed.js")).text()
    assert "spec.brand" in script and re.search(r"--carnet-accent", script)


SIZES = {
    "name": "size",
    "type": "select",
    "label": {"en": "Team size", "fr": "Effectif"},
    "options": ["Small", "Large"],
    "option_labels": {"fr": ["Petite", "Grande"]},
}


async def test_a_choice_lists_options_read_in_the_visitors_language(client, db):
    await make_form(slug="sizes", title="Sizes", fields=[FIELDS[0], SIZES])
    _, french = await page(client, "/forms/sizes?lang=fr")
    assert '<option value="Small">Petite</option>' in french and ">Small<" not in french
    _, english = await page(client, "/forms/sizes?lang=en")
    assert '<option value="Large">Large</option>' in english and "Grande" not in english
    spec = await (await client.get("/forms/sizes?format=json&lang=fr")).json()
    assert spec["fields"][1]["options"] == ["Small", "Large"]
    assert spec["fields"][1]["option_texts"] == ["Petite", "Grande"]
    script = await (await client.get("/forms/sizes/embed.js")).text()
    assert "f.option_texts" in script


async def test_the_consent_kept_with_a_french_post_is_the_french_one_it_agreed_to(client, db):
    from models import FormSubmission

    await bilingual_form()
    response = await client.post(
        "/forms/quote",
        data={"_token": aged_token("quote"), "_lang": "fr", "name": "Jean Dupont", "consent": "on"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert (await FormSubmission.get()).consent_text == FRENCH[1]
