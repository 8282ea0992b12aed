"""Rate limits are not spam: a post over a limit is answered 429 with Retry-After, kept as held
(for an administrator to release), and the limits are settings."""

import time
import uuid

import pytest

from forms.config import FormsConfig
from forms.spam import Evidence, MemoryRateLimiter, Signer, SpamGuard, Verdict
from tests.forms.conftest import (
    CONTACT,
    alerts,
    contacts_count,
    form_fields,
    lead,
    submissions,
)

# forms.spam's clocks are frozen 30 s into a window (see `one_window`): 30 s until it frees.
SECONDS_LEFT = 30


@pytest.fixture
def one_window(monkeypatch):
    """Rate windows that do not turn over in the middle of a test, half-way through."""

    class FrozenTime:
        @staticmethod
        def monotonic() -> float:
            return 1_000_020.0 + SECONDS_LEFT  # 1,000,020 is a whole number of minutes

        @staticmethod
        def time() -> float:
            return 1_699_999_980.0 + SECONDS_LEFT

    monkeypatch.setattr("forms.spam.time", FrozenTime)


def person(n: int, **changes) -> dict:
    return lead(name=f"Person {n}", email=f"p{n}@example.fr", phone=None, **changes)


async def test_too_many_posts_from_one_address_are_held_and_told_to_wait(
    make_client, admin, one_window
):
    client = await make_client(address_limit_per_minute=5)
    answers = [await client.post(f"/forms/{CONTACT}", json=person(n)) for n in range(7)]
    assert [a.status for a in answers] == [202] * 5 + [429] * 2
    limited = answers[-1]
    assert limited.headers["Retry-After"] == str(SECONDS_LEFT)
    body = await limited.json()
    assert body == {
        "ok": False,
        "error": "Too many messages have been sent just now. Please try again in "
        f"{SECONDS_LEFT} seconds.",
        "retry_after": SECONDS_LEFT,
    }
    stored = await submissions()
    assert [(s.status, s.reason) for s in stored] == [("created", None)] * 5 + [
        ("held", "rate limit: address")
    ] * 2
    assert stored[-1].payload["name"] == "Person 6"  # kept whole, for a release
    assert await contacts_count() == 5
    assert len(await alerts()) == 5


async def test_too_many_posts_to_one_form_are_held(make_client, db, one_window):
    client = await make_client(form_limit_per_minute=3, trust_proxy=True)
    statuses = []
    for n in range(5):
        response = await client.post(
            f"/forms/{CONTACT}",
            json=person(n),
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        statuses.append(response.status)
    assert statuses == [202] * 3 + [429] * 2
    assert [(s.status, s.reason) for s in await submissions()] == [("created", None)] * 3 + [
        ("held", "rate limit: form")
    ] * 2


async def test_the_page_comes_back_429_with_the_values_kept(make_client, db, one_window):
    client = await make_client(address_limit_per_minute=1)
    await client.post(f"/forms/{CONTACT}", data=form_fields(person(1)), allow_redirects=False)
    body = person(2, message="Rappelez-moi <vite>", _key="page-key-1")
    response = await client.post(f"/forms/{CONTACT}", data=form_fields(body))
    assert response.status == 429
    assert response.headers["Retry-After"] == str(SECONDS_LEFT)
    page = await response.text()
    assert f"Please try again in {SECONDS_LEFT} seconds." in page
    assert 'value="Person 2"' in page and 'value="p2@example.fr"' in page
    assert ">Rappelez-moi &lt;vite&gt;</textarea>" in page
    assert 'role="alert"' in page
    # Sent again, it is a new submission: the held one stays for the team to release.
    assert 'name="_key" value="page-key-1"' not in page
    assert [s.status for s in await submissions()] == ["created", "held"]


async def test_the_429_speaks_the_visitors_language(make_client, db, one_window):
    client = await make_client(address_limit_per_minute=0)
    page = await client.post(f"/forms/{CONTACT}", data=form_fields(person(1, _lang="fr")))
    assert page.status == 429
    assert f"Veuillez réessayer dans {SECONDS_LEFT} secondes." in await page.text()
    script = await client.post(
        f"/forms/{CONTACT}", json=person(2), headers={"Accept-Language": "fr"}
    )
    assert f"réessayer dans {SECONDS_LEFT} secondes" in (await script.json())["error"]


async def test_twelve_addresses_cannot_bury_real_leads_as_spam(make_client, admin, one_window):
    """The flood of issue 12: twelve addresses, each under its own limit, use up the form's.
    Real visitors after them are told to wait and kept, never filed as spam in silence."""
    client = await make_client(
        address_limit_per_minute=5, form_limit_per_minute=60, trust_proxy=True
    )
    for address in range(12):
        for n in range(5):
            await client.post(
                f"/forms/{CONTACT}",
                json=person(address * 100 + n),
                headers={"X-Forwarded-For": f"203.0.113.{address}"},
            )
    real = await client.post(
        f"/forms/{CONTACT}",
        json=lead(name="Real Visitor", email="real@example.fr", phone=None),
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert real.status == 429 and int(real.headers["Retry-After"]) > 0
    kept = [s for s in await submissions() if s.payload.get("name") == "Real Visitor"]
    assert [(s.status, s.reason) for s in kept] == [("held", "rate limit: form")]
    assert not await submissions(status="spam")


async def test_spam_evidence_wins_over_a_rate_limit(make_client, db, one_window):
    """A bot over the limit that also fills the trap is spam, answered like a success."""
    client = await make_client(address_limit_per_minute=1)
    await client.post(f"/forms/{CONTACT}", json=person(1))
    trapped = await client.post(f"/forms/{CONTACT}", json=person(2, website_url="x"))
    assert trapped.status == 202
    assert [s.reason for s in await submissions()] == [None, "trap"]


async def test_held_posts_do_not_count_against_the_form(make_client, db, one_window):
    """One address over its limit does not use up the form's limit for everyone else."""
    client = await make_client(
        address_limit_per_minute=1, form_limit_per_minute=2, trust_proxy=True
    )
    flood = {"X-Forwarded-For": "203.0.113.66"}
    for n in range(6):
        await client.post(f"/forms/{CONTACT}", json=person(n), headers=flood)
    other = await client.post(
        f"/forms/{CONTACT}", json=person(9), headers={"X-Forwarded-For": "198.51.100.9"}
    )
    assert other.status == 202


async def test_a_server_with_the_api_key_is_never_limited(make_client, db, one_window):
    from tests.forms.conftest import API_KEY, make_form

    client = await make_client(address_limit_per_minute=0, form_limit_per_minute=0)
    await make_form(slug="crm-sync", title="Sync", api_key=API_KEY, consent_required=False)
    for n in range(3):
        response = await client.post(
            "/forms/crm-sync",
            json={"name": f"Person {n}", "email": f"p{n}@example.fr"},
            headers={"X-Carnet-Form-Key": API_KEY},
        )
        assert response.status == 202


# --- the guard ------------------------------------------------------------------------------


async def test_the_verdict_separates_evidence_from_limits():
    config = FormsConfig(secret="s" * 16, address_limit_per_minute=1, form_limit_per_minute=1)
    signer = Signer(b"s" * 16)
    now = [1_000_020.0 + 45]
    guard = SpamGuard(config, signer, MemoryRateLimiter(clock=lambda: now[0]))
    good = signer.token("f", 0.0)

    def evidence(**changes):
        values = dict(
            slug="f",
            form_id=1,
            payload={},
            trap_value="",
            token=good,
            address="a",
            address_hash="h",
        )
        values.update(changes)
        return Evidence(**values)

    assert await guard.judge(evidence(), 100.0) == Verdict()
    assert await guard.judge(evidence(trap_value="x"), 100.0) == Verdict(spam="trap")
    assert await guard.judge(evidence(token="1.x"), 100.0) == Verdict(spam="forged token")
    assert await guard.judge(evidence(address_hash="h2"), 100.0) == Verdict(
        limit="rate limit: form", retry_after=15
    )
    assert await guard.judge(evidence(), 100.0) == Verdict(
        limit="rate limit: address", retry_after=15
    )
    assert await guard.judge(evidence(trap_value="x"), 100.0) == Verdict(spam="trap")
    assert await guard.judge(evidence(keyed=True, token=None), 100.0) == Verdict()


async def test_memory_counters_say_when_their_window_frees():
    now = [120.0]
    limiter = MemoryRateLimiter(window=60, clock=lambda: now[0])
    assert limiter.seconds_left() == 60
    now[0] = 179.2
    assert limiter.seconds_left() == 1  # never 0: "try again in 0 seconds" would be a lie


async def test_two_apps_on_redis_share_the_address_limit(make_client, db, redis_url, one_window):
    # A secret of its own: address hashes, hence Redis keys, this run has not counted yet.
    shared = {"redis_url": redis_url, "address_limit_per_minute": 2, "secret": uuid.uuid4().hex}
    one, two = await make_client(**shared), await make_client(**shared)
    signer = Signer(shared["secret"].encode())
    statuses = []
    for n, client in enumerate((one, two, one, two)):
        token = signer.token(CONTACT, time.time() - 10)
        response = await client.post(f"/forms/{CONTACT}", json=person(n, _token=token))
        statuses.append(response.status)
    assert statuses == [202, 202, 429, 429]
    assert [s.status for s in await submissions()] == ["created"] * 2 + ["held"] * 2


# --- the settings ---------------------------------------------------------------------------


def test_the_limits_are_settings(monkeypatch):
    from app.runtime import forms_config
    from app.settings import load_settings

    monkeypatch.setenv("FORMS_RATE_PER_ADDRESS", "7")
    monkeypatch.setenv("FORMS_RATE_PER_FORM", "120")
    config = forms_config(load_settings())
    assert (config.address_limit_per_minute, config.form_limit_per_minute) == (7, 120)


def test_the_default_limits(monkeypatch):
    from app.runtime import forms_config
    from app.settings import load_settings

    for name in ("FORMS_RATE_PER_ADDRESS", "FORMS_RATE_PER_FORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no .env
    config = forms_config(load_settings())
    assert (config.address_limit_per_minute, config.form_limit_per_minute) == (20, 300)
    assert (FormsConfig().address_limit_per_minute, FormsConfig().form_limit_per_minute) == (
        20,
        300,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FORMS_RATE_PER_ADDRESS", "0"),
        ("FORMS_RATE_PER_ADDRESS", "lots"),
        ("FORMS_RATE_PER_FORM", "-5"),
    ],
)
def test_a_bad_limit_is_named(monkeypatch, name, value):
    from app.settings import SettingsError, load_settings

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
