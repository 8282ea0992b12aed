"""CORS: only a form's allowed origins may read its answers from a browser script."""

from tests.forms.conftest import aged_token, lead, make_form

SITE = "https://shop.example"


async def shop_form(**changes):
    return await make_form(
        slug="shop", title="Shop", allowed_origins=[SITE, "http://localhost:8000"], **changes
    )


async def test_an_allowed_origin_is_echoed_on_the_spec_and_the_post(client, db):
    await shop_form()
    spec = await client.get("/forms/shop?format=json", headers={"Origin": SITE})
    assert spec.headers["Access-Control-Allow-Origin"] == SITE
    assert spec.headers["Vary"] == "Origin"
    post = await client.post(
        "/forms/shop", json=lead(_token=aged_token("shop")), headers={"Origin": SITE}
    )
    assert post.status == 202
    assert post.headers["Access-Control-Allow-Origin"] == SITE


async def test_errors_are_readable_by_an_allowed_origin(client, db):
    await shop_form()
    post = await client.post("/forms/shop", json={"name": ""}, headers={"Origin": SITE})
    assert post.status == 422
    assert post.headers["Access-Control-Allow-Origin"] == SITE
    bad = await client.post(
        "/forms/shop", data=b"{", headers={"Origin": SITE, "Content-Type": "application/json"}
    )
    assert bad.status == 400 and bad.headers["Access-Control-Allow-Origin"] == SITE


async def test_other_origins_get_no_cors_headers(client, db):
    await shop_form()
    for origin in (
        "https://evil.example",
        "https://shop.example.evil",
        "null",
        "http://shop.example",
    ):
        spec = await client.get("/forms/shop?format=json", headers={"Origin": origin})
        post = await client.post("/forms/shop", json=lead(), headers={"Origin": origin})
        for response in (spec, post):
            assert "Access-Control-Allow-Origin" not in response.headers
    spec = await client.get("/forms/contact?format=json", headers={"Origin": SITE})
    assert "Access-Control-Allow-Origin" not in spec.headers


async def test_a_default_port_and_case_do_not_matter(client, db):
    await shop_form()
    spec = await client.get(
        "/forms/shop?format=json", headers={"Origin": "https://SHOP.example:443"}
    )
    assert spec.headers["Access-Control-Allow-Origin"] == "https://SHOP.example:443"
    local = await client.get("/forms/shop?format=json", headers={"Origin": "http://localhost:8000"})
    assert local.headers["Access-Control-Allow-Origin"] == "http://localhost:8000"


async def test_the_preflight_is_answered_for_allowed_origins_only(client, db):
    await shop_form()
    asked = {
        "Origin": SITE,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key",
    }
    allowed = await client.options("/forms/shop", headers=asked)
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in allowed.headers["Access-Control-Allow-Headers"]
    assert "X-Carnet-Form-Key" not in allowed.headers["Access-Control-Allow-Headers"]
    denied = await client.options(
        "/forms/shop", headers={**asked, "Origin": "https://evil.example"}
    )
    assert denied.status == 403
    assert "Access-Control-Allow-Origin" not in denied.headers
    unknown = await client.options("/forms/nope", headers=asked)
    assert unknown.status == 404 and "Access-Control-Allow-Origin" not in unknown.headers
