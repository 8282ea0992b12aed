"""An unavailable database: 503 with Retry-After in the caller's format and language, the
visitor's values kept, one log line; anything unexpected a 500 a browser can read."""

import asyncio
import logging
import re
import sqlite3

import asyncpg
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError

from crm.db import is_unavailable, unavailable_as_error, unavailable_reason
from crm.errors import UnavailableError
from crm.webforms import definitions
from crm.webforms import submissions as core_submissions
from forms.cache import FormCache
from tests.forms.conftest import (
    CONTACT,
    aged_token,
    contacts_count,
    form_fields,
    lead,
    make_form,
    submissions,
)

SITE = "https://shop.example"
EN = "We cannot take your message right now. Please try again in a few minutes."
FR = "Nous ne pouvons pas recevoir votre message pour le moment"


def unavailable_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "the database is unavailable" in r.getMessage()]


def assert_logged_once_without_traceback(caplog) -> None:
    lines = unavailable_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line = lines[0]
    assert line.levelno == logging.WARNING and line.exc_info is None
    reason = line.getMessage()
    assert "unable to open database file" in reason or "Connect call failed" in reason, reason
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_hosted_page_asks_to_come_back_in_the_visitors_language(
    make_outage_client, caplog
):
    client, outage = await make_outage_client()
    outage.down = True
    response = await client.get(f"/forms/{CONTACT}", headers={"Accept-Language": "fr-FR,fr"})
    assert response.status == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Retry-After"] == "60"
    page = await response.text()
    assert '<html lang="fr">' in page and FR in page and "Momentanément indisponible" in page
    assert_logged_once_without_traceback(caplog)
    english = await client.get(f"/forms/{CONTACT}")
    assert english.status == 503 and EN in await english.text()
    outage.down = False
    assert (await client.get(f"/forms/{CONTACT}")).status == 200


async def test_embed_js_gets_a_json_503_it_can_read(make_outage_client):
    client, outage = await make_outage_client()
    outage.down = True
    response = await client.get(f"/forms/{CONTACT}?format=json&lang=fr", headers={"Origin": SITE})
    assert response.status == 503
    assert response.headers["Retry-After"] == "60"
    assert await response.json() == {
        "ok": False,
        "error": FR + ". Veuillez réessayer dans quelques minutes.",
        "retry_after": 60,
    }
    # No form known to this process to say which sites may read it: any may.
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_embed_js_itself_is_served_and_not_cached(make_outage_client):
    client, outage = await make_outage_client()
    outage.down = True
    response = await client.get(f"/forms/{CONTACT}/embed.js")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-store"
    assert "data-carnet-form" in await response.text()


@pytest.mark.parametrize("cached", [True, False], ids=["form-cached", "form-expired"])
async def test_a_browser_post_comes_back_with_its_values_and_a_503(make_outage_client, cached):
    client, outage = await make_outage_client(form_cache_seconds=60 if cached else 0.01)
    assert (await client.get(f"/forms/{CONTACT}")).status == 200  # the form as last read
    await asyncio.sleep(0 if cached else 0.05)
    outage.down = True
    body = form_fields(lead(_key="page-key-1", _lang="fr", message="Rappelez-moi"))
    response = await client.post(f"/forms/{CONTACT}", data=body, allow_redirects=False)
    assert response.status == 503
    assert response.headers["Retry-After"] == "60"
    page = await response.text()
    assert '<html lang="fr">' in page and FR in page and 'role="alert"' in page
    assert 'value="Jean Dupont"' in page and ">Rappelez-moi</textarea>" in page
    assert 'name="consent" value="on" checked' in page
    # The same submission again: if it was stored after all, the retry gets its outcome.
    assert '<input type="hidden" name="_key" value="page-key-1">' in page
    outage.down = False
    assert await submissions() == [] and await contacts_count() == 0
    again = await client.post(f"/forms/{CONTACT}", data=body, allow_redirects=False)
    assert again.status == 303


@pytest.mark.parametrize("cached", [True, False], ids=["form-cached", "form-expired"])
async def test_a_json_post_gets_a_503_with_retry_after(make_outage_client, cached):
    client, outage = await make_outage_client(form_cache_seconds=60 if cached else 0.01)
    await make_form(slug="shop", title="Shop", allowed_origins=[SITE])
    assert (await client.get("/forms/shop?format=json")).status == 200
    await asyncio.sleep(0 if cached else 0.05)
    outage.down = True
    response = await client.post(
        "/forms/shop", json=lead(_token=aged_token("shop")), headers={"Origin": SITE}
    )
    assert response.status == 503
    assert response.headers["Retry-After"] == "60"
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert await response.json() == {"ok": False, "error": EN, "retry_after": 60}
    outage.down = False
    assert await submissions() == []


async def test_a_post_to_a_form_never_read_gets_the_plain_page(make_outage_client, caplog):
    client, outage = await make_outage_client()
    outage.down = True
    page = await client.post(f"/forms/{CONTACT}", data=form_fields(lead()))
    assert page.status == 503 and page.headers["Retry-After"] == "60"
    assert "text/html" in page.headers["Content-Type"] and EN in await page.text()
    api = await client.post(f"/forms/{CONTACT}", json=lead())
    assert api.status == 503 and (await api.json())["retry_after"] == 60
    assert len(unavailable_lines(caplog)) == 2


async def test_a_server_key_that_cannot_be_checked_is_a_503(make_outage_client):
    client, outage = await make_outage_client(form_cache_seconds=60)
    await make_form(slug="partner", title="Partner", api_key="p" * 30, consent_required=False)
    assert (await client.get("/forms/partner")).status == 200
    outage.down = True
    response = await client.post(
        "/forms/partner", json={"name": "Marie Curie"}, headers={"X-Carnet-Form-Key": "p" * 30}
    )
    assert response.status == 503 and (await response.json())["ok"] is False


async def test_the_thank_you_page_needs_no_database(make_outage_client):
    client, outage = await make_outage_client(form_cache_seconds=0.01)
    await client.get(f"/forms/{CONTACT}")
    await asyncio.sleep(0.05)
    outage.down = True
    response = await client.get(f"/forms/{CONTACT}?sent=1")
    assert response.status == 200
    assert "Thank you! We will get back to you soon." in await response.text()


async def test_the_preflight_uses_the_origins_last_read(make_outage_client):
    client, outage = await make_outage_client(form_cache_seconds=0.01)
    await make_form(slug="shop", title="Shop", allowed_origins=[SITE])
    await client.get("/forms/shop?format=json")
    await asyncio.sleep(0.05)
    outage.down = True
    asked = {"Origin": SITE, "Access-Control-Request-Method": "POST"}
    assert (await client.options("/forms/shop", headers=asked)).status == 204
    evil = {**asked, "Origin": "https://evil.example"}
    assert (await client.options("/forms/shop", headers=evil)).status == 403
    assert (await client.options("/forms/never-read", headers=asked)).status == 503


# --- unexpected errors ----------------------------------------------------------------------


async def test_an_unexpected_error_shows_a_browser_a_page_not_json(client, db, monkeypatch):
    async def broken(slug):
        raise RuntimeError("a bug")

    monkeypatch.setattr(definitions, "get_public_form", broken)
    page = await client.get(f"/forms/{CONTACT}", headers={"Accept-Language": "fr"})
    assert page.status == 500 and "text/html" in page.headers["Content-Type"]
    assert "Une erreur s’est produite de notre côté" in await page.text()
    api = await client.get(f"/forms/{CONTACT}?format=json")
    assert api.status == 500
    assert set(await api.json()) == {"ok", "error"}
    script = await client.get(f"/forms/{CONTACT}/embed.js")
    assert script.status == 500 and script.headers["Content-Type"].startswith("text/javascript")


async def test_a_post_that_fails_unexpectedly_comes_back_with_its_values(client, db, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(core_submissions, "submit", broken)
    response = await client.post(f"/forms/{CONTACT}", data=form_fields(lead(name="Ana Lopez")))
    assert response.status == 500 and "text/html" in response.headers["Content-Type"]
    page = await response.text()
    assert "Something went wrong on our side" in page and 'value="Ana Lopez"' in page
    api = await client.post(f"/forms/{CONTACT}", json=lead())
    assert api.status == 500
    assert (await api.json())["error"].startswith("Something went wrong")


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"),
        TimeoutError(),
        OSError("Network is unreachable"),
        DBConnectionError("Can't establish connection to database carnet"),
        OperationalError("unable to open database file"),
        OperationalError(sqlite3.OperationalError("database is locked")),
        sqlite3.OperationalError("disk I/O error"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        UnavailableError("no answer within 10 s"),
    ],
)
def test_these_errors_mean_the_database_is_unavailable(error):
    assert is_unavailable(error)
    assert "\n" not in unavailable_reason(error)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("x"),
        ValueError("bad"),
        OperationalError("no such table: web_form"),
        OperationalError('syntax error at or near "SELEC"'),
        asyncpg.UniqueViolationError("duplicate key"),
        RuntimeError("a bug"),
    ],
)
def test_other_errors_are_bugs_not_outages(error):
    assert not is_unavailable(error)


def test_the_cause_counts_but_not_an_error_being_handled():
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except OSError:
            raise KeyError("a bug while handling it") from None
    except KeyError as exc:
        assert not is_unavailable(exc)
    wrapped = RuntimeError("query failed")
    wrapped.__cause__ = ConnectionResetError("reset by peer")
    assert unavailable_reason(wrapped) == "ConnectionResetError: reset by peer"
    with pytest.raises(UnavailableError, match="refused"), unavailable_as_error():
        raise ConnectionRefusedError(111, "refused")
    with pytest.raises(KeyError), unavailable_as_error():
        raise KeyError("x")


async def test_a_form_read_that_hangs_counts_as_unavailable(db, monkeypatch):
    async def hangs(slug):
        await asyncio.sleep(10)

    monkeypatch.setattr(definitions, "get_public_form", hangs)
    cache = FormCache(2.0, timeout=0.05)
    with pytest.raises(UnavailableError, match=re.escape("within 0.05 s")):
        await cache.form(CONTACT)
