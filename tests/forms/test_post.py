"""POST /forms/{slug}: every body type, every error path, JSON and browser answers."""

import asyncio
import json

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


async def test_a_json_lead_becomes_a_contact_and_an_alert(client, admin):
    response = await client.post(f"/forms/{CONTACT}", json=lead())
    assert response.status == 202
    body = await response.json()
    assert body == {"ok": True, "submission_id": body["submission_id"], "status": "received"}
    await settled()
    submission = await FormSubmission.get(id=body["submission_id"])
    contact = await Contact.get(id=submission.contact_id)
    assert (contact.first_name, contact.last_name) == ("Jean", "Dupont")
    assert submission.status == "created"
    assert submission.payload["email"] == "jean.dupont@example.fr"
    assert "_token" not in submission.payload and "website_url" not in submission.payload
    assert submission.address_hash and "127.0.0.1" not in submission.address_hash
    assert only(await alerts()).staff_id == admin.id


async def test_an_urlencoded_browser_post_is_redirected_to_the_thank_you_page(client, db):
    response = await client.post(
        f"/forms/{CONTACT}", data=form_fields(lead(_lang="fr")), allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == f"/forms/{CONTACT}?sent=1&lang=fr"
    assert only(await submissions()).status == "created"
    page = await (await client.get(response.headers["Location"])).text()
    assert '<html lang="fr">' in page and "Retour au formulaire" in page
    # The stock success text nobody changed speaks the visitor's language.
    assert 'role="status">Merci ! Nous revenons vers vous très vite.</p>' in page
    assert only(await submissions()).consent_text.startswith("J'accepte que les données")


async def test_an_urlencoded_post_asking_for_json_gets_json(client, db):
    response = await client.post(
        f"/forms/{CONTACT}", data=form_fields(lead()), headers={"Accept": "application/json"}
    )
    assert response.status == 202
    assert (await response.json())["ok"] is True


async def test_a_multipart_post_is_read_and_its_files_are_not_kept(client, db):
    data = aiohttp.FormData()
    for name, value in form_fields(lead()):
        data.add_field(name, value)
    data.add_field("attachment", b"\x89PNG" * 1000, filename="x.png", content_type="image/png")
    response = await client.post(f"/forms/{CONTACT}", data=data, allow_redirects=False)
    assert response.status == 303
    submission = only(await submissions())
    assert submission.status == "created"
    assert "attachment" not in submission.payload


async def test_a_multipart_post_can_ask_for_json(client, db):
    data = aiohttp.FormData()
    for name, value in form_fields(lead(name="Zoé Étoile")):
        data.add_field(name, value)
    response = await client.post(
        f"/forms/{CONTACT}", data=data, headers={"Accept": "application/json"}
    )
    assert response.status == 202
    submission = only(await submissions(id=(await response.json())["submission_id"]))
    contact = await Contact.get(id=submission.contact_id)
    assert (contact.first_name, contact.last_name) == ("Zoé", "Étoile")


async def test_a_redirect_url_is_followed_after_a_browser_post(client, db):
    await make_form(slug="quote", title="Quote", redirect_url="https://example.com/merci?x=1")
    response = await client.post(
        "/forms/quote", data=form_fields(lead(_token=aged_token("quote"))), allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "https://example.com/merci?x=1"


async def test_an_unknown_form_is_404_in_html_and_json(client, db):
    page = await client.post("/forms/nope", data={"name": "x"})
    assert page.status == 404 and "text/html" in page.headers["Content-Type"]
    assert "Form not found" in await page.text()
    api = await client.post("/forms/nope", json={"name": "x"})
    assert api.status == 404
    assert (await api.json())["ok"] is False
    assert (await client.get("/forms/nope")).status == 404
    assert (await client.get("/forms/nope/embed.js")).status == 404
    assert (await client.post("/forms/" + "x" * 300, json={})).status == 404
    assert await submissions() == []


async def test_a_disabled_form_is_404(client, db):
    await make_form(slug="old", title="Old", is_active=False)
    assert (await client.get("/forms/old")).status == 404
    assert (await client.post("/forms/old", json=lead())).status == 404


async def test_a_body_over_one_mib_is_413_in_json_and_html(client, db):
    big = lead(message="x" * (1024 * 1024 + 10))
    api = await client.post(f"/forms/{CONTACT}", json=big)
    assert api.status == 413
    assert (await api.json())["ok"] is False
    page = await client.post(f"/forms/{CONTACT}", data=form_fields(big))
    assert page.status == 413 and "1 MiB" in await page.text()
    data = aiohttp.FormData()
    data.add_field("name", "Jean")
    data.add_field("f", b"x" * (1024 * 1024 + 10), filename="big.bin")
    multipart = await client.post(f"/forms/{CONTACT}", data=data)
    assert multipart.status == 413
    assert await submissions() == []


async def test_a_chunked_body_over_the_limit_is_413(client, db):
    async def chunks():
        for _ in range(20):
            yield b"name=" + b"x" * 65536

    response = await client.post(
        f"/forms/{CONTACT}",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    assert response.status == 413


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/octet-stream", "image/png"]
)
async def test_other_content_types_are_415(client, db, content_type):
    response = await client.post(
        f"/forms/{CONTACT}", data=b"name=Jean", headers={"Content-Type": content_type}
    )
    assert response.status == 415
    assert await submissions() == []


@pytest.mark.parametrize("content_type", [";0*", "application/json;a*", ";=;"])
async def test_a_content_type_the_parser_chokes_on_is_415_not_500(client, db, content_type):
    """The standard library's header parser raises IndexError on these (found by the fuzzer)."""
    response = await client.post(
        f"/forms/{CONTACT}", data=b"", headers={"Content-Type": content_type}
    )
    assert response.status == 415
    assert await submissions() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "_form"),
        (b"[1, 2]", "_form"),
        (b'"text"', "_form"),
        (b'{"name": NaN}', "_form"),
        (b'{"name": {"first": "Jean"}}', "name"),
        (b'{"name": "Je\\u0000an"}', "name"),
        (b'{"name": "\\ud800"}', "name"),
        (b'{"name": 1e400}', "name"),
        (b'{"name": 123456789012345678901234567890}', "name"),
        (b"\xff\xfe{", "_form"),
        (b"[" * 100000, "_form"),
    ],
)
async def test_unreadable_json_is_400_naming_the_field(client, db, body, field):
    response = await client.post(
        f"/forms/{CONTACT}", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    answer = await response.json()
    assert answer["ok"] is False and field in answer["errors"]
    assert await submissions() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"name=%FF%FE", "application/x-www-form-urlencoded"),
        (b"name=Jean", "application/x-www-form-urlencoded; charset=no-such-charset"),
        (b"name=J%00ean", "application/x-www-form-urlencoded"),
        (b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb', "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary=x"),
        (  # a nested multipart/mixed part: read past, its bytes escaped the size limit
            b'--x\r\nContent-Disposition: form-data; name="files"\r\n'
            b"Content-Type: multipart/mixed; boundary=y\r\n\r\n"
            b"--y\r\nContent-Disposition: file; filename=a.bin\r\n\r\n" + b"A" * 5000 + b"\r\n"
            b"--y--\r\n--x\r\n"
            b'Content-Disposition: form-data; name="name"\r\n\r\nJean\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
    ],
)
async def test_unreadable_forms_are_400(client, db, body, content_type):
    response = await client.post(
        f"/forms/{CONTACT}", data=body, headers={"Content-Type": content_type}
    )
    assert response.status == 400
    assert "text/html" in response.headers["Content-Type"]


async def test_validation_errors_are_422_by_field_in_json(client, db):
    response = await client.post(
        f"/forms/{CONTACT}", json=lead(name="", email="not-an-email", consent=None)
    )
    assert response.status == 422
    body = await response.json()
    assert body["ok"] is False
    assert set(body["errors"]) == {"name", "email", "consent"}
    assert body["errors"]["name"] == "Name is required."
    assert await contacts_count() == 0
    assert only(await submissions()).status == "rejected"


async def test_the_page_comes_back_with_errors_and_the_values_kept(client, db):
    response = await client.post(
        f"/forms/{CONTACT}",
        data=form_fields(lead(email="jean@", message="Bonjour\nà vous", consent=None)),
    )
    assert response.status == 422
    page = await response.text()
    assert 'value="Jean Dupont"' in page and 'value="jean@"' in page
    assert ">Bonjour\nà vous</textarea>" in page
    assert 'aria-invalid="true" aria-describedby="f-email-error"' in page
    assert 'id="f-email-error"' in page and "is not a valid e-mail address" in page
    assert 'role="alert"' in page and "<title>Error: Contact us</title>" in page
    assert 'id="f-consent"' in page and "Please give your consent" in page
    assert await contacts_count() == 0


async def test_errors_are_in_french_for_a_french_visitor(client, db):
    response = await client.post(
        f"/forms/{CONTACT}",
        json=lead(name="", consent=None),
        headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"},
    )
    errors = (await response.json())["errors"]
    assert errors["name"] == "Nom : ce champ est obligatoire."
    assert errors["consent"].startswith("Veuillez donner votre consentement")


async def test_a_valid_api_key_posts_without_a_page_token(client, db):
    await make_form(slug="partner", title="Partner", api_key=API_KEY, consent_required=False)
    response = await client.post(
        "/forms/partner",
        json={"name": "Marie Curie", "email": "marie@example.fr"},
        headers={"X-Carnet-Form-Key": API_KEY},
    )
    assert response.status == 202
    assert only(await submissions()).status == "created"


async def test_a_wrong_api_key_is_403_and_nothing_is_stored(client, db):
    await make_form(slug="partner", title="Partner", api_key=API_KEY, consent_required=False)
    for key in ("wrong-key-" * 3, ""):
        response = await client.post(
            "/forms/partner", json={"name": "Marie Curie"}, headers={"X-Carnet-Form-Key": key}
        )
        if key:
            assert response.status == 403
            assert "api_key" in (await response.json())["errors"]
    # A key sent to a form that has none is wrong too.
    response = await client.post(
        f"/forms/{CONTACT}", json=lead(), headers={"X-Carnet-Form-Key": API_KEY}
    )
    assert response.status == 403
    # Only the post with an empty key header was stored: keyless and tokenless, it was
    # refused (401) and kept as spam.
    assert [(s.status, s.reason) for s in await submissions()] == [("spam", "unauthenticated")]


@pytest.mark.parametrize("as_form", [False, True], ids=["json-body", "form-asking-for-json"])
async def test_a_script_with_no_key_token_or_allowed_origin_is_told_401(client, admin, as_form):
    """A developer trying the form with curl learns what is missing instead of a fake 201;
    the post is kept as spam with the reason, and makes no contact and no alert."""
    await make_form(slug="partner", title="Partner", api_key=API_KEY, consent_required=False)
    body = {"name": "Marie Curie", "email": "marie@example.fr"}
    headers = {"Idempotency-Key": "curl-try-1", "Accept": "application/json"}
    if as_form:
        response = await client.post("/forms/partner", data=body, headers=headers)
    else:
        response = await client.post("/forms/partner", json=body, headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Carnet-Form-Key header="X-Carnet-Form-Key"'
    answer = await response.json()
    assert set(answer) == {"ok", "error"} and answer["ok"] is False
    assert "X-Carnet-Form-Key" in answer["error"] and "allowed origins" in answer["error"]
    assert "_token" in answer["error"]
    stored = only(await submissions())
    assert (stored.status, stored.reason) == ("spam", "unauthenticated")
    assert stored.idempotency_key is None and stored.payload["name"] == "Marie Curie"
    assert await contacts_count() == 0 and await alerts() == []
    # The same post with the key is a new one (the refused post did not take the key).
    keyed = await client.post(
        "/forms/partner", json=body, headers={**headers, "X-Carnet-Form-Key": API_KEY}
    )
    assert keyed.status == 202 and await contacts_count() == 1


async def test_the_401_is_in_the_callers_language(client, db):
    response = await client.post(
        f"/forms/{CONTACT}", json=lead(_token=None), headers={"Accept-Language": "fr"}
    )
    assert response.status == 401
    assert (await response.json())["error"].startswith("Cet envoi n’a pas été accepté")


async def test_a_json_post_from_an_allowed_origin_needs_no_token(client, admin):
    await make_form(slug="site", title="Site", allowed_origins=["https://shop.example"])
    response = await client.post(
        "/forms/site", json=lead(_token=None), headers={"Origin": "https://shop.example"}
    )
    assert response.status == 202
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert only(await submissions()).status == "created"


async def test_a_json_post_with_a_token_that_trips_a_check_still_looks_accepted(client, db):
    """A token was sent, so it comes from a page: a bot tripping the trap or the fill time
    learns nothing, whatever the body's format."""
    response = await client.post(f"/forms/{CONTACT}", json=lead(_token=aged_token(seconds=1)))
    assert response.status == 202
    assert [(s.status, s.reason) for s in await submissions()] == [("spam", "too fast")]


async def test_an_idempotency_key_makes_a_retry_return_the_first_result(client, admin):
    headers = {"Idempotency-Key": "order-42-attempt"}
    first = await client.post(f"/forms/{CONTACT}", json=lead(), headers=headers)
    again = await client.post(f"/forms/{CONTACT}", json=lead(), headers=headers)
    assert first.status == again.status == 202
    assert await first.json() == await again.json()
    assert await contacts_count() == 1
    assert len(await submissions()) == 1
    assert len(await alerts()) == 1


async def test_a_malformed_idempotency_key_is_400(client, db):
    response = await client.post(
        f"/forms/{CONTACT}", json=lead(), headers={"Idempotency-Key": "x" * 129}
    )
    assert response.status == 400
    assert "idempotency_key" in (await response.json())["errors"]


async def test_the_hosted_page_key_makes_a_double_submit_one_submission(client, db):
    body = form_fields(lead(_key="page-render-key-1"))
    for _ in range(2):
        response = await client.post(f"/forms/{CONTACT}", data=body, allow_redirects=False)
        assert response.status == 303
    assert len(await submissions()) == 1 and await contacts_count() == 1


async def test_the_same_person_twice_makes_one_contact(client, db):
    await client.post(f"/forms/{CONTACT}", json=lead())
    await client.post(
        f"/forms/{CONTACT}",
        json=lead(phone="+33612345678", email="JEAN.DUPONT@example.fr", message="Again"),
    )
    first, second = await submissions()
    assert (first.status, second.status) == ("created", "merged")
    assert second.contact_id == first.contact_id
    assert await contacts_count() == 1


async def test_the_address_comes_from_the_socket_unless_the_proxy_is_trusted(make_client, db):
    plain = await make_client()
    proxied = await make_client(trust_proxy=True)
    forwarded = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    await plain.post(f"/forms/{CONTACT}", json=lead(), headers=forwarded)
    await proxied.post(f"/forms/{CONTACT}", json=lead(name="Ana Lopez"), headers=forwarded)
    await proxied.post(f"/forms/{CONTACT}", json=lead(name="Bo Li"), headers={})
    socket, via_proxy, direct = [s.address_hash for s in await submissions()]
    assert socket == direct != via_proxy


async def test_utm_and_page_details_are_kept(client, db):
    body = lead(utm_source="newsletter", _page="https://shop.example/p?utm_campaign=spring")
    response = await client.post(
        f"/forms/{CONTACT}",
        json=body,
        headers={"User-Agent": "TestAgent/1.0", "Referer": "https://shop.example/p"},
    )
    assert response.status == 202
    submission = only(await submissions())
    assert submission.utm == {"utm_source": "newsletter", "utm_campaign": "spring"}
    assert submission.user_agent == "TestAgent/1.0"
    assert submission.referrer == "https://shop.example/p"
    assert submission.consent_text and "agree" in submission.consent_text


async def test_repeated_fields_arrive_as_a_list_and_are_refused_for_one_value(client, db):
    body = form_fields(lead()) + [("name", "Other Person")]
    response = await client.post(
        f"/forms/{CONTACT}", data=body, headers={"Accept": "application/json"}
    )
    assert response.status == 422
    assert "one value" in (await response.json())["errors"]["name"]
    assert only(await submissions()).payload["name"] == ["Jean Dupont", "Other Person"]


async def test_a_json_post_keeps_json_types_in_the_raw_payload(client, db):
    response = await client.post(
        f"/forms/{CONTACT}", json=lead(consent=True, extra=[1, 2.5, None, "x"])
    )
    assert response.status == 202
    payload = only(await submissions()).payload
    assert payload["consent"] is True and payload["extra"] == [1, 2.5, None, "x"]


async def test_get_and_head_of_a_post_only_path_are_not_500(client, db):
    for method in ("PUT", "DELETE", "PATCH"):
        response = await client.request(method, f"/forms/{CONTACT}")
        assert response.status == 405
    assert json.loads(await (await client.get(f"/forms/{CONTACT}?format=json")).text())["slug"]


async def test_concurrent_retries_with_one_key_never_fail(client, db):
    """A client retrying at once with the same key: one submission, the same answer to all
    (also when the first is rejected and frees its key while the others wait)."""
    for number, body in enumerate((lead(name=""), lead())):
        headers = {"Idempotency-Key": f"burst-{number}"}
        answers = await asyncio.gather(
            *(client.post(f"/forms/{CONTACT}", json=body, headers=headers) for _ in range(5))
        )
        assert {r.status for r in answers} in ({422}, {202}), [r.status for r in answers]
    assert await contacts_count() == 1


@pytest.mark.parametrize("as_json", [True, False])
async def test_an_unexpected_outcome_is_a_500_in_the_callers_format(
    client, db, monkeypatch, as_json
):
    from crm.webforms import submissions
    from crm.webforms.submissions import Receipt

    async def odd(*args, **kwargs):
        return Receipt(7, "failed")

    monkeypatch.setattr(submissions, "submit", odd)
    if as_json:
        response = await client.post(f"/forms/{CONTACT}", json=lead())
        assert response.status == 500
        assert await response.json() == {
            "ok": False,
            "error": "Something went wrong on our side and it has been logged. "
            "Please try again later.",
        }
    else:
        response = await client.post(f"/forms/{CONTACT}", data=form_fields(lead()))
        assert response.status == 500
        assert "text/html" in response.headers["Content-Type"]
        page = await response.text()  # not "check your connection": the fault is ours
        assert "Something went wrong on our side" in page and 'value="Jean Dupont"' in page
