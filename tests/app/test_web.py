"""The web app's health check answers for the database."""

from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app


async def test_healthz_is_ok_when_the_database_answers(db):
    async with TestClient(TestServer(build_app())) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "ok" and body["parts"] == {"database": "ok", "bot": "off"}


async def test_healthz_is_503_when_the_database_does_not_answer(db, monkeypatch):
    from app import database

    async def broken(*args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(database, "connection", lambda: type("C", (), {"execute_query": broken})())
    async with TestClient(TestServer(build_app())) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["status"] == "unavailable"


async def test_healthz_is_503_when_redis_is_set_but_does_not_answer(db):
    from app.health import Health

    app = build_app(health=Health(redis_url="redis://127.0.0.1:1/0"))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        body = await response.json()
    assert response.status == 503
    assert body["status"] == "unavailable" and body["parts"]["redis"] == "not answering"


async def test_healthz_reports_redis_when_it_answers(db):
    import os

    from app.health import Health

    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    app = build_app(health=Health(redis_url=url, scheduler=lambda: False))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        body = await response.json()
    if body["parts"]["redis"] != "ok" and os.environ.get("CARNET_REQUIRE_REDIS") != "1":
        import pytest

        pytest.skip(f"Redis is not answering at {url}")
    assert response.status == 200
    assert body["status"] == "degraded"  # the scheduler is stopped
    assert body["parts"] == {"database": "ok", "redis": "ok", "scheduler": "stopped", "bot": "off"}


async def test_the_home_page_lists_active_forms_escaped_in_the_visitors_language(db):
    from app.home import HomeConfig
    from crm.actors import system_actor
    from crm.webforms import definitions

    actor = system_actor("test")
    await definitions.create_form(actor, {"slug": "quote", "title": "Devis <b>rapide</b>"})
    await definitions.create_form(actor, {"slug": "old", "title": "Old form"})
    await definitions.disable_form(actor, "old")
    app = build_app(home=HomeConfig(bot_username=lambda: "acme_crm_bot"))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        page = await response.text()
    assert response.status == 200 and '<html lang="fr">' in page
    assert 'href="/forms/quote">Devis &lt;b&gt;rapide&lt;/b&gt;</a>' in page
    assert 'href="/forms/contact"' in page and "/forms/old" not in page
    assert '<a href="https://t.me/acme_crm_bot">@acme_crm_bot</a>' in page
    assert "Formulaires de contact" in page


async def test_the_home_page_names_no_bot_when_there_is_none_and_survives_a_database_outage(
    db, monkeypatch
):
    from app.home import HOME
    from crm.webforms import definitions

    app = build_app()
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/")).text()
        assert "Telegram" not in page and 'href="/forms/contact"' in page

        async def down():
            raise ConnectionRefusedError("database is down")

        monkeypatch.setattr(definitions, "active_forms", down)
        response = await client.get("/")
        page = await response.text()
        # Read half a minute ago: the page shows the forms it read last.
        assert response.status == 200 and 'href="/forms/contact"' in page
        monkeypatch.setattr("app.home.FORMS_TTL", 0.0)
        app[HOME].forms = None
        response = await client.get("/")
        page = await response.text()
    assert response.status == 200 and "cannot be listed right now" in page


async def test_an_address_that_cannot_be_listened_on_names_its_setting(db, monkeypatch):
    import socket

    import pytest
    from aiohttp import web

    from app.runtime import listen
    from app.settings import Settings, SettingsError

    monkeypatch.chdir("/")  # no .env
    runner = web.AppRunner(build_app())
    await runner.setup()
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with pytest.raises(
                SettingsError, match=f"WEB_PORT: 127.0.0.1:{port} is already in use"
            ):
                await listen(runner, Settings(web_host="127.0.0.1", web_port=port))
        with pytest.raises(SettingsError, match="WEB_HOST: 192.0.2.1 is not an address of this"):
            await listen(runner, Settings(web_host="192.0.2.1", web_port=8080))
        with pytest.raises(SettingsError, match="WEB_HOST: 'no-such-host.invalid' is not an"):
            await listen(runner, Settings(web_host="no-such-host.invalid", web_port=8080))
    finally:
        await runner.cleanup()
