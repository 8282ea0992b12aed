"""GET /forms/{slug}/embed.js: a small dependency-free script that never injects markup."""

import re

from tests.forms.conftest import CONTACT


async def test_the_script_is_served_as_javascript(client, db):
    response = await client.get(f"/forms/{CONTACT}/embed.js")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    script = await response.text()
    assert len(script) < 20_000
    assert "data-carnet-form" in script and "?format=json" in script
    assert "Idempotency-Key" in script


async def test_the_script_builds_the_form_without_html_strings(client, db):
    script = await (await client.get(f"/forms/{CONTACT}/embed.js")).text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert not re.search(r"\b(import|require)\s*\(", script)
    assert "http://" not in script.replace("https?:\\/\\/", "")
