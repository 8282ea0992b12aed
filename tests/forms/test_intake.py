"""The intake contract (issue 12): a post is checked, stored and answered at once (202, never
a contact id), the worker makes the lead; integrators read the outcome from the status
endpoint with the form's key; an idempotency key replays only the same caller's same body."""

import aiohttp
import pytest

from models import Contact, FormSubmission
from tests.forms.conftest import (
    API_KEY,
    CONTACT,
    aged_token,
    alerts,
    contacts_count,
    form_fields,
    lead,
    make_form,
    only,
    settled,
    submissions,
)

RECEIVED_KEYS = {"ok", "submission_id", "status"}
STATUS_KEYS = {"ok", "submission_id", "status", "contact_id", "duplicate"}
KEYED = {"X-Carnet-Form-Key": API_KEY}


async def shop_form() -> None:
    """A form a shop's server posts to with its API key."""
    await make_form(slug="shop", title="Shop", api_key=API_KEY, consent_required=False)


def order(**changes: str) -> dict[str, str]:
    return {"name": "Marie Curie", "email": "marie@example.fr", **changes}


def status_url(submission_id: object, slug: str = "shop") -> str:
    return f"/forms/{slug}/submissions/{submission_id}"


# --- the answer to a post -------------------------------------------------------------------


async def test_a_valid_json_post_is_answered_202_received_and_processed_after(client, admin):
    response = await client.post(f"/forms/{CONTACT}", json=lead())
    assert response.status == 202
    body = await response.json()
    assert set(body) == RECEIVED_KEYS
    assert (body["ok"], body["status"]) == (True, "received")
    await settled()
    submission = await FormSubmission.get(id=body["submission_id"])
    assert submission.status == "created" and submission.contact_id is not None
    contact = await Contact.get(id=submission.contact_id)
    assert (contact.first_name, contact.last_name) == ("Jean", "Dupont")
    assert only(await alerts()).staff_id == admin.id


async def test_a_known_person_gets_the_same_answer_as_a_new_one(client, admin):
    first = await (await client.post(f"/forms/{CONTACT}", json=lead())).json()
    await settled()
    again = await client.post(f"/forms/{CONTACT}", json=lead(message="Again"))
    body = await again.json()
    assert again.status == 202 and set(body) == RECEIVED_KEYS and body["status"] == "received"
    assert body["submission_id"] == first["submission_id"] + 1
    await settled()
    assert (await FormSubmission.get(id=body["submission_id"])).status == "merged"
    assert await contacts_count() == 1


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_a_form_post_asking_for_json_gets_the_202(client, admin, encoding):
    data: object = form_fields(lead())
    if encoding == "multipart":
        multipart = aiohttp.FormData()
        for name, value in form_fields(lead()):
            multipart.add_field(name, value)
        multipart.add_field("cv", b"%PDF" * 10, filename="cv.pdf")
        data = multipart
    response = await client.post(
        f"/forms/{CONTACT}", data=data, headers={"Accept": "application/json"}
    )
    assert response.status == 202
    body = await response.json()
    assert set(body) == RECEIVED_KEYS and body["status"] == "received"
    await settled()
    assert only(await submissions()).status == "created"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_a_browser_post_is_redirected_then_processed(client, admin, encoding):
    data: object = form_fields(lead())
    if encoding == "multipart":
        multipart = aiohttp.FormData()
        for name, value in form_fields(lead()):
            multipart.add_field(name, value)
        data = multipart
    response = await client.post(f"/forms/{CONTACT}", data=data, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith(f"/forms/{CONTACT}?sent=1")
    await settled()
    assert only(await submissions()).status == "created"
    assert len(await alerts()) == 1


async def test_spam_looks_like_a_received_post(client, db):
    response = await client.post(f"/forms/{CONTACT}", json=lead(_token=aged_token(seconds=1)))
    assert response.status == 202
    body = await response.json()
    assert set(body) == RECEIVED_KEYS and body["status"] == "received"
    stored = only(await submissions())
    assert (stored.id, stored.status, stored.reason) == (body["submission_id"], "spam", "too fast")


async def test_a_post_with_errors_is_stored_rejected_and_answered_at_once(client, db):
    response = await client.post(
        f"/forms/{CONTACT}",
        json=lead(email="not-an-email"),
        headers={"Idempotency-Key": "first-try"},
    )
    assert response.status == 422
    assert set((await response.json())["errors"]) == {"email"}
    # Stored with the reason before the answer, without the worker, and without the key.
    stored = only(await submissions())
    assert (stored.status, stored.idempotency_key) == ("rejected", None)
    assert stored.reason and stored.reason.startswith("email: ")
    fixed = await client.post(
        f"/forms/{CONTACT}", json=lead(), headers={"Idempotency-Key": "first-try"}
    )
    assert fixed.status == 202


# --- the status endpoint --------------------------------------------------------------------


async def test_the_status_endpoint_tells_the_key_holder_the_outcome(client, admin):
    await shop_form()
    posted = await (await client.post("/forms/shop", json=order(), headers=KEYED)).json()
    await settled()
    response = await client.get(status_url(posted["submission_id"]), headers=KEYED)
    assert response.status == 200
    body = await response.json()
    contact = await Contact.get()
    assert body == {
        "ok": True,
        "submission_id": posted["submission_id"],
        "status": "created",
        "contact_id": contact.id,
        "duplicate": False,
    }
    again = await (await client.post("/forms/shop", json=order(message="x"), headers=KEYED)).json()
    await settled()
    merged = await (await client.get(status_url(again["submission_id"]), headers=KEYED)).json()
    assert (merged["status"], merged["contact_id"], merged["duplicate"]) == (
        "merged",
        contact.id,
        True,
    )


async def test_the_status_endpoint_says_received_before_the_worker(client, worker, db):
    await worker.stop()
    await shop_form()
    posted = await (await client.post("/forms/shop", json=order(), headers=KEYED)).json()
    body = await (await client.get(status_url(posted["submission_id"]), headers=KEYED)).json()
    assert body == {
        "ok": True,
        "submission_id": posted["submission_id"],
        "status": "received",
        "contact_id": None,
        "duplicate": False,
    }


async def test_the_status_endpoint_gives_the_errors_the_worker_found(client, admin):
    """What only the database checks (here: a first name longer than the contact's column)
    rejects in the worker; the integrator reads it on the status endpoint."""
    fields = [
        {"name": "first", "type": "text", "label": "First", "maps_to": "first_name"},
        {"name": "last", "type": "text", "label": "Last", "maps_to": "last_name"},
    ]
    await make_form(
        slug="shop", title="Shop", api_key=API_KEY, consent_required=False, fields=fields
    )
    posted = await client.post("/forms/shop", json={"first": "x" * 150}, headers=KEYED)
    assert posted.status == 202
    await settled()
    body = await (
        await client.get(status_url((await posted.json())["submission_id"]), headers=KEYED)
    ).json()
    assert body["status"] == "rejected" and body["contact_id"] is None
    assert set(body["errors"]) == {"first"}


async def test_the_status_endpoint_needs_the_forms_key(client, admin):
    await shop_form()
    posted = await (await client.post("/forms/shop", json=order(), headers=KEYED)).json()
    url = status_url(posted["submission_id"])
    missing = await client.get(url)
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"] == 'Carnet-Form-Key header="X-Carnet-Form-Key"'
    assert "X-Carnet-Form-Key" in (await missing.json())["error"]
    wrong = await client.get(url, headers={"X-Carnet-Form-Key": "wrong-key-" * 3})
    assert wrong.status == 403 and (await wrong.json())["ok"] is False
    # The contact form has no key: every key is wrong there.
    page = await (await client.post(f"/forms/{CONTACT}", json=lead())).json()
    assert (
        await client.get(status_url(page["submission_id"], CONTACT), headers=KEYED)
    ).status == 403


async def test_another_forms_submission_answers_as_a_missing_one(client, admin):
    await shop_form()
    await make_form(
        slug="other", title="Other", api_key="o" * 24 + "-other-key", consent_required=False
    )
    theirs = await (
        await client.post(
            "/forms/other", json=order(), headers={"X-Carnet-Form-Key": "o" * 24 + "-other-key"}
        )
    ).json()
    other_form = await client.get(status_url(theirs["submission_id"]), headers=KEYED)
    missing = await client.get(status_url(999999), headers=KEYED)
    assert other_form.status == missing.status == 404
    assert await other_form.json() == await missing.json()
    for odd in ("abc", "-1", "0", "99999999999999999999", "1.5"):
        assert (await client.get(status_url(odd), headers=KEYED)).status == 404
    assert (await client.get(status_url(1, "no-such-form"), headers=KEYED)).status == 404


# --- idempotency keys (hole 1) --------------------------------------------------------------


async def test_a_strangers_post_cannot_claim_a_servers_idempotency_key(client, admin):
    await shop_form()
    # A stranger: no token, no key, a browser-like post with the page's `_key` field...
    await client.post("/forms/shop", data={**order(), "_key": "order-1042"}, allow_redirects=False)
    # ...and a script with the header and no credential at all (401).
    refused = await client.post(
        "/forms/shop", json=order(), headers={"Idempotency-Key": "order-1042"}
    )
    assert refused.status == 401
    # A visitor of the page (a genuine token) sending another body with that key.
    await client.post(
        "/forms/shop",
        json={"name": "Eve Intruder", "email": "eve@example.com", "_token": aged_token("shop")},
        headers={"Idempotency-Key": "order-1042"},
    )
    real = await client.post(
        "/forms/shop", json=order(), headers={**KEYED, "Idempotency-Key": "order-1042"}
    )
    assert real.status == 202
    body = await real.json()
    await settled()
    stored = await FormSubmission.get(id=body["submission_id"])
    assert stored.status == "created" and stored.payload == order()
    assert (await Contact.get(id=stored.contact_id)).first_name == "Marie"


async def test_the_same_callers_same_body_replays_the_first_answer(client, admin):
    await shop_form()
    headers = {**KEYED, "Idempotency-Key": "order-7"}
    first = await (await client.post("/forms/shop", json=order(), headers=headers)).json()
    await settled()
    again = await client.post("/forms/shop", json=order(), headers=headers)
    assert again.status == 202
    body = await again.json()
    assert body["submission_id"] == first["submission_id"]
    assert body["status"] == "created"  # the key holder may know; it can ask the status anyway
    assert len(await submissions()) == 1 and len(await alerts()) == 1


async def test_a_reused_key_with_another_body_is_a_clear_422_for_json(client, admin):
    await shop_form()
    headers = {**KEYED, "Idempotency-Key": "order-8"}
    assert (await client.post("/forms/shop", json=order(), headers=headers)).status == 202
    changed = await client.post("/forms/shop", json=order(name="Pierre Curie"), headers=headers)
    assert changed.status == 422
    answer = await changed.json()
    assert answer["ok"] is False and "idempotency_key" in answer["errors"]
    assert "another body" in answer["errors"]["idempotency_key"]
    assert len(await submissions()) == 1


async def test_the_page_corrected_after_going_back_is_a_new_submission(client, admin):
    first = form_fields(lead(_key="page-key-1", phone="06 12 34 56 70"))
    corrected = form_fields(lead(_key="page-key-1"))
    for body in (first, corrected, corrected):
        response = await client.post(f"/forms/{CONTACT}", data=body, allow_redirects=False)
        assert response.status == 303
    await settled()
    stored = await submissions()
    assert len(stored) == 2
    assert [s.payload["phone"] for s in stored] == ["06 12 34 56 70", "06 12 34 56 78"]
    assert {s.status for s in stored} <= {"created", "merged"}


async def test_a_page_replay_is_the_same_303(client, admin):
    body = form_fields(lead(_key="page-key-2"))
    answers = [
        await client.post(f"/forms/{CONTACT}", data=body, allow_redirects=False) for _ in range(2)
    ]
    assert [a.status for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    await settled()
    assert len(await submissions()) == 1 and await contacts_count() == 1


async def test_embed_js_resending_a_corrected_form_with_its_key_makes_a_new_submission(
    client, admin
):
    """embed.js keeps its key after a failed send (a retry must not make a twin); a visitor
    who corrects the form meanwhile is a visitor, not a script to be told 422."""
    headers = {"Idempotency-Key": "embed-key-1"}
    first = await client.post(
        f"/forms/{CONTACT}", json=lead(phone="06 12 34 56 70"), headers=headers
    )
    corrected = await client.post(f"/forms/{CONTACT}", json=lead(), headers=headers)
    assert first.status == corrected.status == 202
    ids = {(await first.json())["submission_id"], (await corrected.json())["submission_id"]}
    assert len(ids) == 2 and len(await submissions()) == 2
