"""The forms cache: a post reads no form or key the core already gave within the TTL."""

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
