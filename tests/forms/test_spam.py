"""Spam is answered exactly like a lead, stored with its reason, and nobody is alerted."""

import re
import time
import uuid

import pytest

from forms.spam import MemoryRateLimiter, RedisRateLimiter, Signer
from tests.forms.conftest import (
    CONTACT,
    SECRET,
    aged_token,
    alerts,
    contacts_count,
    form_fields,
    lead,
    make_form,
    only,
    submissions,
)


@pytest.fixture
def one_window(monkeypatch):
    """Rate windows that do not turn over in the middle of a test."""

    class FrozenTime:
        @staticmethod
        def monotonic() -> float:
            return 1_000_030.0

        @staticmethod
        def time() -> float:
            return 1_700_000_030.0

    monkeypatch.setattr("forms.spam.time", FrozenTime)


async def assert_spam_like_success(client, body: dict, reason: str, **headers: str) -> None:
    """The JSON answer has a lead's status and shape; the browser answer is the same 303."""
    response = await client.post(f"/forms/{CONTACT}", json=body, headers=headers)
    assert response.status == 202
    answer = await response.json()
    assert answer == {"ok": True, "submission_id": answer["submission_id"], "status": "received"}
    browser = await client.post(
        f"/forms/{CONTACT}", data=form_fields(body), headers=headers, allow_redirects=False
    )
    assert browser.status == 303
    assert browser.headers["Location"] == f"/forms/{CONTACT}?sent=1&lang=en"
    stored = await submissions()
    assert [(s.status, s.reason) for s in stored] == [("spam", reason)] * 2
    assert stored[0].payload["name"] == body["name"]
    assert await contacts_count() == 0
    assert await alerts() == []


async def test_a_filled_trap_is_spam(client, admin):
    await assert_spam_like_success(client, lead(website_url="http://spam.example"), "trap")
    assert (await submissions())[0].payload["website_url"] == "http://spam.example"


async def test_a_post_sooner_than_the_fill_time_is_spam(client, admin):
    await assert_spam_like_success(client, lead(_token=aged_token(seconds=1)), "too fast")


async def test_a_forged_token_is_spam(client, admin):
    stamp = str(int((time.time() - 60) * 1000))
    forged = f"{stamp}.{'A' * 43}"
    await assert_spam_like_success(client, lead(_token=forged), "forged token")


async def test_a_token_of_another_form_or_secret_is_forged(client, admin):
    other = Signer(b"another-secret-entirely").token(CONTACT, time.time() - 60)
    await assert_spam_like_success(client, lead(_token=other), "forged token")


async def test_a_token_from_the_future_is_forged(client, admin):
    future = Signer(SECRET.encode()).token(CONTACT, time.time() + 3600)
    await assert_spam_like_success(client, lead(_token=future), "forged token")


async def test_a_token_older_than_a_day_is_spam(client, admin):
    await assert_spam_like_success(
        client, lead(_token=aged_token(seconds=25 * 3600)), "expired token"
    )


@pytest.mark.parametrize("token", ["garbage", "12.34.56", "٣٤٥.abc"])
async def test_a_garbled_token_is_spam(client, admin, token):
    await assert_spam_like_success(client, lead(_token=token), "forged token")


async def test_a_browser_post_without_a_token_is_spam(client, admin):
    """A browser is answered like a success; a script is told it sent no credential (401,
    in test_post.py)."""
    browser = await client.post(
        f"/forms/{CONTACT}", data=form_fields(lead(_token="")), allow_redirects=False
    )
    assert browser.status == 303
    assert browser.headers["Location"] == f"/forms/{CONTACT}?sent=1&lang=en"
    assert [(s.status, s.reason) for s in await submissions()] == [("spam", "no token")]
    assert await contacts_count() == 0 and await alerts() == []


async def test_a_flood_from_one_address_does_not_bury_other_visitors_leads(
    make_client, admin, one_window
):
    client = await make_client(
        address_limit_per_minute=2, form_limit_per_minute=3, trust_proxy=True
    )
    flood = {"X-Forwarded-For": "203.0.113.66"}
    for n in range(10):
        await client.post(f"/forms/{CONTACT}", json=lead(name=f"Junk {n}"), headers=flood)
    for n in range(10):  # tokenless bots from everywhere do not count either
        await client.post(
            f"/forms/{CONTACT}",
            json=lead(name=f"Bot {n}", _token=""),
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )
    response = await client.post(
        f"/forms/{CONTACT}",
        json=lead(name="Real Visitor", email="real@example.fr", phone=None),
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert response.status == 202
    real = [s for s in await submissions() if s.payload.get("name") == "Real Visitor"]
    assert [(s.status, s.reason) for s in real] == [("created", None)]


async def test_the_captcha_hook_decides_last(make_client, db):
    seen = []

    async def captcha(payload, address):
        seen.append((dict(payload), address))
        return payload.get("name") != "Robot Roberts"

    client = await make_client(captcha=captcha)
    await client.post(f"/forms/{CONTACT}", json=lead())
    await client.post(f"/forms/{CONTACT}", json=lead(name="Robot Roberts", email="r@example.fr"))
    await client.post(f"/forms/{CONTACT}", json=lead(website_url="x"))  # trap fires first
    assert [s.reason for s in await submissions()] == [None, "captcha", "trap"]
    assert len(seen) == 2 and seen[0][1] == "127.0.0.1"
    assert "_token" not in seen[0][0]


async def test_a_failing_captcha_hook_lets_the_lead_through(make_client, db):
    async def broken(payload, address):
        raise RuntimeError("captcha service down")

    client = await make_client(captcha=broken)
    assert (await client.post(f"/forms/{CONTACT}", json=lead())).status == 202
    assert only(await submissions()).status == "created"


async def test_a_plain_html_form_on_an_allowed_site_needs_no_token(client, db):
    await make_form(slug="site", title="Site", allowed_origins=["https://shop.example"])
    body = form_fields(lead(_token=None))
    allowed = await client.post(
        "/forms/site", data=body, headers={"Origin": "https://shop.example"}, allow_redirects=False
    )
    elsewhere = await client.post(
        "/forms/site", data=body, headers={"Origin": "https://evil.example"}, allow_redirects=False
    )
    referrer_only = await client.post(  # anyone can write a Referer; browsers send Origin
        "/forms/site",
        data=body,
        headers={"Referer": "https://shop.example/contact"},
        allow_redirects=False,
    )
    assert allowed.status == elsewhere.status == referrer_only.status == 303
    assert [(s.status, s.reason) for s in await submissions()] == [
        ("created", None),
        ("spam", "no token"),
        ("spam", "no token"),
    ]


async def test_a_page_shown_again_to_a_plain_html_form_carries_a_token(client, db):
    """The plain form on an allowed site sends no token; its errors come back on our page,
    whose corrected post must not be taken for a bot's."""
    await make_form(slug="site", title="Site", allowed_origins=["https://shop.example"])
    body = form_fields(lead(_token=None, email="jean@"))
    response = await client.post(
        "/forms/site", data=body, headers={"Origin": "https://shop.example"}
    )
    assert response.status == 422
    token = re.search(r'name="_token" value="([^"]*)"', await response.text()).group(1)
    assert (
        Signer(SECRET.encode()).token_problem(
            "site", token, time.time() + 5, min_fill=3, max_age=60
        )
        is None
    )


# --- the rules themselves -------------------------------------------------------------------


def test_tokens_are_bound_to_the_form_and_the_secret():
    signer = Signer(b"k" * 32)
    token = signer.token("contact", 1000.0)
    check = signer.token_problem
    assert check("contact", token, 1010.0, min_fill=3, max_age=86400) is None
    assert check("contact", token, 1002.0, min_fill=3, max_age=86400) == "too fast"
    assert check("contact", token, 1000.0 + 86401, min_fill=3, max_age=86400) == "expired token"
    assert check("other", token, 1010.0, min_fill=3, max_age=86400) == "forged token"
    assert (
        Signer(b"x" * 32).token_problem("contact", token, 1010.0, min_fill=3, max_age=86400)
        == "forged token"
    )
    stamp, _, mac = token.partition(".")
    assert check("contact", f"{int(stamp) - 5000}.{mac}", 1010.0, min_fill=3, max_age=86400)
    assert check("contact", token, 1000.0, min_fill=0, max_age=86400) is None


def test_address_hashes_are_keyed_and_stable():
    one, two = Signer(b"a" * 32), Signer(b"b" * 32)
    assert one.address_hash("203.0.113.9") == one.address_hash("203.0.113.9")
    assert one.address_hash("203.0.113.9") != two.address_hash("203.0.113.9")
    assert len(one.address_hash("::1")) == 64


async def test_memory_counters_restart_every_window():
    now = [0.0]
    limiter = MemoryRateLimiter(window=60, clock=lambda: now[0])
    assert [await limiter.hit("a") for _ in range(3)] == [1, 2, 3]
    assert await limiter.hit("b") == 1
    now[0] = 61.0
    assert await limiter.hit("a") == 1


async def test_memory_counters_do_not_grow_without_bound(monkeypatch):
    monkeypatch.setattr(MemoryRateLimiter, "MAX_KEYS", 100)
    limiter = MemoryRateLimiter()
    for n in range(1000):
        await limiter.hit(f"address-{n}")
    assert len(limiter._counts) <= 100


async def test_redis_counters_are_shared_by_processes(redis_url, one_window):
    one, two = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    key = f"test:{uuid.uuid4()}"
    try:
        assert [await one.hit(key), await two.hit(key), await one.hit(key)] == [1, 2, 3]
    finally:
        await one.close()
        await two.close()


async def test_an_unreachable_redis_lets_posts_through():
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        assert await limiter.hit("x") == 0
    finally:
        await limiter.close()
