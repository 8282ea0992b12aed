"""The forms cache: a post reads no form or key the core already gave within the TTL."""

import asyncio

from crm.actors import system_actor
from crm.webforms import definitions
from forms.cache import FormCache
from tests.forms.conftest import CONTACT, make_form

KEY = "c" * 30


async def test_a_form_is_read_once_per_ttl(db, monkeypatch):
    calls = []
    real = definitions.get_public_form

    async def counting(slug):
        calls.append(slug)
        return await real(slug)

    monkeypatch.setattr(definitions, "get_public_form", counting)
    now = [0.0]
    cache = FormCache(2.0, clock=lambda: now[0])
    assert (await cache.form(CONTACT)).slug == CONTACT
    assert (await cache.form(CONTACT)).slug == CONTACT
    assert calls == [CONTACT]
    now[0] = 2.5
    await cache.form(CONTACT)
    assert calls == [CONTACT, CONTACT]


async def test_unknown_forms_and_wrong_keys_are_never_cached(db):
    now = [0.0]
    cache = FormCache(60.0, clock=lambda: now[0])
    assert await cache.form("later") is None
    await make_form(slug="later", title="Later", api_key=KEY)
    assert (await cache.form("later")).slug == "later"
    assert await cache.key_is_valid("later", "w" * 30) is False
    assert await cache.key_is_valid("later", KEY) is True


async def test_a_disabled_form_stops_within_the_ttl(db):
    now = [0.0]
    cache = FormCache(2.0, clock=lambda: now[0])
    await make_form(slug="soon-off", title="Soon off", api_key=KEY)
    assert await cache.form("soon-off") is not None
    assert await cache.key_is_valid("soon-off", KEY)
    await definitions.disable_form(system_actor("test"), "soon-off")
    now[0] = 2.1
    assert await cache.form("soon-off") is None
    assert await cache.key_is_valid("soon-off", KEY) is False


async def test_a_zero_ttl_never_caches(db):
    cache = FormCache(0.0)
    await make_form(slug="live", title="Live")
    assert await cache.form("live") is not None
    await definitions.disable_form(system_actor("test"), "live")
    assert await cache.form("live") is None


async def test_posts_missing_the_cache_at_once_share_one_lookup(db, monkeypatch):
    calls = []
    real_form, real_key = definitions.get_public_form, definitions.verify_api_key

    async def slow_form(slug):
        calls.append("form")
        await asyncio.sleep(0.05)
        return await real_form(slug)

    async def slow_key(slug, key):
        calls.append("key")
        await asyncio.sleep(0.05)
        return await real_key(slug, key)

    await make_form(slug="busy", title="Busy", api_key=KEY)
    monkeypatch.setattr(definitions, "get_public_form", slow_form)
    monkeypatch.setattr(definitions, "verify_api_key", slow_key)
    cache = FormCache(2.0)
    forms = await asyncio.gather(*(cache.form("busy") for _ in range(50)))
    assert {f.slug for f in forms} == {"busy"} and calls == ["form"]
    keys = await asyncio.gather(*(cache.key_is_valid("busy", KEY) for _ in range(50)))
    assert all(keys) and calls.count("key") == 1


async def test_a_caller_that_goes_away_does_not_cancel_the_others_lookup(db, monkeypatch):
    real = definitions.get_public_form

    async def slow(slug):
        await asyncio.sleep(0.05)
        return await real(slug)

    monkeypatch.setattr(definitions, "get_public_form", slow)
    cache = FormCache(2.0)
    first = asyncio.ensure_future(cache.form(CONTACT))
    second = asyncio.ensure_future(cache.form(CONTACT))
    await asyncio.sleep(0.01)
    first.cancel()
    assert (await second).slug == CONTACT
