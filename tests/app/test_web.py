"""The web app's health check answers for the database."""

from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app


async def test_healthz_is_ok_when_the_database_answers(db):
    async with TestClient(TestServer(build_app())) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_healthz_is_503_when_the_database_does_not_answer(db, monkeypatch):
    from app import database

    async def broken(*args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(database, "connection", lambda: type("C", (), {"execute_query": broken})())
    async with TestClient(TestServer(build_app())) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["status"] == "unavailable"
