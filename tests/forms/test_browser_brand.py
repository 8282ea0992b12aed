"""Chromium renders a French visitor's branded page: French texts only, the company's logo (the
only image from elsewhere its Content-Security-Policy lets in), its name and colour; the
embedded form takes the colour (issue 12, hole 7). Saves /tmp/h4-fr.png to look at."""

import os
from pathlib import Path

import pytest
from playwright.async_api import Route, expect

from tests.forms.conftest import make_form
from tests.forms.test_browser import FILL_SECONDS, browser, carnet, host_site  # noqa: F401

pytestmark = [pytest.mark.either_database(half="postgres"), pytest.mark.slow]

LOGO = "https://logo.acme.example/brand/acme.svg"
ELSEWHERE = "https://tracker.example/pixel.svg"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    '<rect width="120" height="40" rx="6" fill="#8a1538"/>'
    '<text x="60" y="27" font-family="sans-serif" font-size="20" font-weight="700" '
    'fill="#fff" text-anchor="middle">ACME</text></svg>'
)
SCREENSHOT = Path(os.environ.get("H4_SCREENSHOT", "/tmp/h4-fr.png"))


async def branded_form(slug: str = "devis", **settings):
    return await make_form(
        slug=slug,
        title="Ask for a quote",
        consent_text="I agree that Acme uses my data to answer me.",
        success_text="Thank you, we call you back within a day.",
        fields=[
            {"name": "name", "type": "text", "maps_to": "name", "required": True,
             "label": {"en": "Your name", "fr": "Votre nom"}},
            {"name": "phone", "type": "tel", "maps_to": "phone",
             "label": {"en": "Phone", "fr": "Téléphone"},
             "placeholder": {"en": "+44 20 7946 0000", "fr": "06 12 34 56 78"}},
            {"name": "email", "type": "email", "maps_to": "email",
             "label": {"en": "E-mail", "fr": "Courriel"}},
            {"name": "message", "type": "textarea", "maps_to": "message",
             "label": {"en": "Your project", "fr": "Votre projet"}},
        ],
        translations={"fr": {
            "title": "Demandez un devis",
            "consent_text": "J'accepte qu'Acme utilise mes données pour me répondre.",
            "success_text": "Merci, nous vous rappelons sous 24 heures.",
        }},
        brand_name="Acme Rénovation",
        accent_color="#8a1538",
        logo_url=LOGO,
        **settings,
    )  # fmt: skip


async def test_a_french_visitor_sees_the_companys_french_page(carnet, browser, db):  # noqa: F811
    await branded_form()
    context = await browser.new_context(locale="fr-FR", viewport={"width": 720, "height": 900})
    asked: list[str] = []

    async def serve(route: Route) -> None:  # the outside hosts, answered here
        asked.append(route.request.url)
        await route.fulfill(status=200, content_type="image/svg+xml", body=SVG)

    try:
        page = await context.new_page()
        await page.route("https://**/*", serve)
        await page.goto(str(carnet.make_url("/forms/devis")))
        await expect(page).to_have_title("Demandez un devis")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Demandez un devis")
        await expect(page.get_by_label("Votre nom")).to_be_visible()
        await expect(page.get_by_label("Téléphone")).to_have_attribute(
            "placeholder", "06 12 34 56 78"
        )
        body = await page.locator("body").inner_text()
        assert "Ask for a quote" not in body and "I agree" not in body and "Your name" not in body
        await expect(page.locator(".brand-name")).to_have_text("Acme Rénovation")
        logo = page.locator(".brand img")
        await expect(logo).to_be_visible()
        assert await logo.evaluate("img => img.complete && img.naturalWidth") == 120
        button = page.get_by_role("button", name="Envoyer")
        color = await button.evaluate("b => getComputedStyle(b).backgroundColor")
        assert color == "rgb(138, 21, 56)"
        await page.screenshot(path=str(SCREENSHOT), full_page=True)

        # Any other origin is refused by the page's policy before a request is made.
        blocked = await page.evaluate(
            """url => new Promise(done => {
                const img = new Image();
                img.onload = () => done(false);
                img.onerror = () => done(true);
                img.src = url;
            })""",
            ELSEWHERE,
        )
        assert blocked and asked == [LOGO]

        await page.get_by_label("Votre nom").fill("Claire Martin")
        await page.get_by_label("Courriel").fill("claire@example.fr")
        await page.get_by_role("checkbox").check()
        await page.wait_for_timeout(FILL_SECONDS * 1000 + 300)
        await button.click()
        await expect(page.get_by_role("status")).to_have_text(
            "Merci, nous vous rappelons sous 24 heures."
        )
        await expect(page.locator(".brand-name")).to_have_text("Acme Rénovation")
    finally:
        await context.close()


async def test_the_embedded_form_takes_the_companys_colour(carnet, host_site, browser, db):  # noqa: F811
    host_origin = str(host_site.make_url("/")).rstrip("/")
    await branded_form(slug="shop", allowed_origins=[host_origin])
    host_site.carnet_url["base"] = str(carnet.make_url("")).rstrip("/")
    context = await browser.new_context(locale="en-US")
    try:
        page = await context.new_page()
        await page.goto(host_origin + "/")
        form = page.locator("form.carnet-form")
        await expect(form).to_be_visible()
        await expect(form).to_have_attribute("aria-label", "Ask for a quote · Acme Rénovation")
        color = await page.get_by_role("button", name="Send").evaluate(
            "b => getComputedStyle(b).backgroundColor"
        )
        assert color == "rgb(138, 21, 56)"
    finally:
        await context.close()
