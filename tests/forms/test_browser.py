"""A real browser (Debian's Chromium driven by Playwright) fills and sends the hosted page and
a host page that embeds the form from another origin."""

import os
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from models import Contact, FormSubmission
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.forms.conftest import make_form, settled

FILL_SECONDS = 1.0


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


if (reason := _missing()) is not None:
    if os.environ.get("CARNET_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"CARNET_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason, allow_module_level=True)

from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402

# Chromium fills the real page: what it checks does not depend on the database.
pytestmark = [pytest.mark.either_database(half="postgres"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest_asyncio.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    yield page
    await context.close()


@pytest_asyncio.fixture
async def carnet(make_client):
    """Carnet's web app on a real port, with a one-second minimum fill time."""
    return await make_client(min_fill_seconds=FILL_SECONDS)


@pytest_asyncio.fixture
async def host_site() -> AsyncIterator[TestServer]:
    """Another origin: a shop's page that embeds the `shop` form with embed.js."""
    routes = web.RouteTableDef()
    carnet_url: dict[str, str] = {}

    @routes.get("/")
    async def home(request: web.Request) -> web.Response:
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            "</head><body><h1>Our shop</h1>"
            '<div data-carnet-form="shop"></div>'
            f'<script src="{carnet_url["base"]}/forms/shop/embed.js"></script>'
            "</body></html>"
        )
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.add_routes(routes)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.carnet_url = carnet_url  # type: ignore[attr-defined]
    yield server
    await server.close()


async def fill_lead(page: Page, name: str, email: str) -> None:
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Phone").fill("+33 6 98 76 54 32")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Message").fill("Please call me <b>tomorrow</b>")
    await page.get_by_role("checkbox").check()
    await page.wait_for_timeout(FILL_SECONDS * 1000 + 300)


async def test_a_visitor_sends_the_hosted_page(carnet, page, admin):
    await page.goto(str(carnet.make_url("/forms/contact?utm_source=browser")))
    await expect(page).to_have_title("Contact us")
    await fill_lead(page, "Claire Martin", "claire@example.fr")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("status")).to_contain_text("Thank you")
    await settled()
    contact = await Contact.get(first_name="Claire", last_name="Martin")
    submission = await FormSubmission.get(contact_id=contact.id)
    assert submission.status == "created" and submission.utm == {"utm_source": "browser"}
    assert submission.payload["message"] == "Please call me <b>tomorrow</b>"


async def test_the_hosted_page_shows_the_errors_and_keeps_the_values(carnet, page, db):
    await page.goto(str(carnet.make_url("/forms/contact")))
    await page.get_by_label("Name").fill("<i>Paul</i>")
    await page.get_by_label("E-mail").fill("paul@")
    await page.wait_for_timeout(FILL_SECONDS * 1000 + 300)
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    email = page.get_by_label("E-mail")
    await expect(email).to_have_value("paul@")
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-email-error")).to_contain_text("not a valid e-mail address")
    await expect(page.locator("#f-consent-error")).to_contain_text("consent")
    await expect(page.get_by_label("Name")).to_have_value("<i>Paul</i>")
    assert await Contact.all().count() == 0


async def test_a_french_visitor_gets_the_french_page(carnet, browser, db):
    context = await browser.new_context(locale="fr-FR")
    try:
        page = await context.new_page()
        await page.goto(str(carnet.make_url("/forms/contact")))
        await expect(page.get_by_role("button", name="Envoyer")).to_be_visible()
        assert await page.get_attribute("html", "lang") == "fr"
    finally:
        await context.close()


async def test_a_host_page_on_another_origin_embeds_the_form(carnet, host_site, page, admin):
    host_origin = str(host_site.make_url("/")).rstrip("/")
    await make_form(slug="shop", title="Shop", allowed_origins=[host_origin])
    host_site.carnet_url["base"] = str(carnet.make_url("")).rstrip("/")
    await page.goto(host_origin + "/?utm_campaign=embed")
    await expect(page.locator("form.carnet-form")).to_be_visible()
    await fill_lead(page, "Hugo Bernard", "hugo@example.fr")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator(".carnet-sent")).to_contain_text("Thank you")
    await settled()
    contact = await Contact.get(first_name="Hugo", last_name="Bernard")
    submission = await FormSubmission.get(contact_id=contact.id)
    assert submission.utm == {"utm_campaign": "embed"}
    assert submission.referrer and submission.referrer.startswith(host_origin)


async def test_the_embedded_form_shows_the_errors(carnet, host_site, page, db):
    host_origin = str(host_site.make_url("/")).rstrip("/")
    await make_form(slug="shop", title="Shop", allowed_origins=[host_origin])
    host_site.carnet_url["base"] = str(carnet.make_url("")).rstrip("/")
    await page.goto(host_origin + "/")
    await expect(page.locator("form.carnet-form")).to_be_visible()
    await page.get_by_label("E-mail").fill("nobody@")
    await page.wait_for_timeout(FILL_SECONDS * 1000 + 300)
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("alert")).to_contain_text("Name is required")
    await expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".carnet-error").first).to_be_visible()
    assert await Contact.all().count() == 0


async def test_a_site_that_is_not_allowed_cannot_use_the_embedded_form(carnet, host_site, page, db):
    await make_form(slug="shop", title="Shop", allowed_origins=["https://shop.example"])
    host_site.carnet_url["base"] = str(carnet.make_url("")).rstrip("/")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    await page.goto(str(host_site.make_url("/")))
    await page.wait_for_timeout(500)
    assert await page.locator("form.carnet-form").count() == 0
    assert any("Carnet form shop" in text or "CORS" in text for text in errors), errors


# --- the database unavailable ---------------------------------------------------------------


async def test_a_french_visitor_is_asked_in_french_to_come_back(make_outage_client, browser):
    carnet, outage = await make_outage_client(min_fill_seconds=FILL_SECONDS)
    outage.down = True
    context = await browser.new_context(locale="fr-FR")
    try:
        page = await context.new_page()
        response = await page.goto(str(carnet.make_url("/forms/contact")))
        assert response is not None and response.status == 503
        await expect(page).to_have_title("Momentanément indisponible")
        await expect(page.locator("main")).to_contain_text(
            "Nous ne pouvons pas recevoir votre message pour le moment. "
            "Veuillez réessayer dans quelques minutes."
        )
        assert await page.get_attribute("html", "lang") == "fr"
    finally:
        await context.close()


async def test_a_visitor_whose_post_cannot_be_taken_keeps_what_they_typed(make_outage_client, page):
    carnet, outage = await make_outage_client(min_fill_seconds=FILL_SECONDS)
    await page.goto(str(carnet.make_url("/forms/contact")))
    await fill_lead(page, "Claire Martin", "claire@example.fr")
    outage.down = True
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("alert")).to_contain_text("We cannot take your message right now")
    await expect(page.get_by_label("Name")).to_have_value("Claire Martin")
    await expect(page.get_by_label("E-mail")).to_have_value("claire@example.fr")
    outage.down = False
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("status")).to_contain_text("Thank you")
    await settled()
    assert await Contact.filter(first_name="Claire", last_name="Martin").count() == 1


async def test_the_embedded_form_says_in_place_to_come_back(make_outage_client, host_site, page):
    carnet, outage = await make_outage_client(min_fill_seconds=FILL_SECONDS)
    host_origin = str(host_site.make_url("/")).rstrip("/")
    await make_form(slug="shop", title="Shop", allowed_origins=[host_origin])
    host_site.carnet_url["base"] = str(carnet.make_url("")).rstrip("/")
    outage.down = True
    await page.goto(host_origin + "/")
    await expect(page.locator("[data-carnet-form] [role=status]")).to_have_text(
        "We cannot take your message right now. Please try again in a few minutes."
    )
    assert await page.locator("form.carnet-form").count() == 0


# --- over a rate limit ----------------------------------------------------------------------


async def test_the_hosted_page_says_when_to_try_again_and_keeps_the_values(make_client, page, db):
    carnet = await make_client(min_fill_seconds=FILL_SECONDS, address_limit_per_minute=0)
    await page.goto(str(carnet.make_url("/forms/contact")))
    await fill_lead(page, "Claire Martin", "claire@example.fr")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Too many messages have been sent just now\. Please try again in \d+ second")
    )
    await expect(page.get_by_label("Name")).to_have_value("Claire Martin")
    await expect(page.get_by_label("E-mail")).to_have_value("claire@example.fr")
    await expect(page.get_by_label("Message")).to_have_value("Please call me <b>tomorrow</b>")
    held = await FormSubmission.filter(status="held").values_list("reason", flat=True)
    assert held == ["rate limit: address"]
    assert await Contact.all().count() == 0


async def test_the_embedded_form_says_in_place_when_to_try_again(make_client, host_site, page, db):
    carnet = await make_client(min_fill_seconds=FILL_SECONDS, address_limit_per_minute=0)
    host_origin = str(host_site.make_url("/")).rstrip("/")
    await make_form(slug="shop", title="Shop", allowed_origins=[host_origin])
    host_site.carnet_url["base"] = str(carnet.make_url("")).rstrip("/")
    await page.goto(host_origin + "/")
    await expect(page.locator("form.carnet-form")).to_be_visible()
    await fill_lead(page, "Hugo Bernard", "hugo@example.fr")
    await page.get_by_role("button", name="Send").click()
    notice = page.get_by_role("alert")
    await expect(notice).to_contain_text(re.compile(r"Please try again in \d+ second"))
    await expect(page.get_by_label("Name")).to_have_value("Hugo Bernard")
    # Sent again, it is a new post (the held one waits for the team), not a replay of it.
    await page.get_by_role("button", name="Send").click()
    await expect(notice).to_contain_text("Please try again in")
    for _ in range(50):
        if await FormSubmission.filter(status="held").count() == 2:
            break
        await page.wait_for_timeout(100)
    assert await FormSubmission.filter(status="held").count() == 2
